"""A 2xx means committed: 1 000 concurrent POST /subscribers, the daemon killed with SIGKILL in
the middle; after a restart on the same database every acknowledged subscriber is there, nothing
that was not attempted is, and every row is whole (both HA1 hashes, the database intact)."""
import concurrent.futures
import http.client
import json
import os
import re
import signal
import sqlite3
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import restlib  # noqa: E402
from restlib import check, finish, log, seclib  # noqa: E402

TOTAL = 1000
KILL_AFTER = 300  # acknowledged creates before the SIGKILL

d = restlib.start()
port = d.http_port
acknowledged, lock = [], threading.Lock()
killed = threading.Event()


def create(i):
    name = f"u{i:04d}"
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", "/api/v1/subscribers",
                     body=json.dumps({"username": name, "domain": "durable.test", "password": f"pw{i}"}),
                     headers={"Content-Type": "application/json", "Host": f"127.0.0.1:{port}"})
        status = conn.getresponse().status
        conn.close()
    except (OSError, http.client.HTTPException):
        return None  # the daemon died under it: not acknowledged
    if status == 201:
        with lock:
            acknowledged.append(name)
            if len(acknowledged) == KILL_AFTER and not killed.is_set():
                killed.set()
                os.kill(d.pid, signal.SIGKILL)  # in the middle of the others, without warning
    return status


with concurrent.futures.ThreadPoolExecutor(max_workers=64) as pool:
    statuses = list(pool.map(create, range(TOTAL)))
check(killed.is_set(), f"the daemon was killed after {KILL_AFTER} acknowledged creates", KILL_AFTER, len(acknowledged))
d.proc.wait(10)
check(d.proc.returncode == -signal.SIGKILL, "it died of SIGKILL", -signal.SIGKILL, d.proc.returncode)
log(f"{len(acknowledged)} creates acknowledged (201) of {TOTAL} sent before and after the SIGKILL; "
    f"{sum(1 for s in statuses if s is None)} got no answer")

db_path = os.path.join(d.tmp, "switchboard.db")
os.rename(d.stderr_path, d.stderr_path + ".killed")  # the restart's readiness is its own log line
d2 = restlib.start(tmp=d.tmp)
api = restlib.Api(d2)
stored, url = [], "/subscribers?limit=1000"
while url:
    r = api.request("GET", url)
    check(r.status == 200, "list the subscribers after the restart", 200, r.status)
    stored += [s["username"] for s in r.json["Subscribers"] if s["domain"] == "durable.test"]
    link = r.header("Link")
    url = link[len("</api/v1"):link.index(">")] if link else None
missing = sorted(set(acknowledged) - set(stored))
check(not missing, "every acknowledged subscriber survived the SIGKILL", [], missing[:10])
stray = [n for n in stored if not re.fullmatch(r"u\d{4}", n) or int(n[1:]) >= TOTAL]
check(not stray, "nothing that was not attempted is stored", [], stray[:10])

con = sqlite3.connect(db_path)
check(con.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "the database is intact")
half = con.execute("SELECT COUNT(*) FROM subscriber WHERE length(ha1) != 32 OR length(ha1b) != 32").fetchone()[0]
check(half == 0, "no half-written subscriber (both hashes whole)", 0, half)
con.close()
log(f"{len(stored)} stored (>= {len(acknowledged)} acknowledged: a create may commit and die before its answer)")
finish()
