-- Several statements, one DAG: a named stream read by two queries (one
-- receiver, fanned out), one of them writing to SQLite. Run with
--   go run ./cmd/streamsql --once -f examples/pipeline.sql
-- then: sqlite3 /tmp/streamsql-example.db 'SELECT * FROM words ORDER BY n DESC LIMIT 5'
CREATE STREAM words AS SELECT lower(word) AS w FROM file('examples/logfile');
INSERT INTO sqlite('/tmp/streamsql-example.db', table => 'words') SELECT w, COUNT(*) AS n FROM words GROUP BY w;
SELECT COUNT(*) AS words, COUNT(DISTINCT w) AS distinct_words FROM words;
