-- Event-time windows over JSON lines: each reading counts in the 10-second
-- window of its own timestamp, whatever order it arrives in. Run with
--   go run ./cmd/streamsql --once -f examples/sensors.sql
SELECT sensor, window_start, COUNT(*) AS n, AVG(temp) AS avg_temp, MAX(temp) AS max_temp
FROM file('examples/sensors', format => 'jsonl')
GROUP BY sensor
WINDOW 10s EVENT TIME ts LATENESS 5s
HAVING COUNT(*) > 1
ORDER BY window_start, sensor;
