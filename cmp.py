import json, subprocess
want=json.load(open("want.json"))
for kind,j in [("inner","JOIN"),("left","LEFT JOIN")]:
    q=f"SELECT a.v, b.v AS bv FROM file('a', format => 'jsonl') AS a {j} file('b', format => 'jsonl') AS b WITHIN 2s EVENT TIME (a.t, b.t) LATENESS 6s ON a.k = b.k"
    out=subprocess.run(["/tmp/ssql","--once","--output","jsonl","-e",q],capture_output=True,text=True)
    got=sorted([tuple(json.loads(l).values()) for l in out.stdout.splitlines()], key=repr)
    w=sorted([tuple(x) for x in want[kind]], key=repr)
    print(kind, "OK" if got==w else "BAD", len(got), len(w), out.stderr.strip()[-120:])
