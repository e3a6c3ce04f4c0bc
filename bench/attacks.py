#!/usr/bin/env python3
"""The bounded issue's attacks, replayed against a running demo gateway.

Usage: target/release/majordomo demo --no-browser --listen 127.0.0.1:18080 &
       python3 bench/attacks.py "$(pgrep -f "majordomo demo --no-browser --listen 127.0.0.1:18080")"

Prints, for each attack, the HTTP status, the error codes and the time taken, and the
gateway's RSS (from /proc) before and after; BENCHMARKS.md ("Soak and fault") records a run.
"""
import json, socket, subprocess, time, urllib.request, os, sys
URL = "http://127.0.0.1:18080/graphql"
def post(body, raw=None, timeout=60):
    data = raw if raw is not None else json.dumps(body).encode()
    req = urllib.request.Request(URL, data=data, headers={"content-type": "application/json", "accept": "application/json"})
    t = time.time()
    try:
        r = urllib.request.urlopen(req, timeout=timeout); status = r.status; text = r.read()
    except urllib.error.HTTPError as e:
        status = e.code; text = e.read()
    dt = time.time() - t
    try: j = json.loads(text)
    except Exception: j = {"raw": text[:200].decode(errors="replace")}
    codes = [e.get("extensions", {}).get("code") for e in j.get("errors", [])] if isinstance(j, dict) else []
    return status, codes, dt, j
def rss(pid):
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmRSS"): return int(l.split()[1]) // 1024
pid = int(sys.argv[1])
print("RSS at start MiB", rss(pid))
d = 1500
s, c, dt, _ = post({"query": "{ jobs(filter: {namePattern: %s\"x\"%s}) { totalCount } }" % ("[" * d, "]" * d)})
print(f"nested literal 1500 deep ({2*d+60} B): HTTP {s} {c} in {dt*1000:.0f} ms")
q = "{ connections { ...F0 } } fragment F0 on Connection { name }\n" + "".join(f"fragment F{n} on Connection {{ ...F{n-1} a: name ...F{n-1} }}\n" for n in range(1, 31))
s, c, dt, _ = post({"query": q})
print(f"fragment bomb 30 levels ({len(q)} B): HTTP {s} {c} in {dt*1000:.0f} ms")
q = "{ jobs(first: 1000) { nodes { builds(first: 100) { nodes { stages { logTail } } } } } }"
s, c, dt, j = post({"query": q})
print(f"amplification ({len(q)} B): HTTP {s} {c} in {dt*1000:.0f} ms; message: {j.get('errors',[{}])[0].get('message','')[:160]}")
for i in range(6):
    s, c, dt, _ = post({"query": "query($n: String!) { job(connection: \"ci-prod\", fullName: $n) { name } }", "variables": {"n": "a" * 70000}})
print(f"70 KB fullName x6: last HTTP {s} {c}")
s, c, dt, j = post({"query": "{ connections { name status circuit: status } }"})
print("after them, ci-prod status:", [x["status"] for x in j["data"]["connections"] if x["name"] == "ci-prod"])
big = b'{"query":"{ connections { name } }","x":"' + b"a" * (200 * 1024 * 1024) + b'"}'
try:
    s, c, dt, _ = post(None, raw=big)
    print(f"200 MB body: HTTP {s} {c} in {dt*1000:.0f} ms")
except Exception as e:
    print("200 MB body: connection closed by the server:", type(e).__name__, e)
print("RSS after body MiB", rss(pid))
socks = []
for i in range(300):
    so = socket.create_connection(("127.0.0.1", 18080)); so.send(b"POST /graphql HTTP/1.1\r\nHost: x\r\n"); socks.append(so)
t = time.time()
closed = 0
for so in socks:
    so.settimeout(60)
    try:
        if so.recv(100) is not None: closed += 1
    except Exception: pass
print(f"300 half-sent request heads: {closed} closed by the server within {time.time()-t:.1f} s")
s, c, dt, _ = post({"query": "{ connections { name } }"})
print(f"served after: HTTP {s} in {dt*1000:.0f} ms; RSS MiB {rss(pid)}")
