"""A psycopg 3 client of streamsql's PostgreSQL wire server, for
TestPGClients: it prints what it reads, and the Go test compares the lines.

usage: client.py host port user password dir
"""
import os
import sys
import tempfile
import threading
import time

import psycopg

host, port, user, password, watched = sys.argv[1:6]


def feed(name, words):
    # Written elsewhere, then moved in: the watcher sees whole files.
    fd, tmp = tempfile.mkstemp()
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(words.split()) + "\n")
    os.rename(tmp, os.path.join(watched, name))


def wait_total(conn, total):
    deadline = time.time() + 60
    while time.time() < deadline:
        got = conn.execute("SELECT SUM(n) AS s FROM py_counts").fetchone()[0]
        if got == total:
            return
        time.sleep(0.01)
    raise SystemExit(f"the view never counted {total} words")


conn = psycopg.connect(host=host, port=port, user=user, password=password, dbname="streamsql", autocommit=True)
# start => 'earliest': a file moved in while the view's source starts
# watching is read either way (the default skips files already there).
conn.execute(f"CREATE MATERIALIZED VIEW py_counts AS SELECT word, COUNT(*) AS n FROM file('{watched}', start => 'earliest') GROUP BY word")
feed("1.txt", "a b a c a")
wait_total(conn, 5)

# Pull queries with a parameter, prepared and reused.
cur = conn.cursor()
for _ in range(20):
    for w in ["a", "b", "c", "zz"]:
        cur.execute("SELECT n FROM py_counts WHERE word = %s", (w,), prepare=True)
        rows = cur.fetchall()
for w in ["a", "b", "c", "zz"]:
    cur.execute("SELECT n FROM py_counts WHERE word = %s", (w,))
    print("pull", w, [r[0] for r in cur.fetchall()])

# Binary results.
bcur = conn.cursor(binary=True)
bcur.execute("SELECT word, n FROM py_counts ORDER BY word")
print("binary", bcur.fetchall())

# A subscription through a cursor: the view's rows, then its changes.
with conn.transaction():
    conn.execute("DECLARE c CURSOR FOR SUBSCRIBE TO py_counts")
    print("fetch", conn.execute("FETCH ALL c").fetchall())
    feed("2.txt", "b d")
    print("fetch", conn.execute("FETCH ALL c WITH (timeout = '60s')").fetchall())

# A positioned error with its SQLSTATE.
try:
    conn.execute("SELECT wrd FROM py_counts")
except psycopg.Error as e:
    print("error", e.sqlstate, e.diag.message_primary, e.diag.statement_position)

# Cancel a statement that waits for changes that never come.
other = psycopg.connect(host=host, port=port, user=user, password=password, dbname="streamsql", autocommit=True)
done = threading.Event()


def canceller():
    # A cancel that arrives before the statement runs is dropped (as
    # PostgreSQL drops it), so cancel until the statement ends.
    while not done.is_set():
        try:
            other.cancel_safe()
        except Exception as e:
            print("cancel:", e, file=sys.stderr)
        done.wait(0.1)


threading.Thread(target=canceller).start()
try:
    with other.transaction():
        other.execute("DECLARE w CURSOR FOR SUBSCRIBE TO py_counts")
        other.execute("FETCH ALL w")  # the view's rows: at once
        other.execute("FETCH ALL w")  # waits for a change: cancelled
    print("cancel", "not cancelled")
except psycopg.errors.QueryCanceled as e:
    print("cancel", e.sqlstate)
finally:
    done.set()
