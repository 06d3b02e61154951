-- Materialized views, served over the PostgreSQL wire protocol: psql, any
-- driver and Grafana read them while streamsql keeps them up to date.
--   go run ./cmd/streamsql --pg 127.0.0.1:5433 --pg-user alice:secret -f examples/views.sql
--   PGPASSWORD=secret psql -h 127.0.0.1 -p 5433 -U alice streamsql
-- Both read the files already in their directories (start => 'earliest')
-- and every file moved in later.

-- A table kept up to date: one row per word.
CREATE MATERIALIZED VIEW word_counts AS
SELECT word, COUNT(*) AS n
FROM file('examples/logfile', start => 'earliest')
GROUP BY word;

-- A time series: the last 360 ten-second windows per sensor, for Grafana.
CREATE MATERIALIZED VIEW sensor_temps WITH (windows = 360) AS
SELECT window_end AS time, sensor, AVG(temp) AS avg_temp, MAX(temp) AS max_temp
FROM file('examples/sensors', format => 'jsonl', schema => 'sensor TEXT, temp DOUBLE, ts TIMESTAMP', start => 'earliest')
GROUP BY sensor
WINDOW 10s EVENT TIME ts LATENESS 5s;
