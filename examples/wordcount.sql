-- The card query: count the words of the files in examples/logfile.
-- With --once it reads the files there now and prints one table; without
-- it, it watches the directory and counts the files moved in, every 10s.
SELECT word, COUNT(*) FROM file('examples/logfile') GROUP BY word WINDOW 10s;
