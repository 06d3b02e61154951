-- Joins: orders (JSON lines) enriched from a CSV table, grouped by the
-- table's country; then orders joined with their payments when these come
-- within 10 seconds of event time. Run with
--   go run ./cmd/streamsql --once -f examples/enrich.sql
-- Live (without --once), editing examples/cities.csv changes the country
-- of the orders that arrive afterwards.
SELECT c.country, COUNT(*) AS orders, SUM(o.amount) AS total
FROM file('examples/orders', format => 'jsonl') AS o
LEFT JOIN table('examples/cities.csv') AS c ON o.city = c.name
GROUP BY c.country
ORDER BY c.country NULLS LAST;

SELECT o.id, o.amount, p.method
FROM file('examples/orders', format => 'jsonl') AS o
LEFT JOIN file('examples/payments', format => 'jsonl') AS p
  WITHIN 10s EVENT TIME o.ts, p.ts LATENESS 5s
  ON p.order_id = o.id
ORDER BY o.id;
