"""GET /api/v1/events: a SIGTERM with event streams open.

Three streams are open: a python websockets consumer, a socket client that reads, and one that
stopped reading with the socket's buffers full. SIGTERM ends every stream at once (each client
sees its connection end: no hang) and the daemon exits 0 within core.shutdown_timeout_ms
(5000 ms), every stream having ended on its own (no "did not end; stopping anyway").
"""
import os
import signal
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from streamlib import *  # noqa: E402,F401,F403

EV = "E_CONFIG_CHANGED"  # {"revision": i, "source": <4 kB>, "changes": null}
PAD = "shutdown-" + "x" * 4000
d = start_daemon(["http.anonymous_role=admin", "core.max_batch=1000", "http.events_queue=5000"])

s = connect(d)
check((s.subscribe([EV, "E_CORE_SHUTDOWN"]) or {}).get("subscribed") == [EV, "E_CORE_SHUTDOWN"],
      "a python websockets stream subscribes", [EV, "E_CORE_SHUTDOWN"], s.snapshot())
reader = RawWs(d)
reader.send_text({"subscribe": ["E_CORE_SHUTDOWN"]})
first = [reader.read_message(5)[1] for _ in range(2)]
check(reader.status == 101 and b"subscribed" in first[1], "a socket client subscribes and keeps reading", 101,
      (reader.status, first))
stuck = RawWs(d, rcvbuf=4096)
stuck.send_text({"subscribe": [EV]})
first = [stuck.read_message(5)[1] for _ in range(2)]
check(stuck.status == 101 and b"subscribed" in first[1], "a third client subscribes, then stops reading", 101,
      (stuck.status, first))
# ~8 MB of events: the stuck client's socket buffers fill (a few MB), the daemon holds the rest
# (queue 5000: it is not too slow yet).
N = 2000
ok = True
for b in range(0, N, 100):
    status, replies = raise_batch(d, [("raise_event", {"event": EV, "params": {"revision": i, "source": PAD,
                                                                               "changes": None}})
                                      for i in range(b, b + 100)])
    ok = ok and status == 200 and isinstance(replies, list) and all("result" in r for r in replies)
    wait_for(lambda: s.count(EV) >= b + 100 or s.closed.is_set(), 10, 0.005)
check(ok, f"{N} events raised", "all succeed", status)
check(wait_for(lambda: s.count(EV) >= N, 10), "the python stream received them", N, s.count(EV))
check(get_stat(d, "http:event_streams") == 3, "http:event_streams is 3", 3, get_stat(d, "http:event_streams"))

t0 = time.monotonic()
d.proc.send_signal(signal.SIGTERM)
ended = s.closed.wait(5)
dt_ws = time.monotonic() - t0
check(ended, f"SIGTERM ends the python stream ({dt_ws:.2f} s; close code {s.close_code})", "closed within 5 s",
      "still open")
_, how_reader = reader.drain(5)
dt_reader = time.monotonic() - t0
check(how_reader in ("eof", "reset") or how_reader.startswith("close:"),
      f"the reading socket client sees its connection end ({how_reader}, {dt_reader:.2f} s)", "eof/close",
      how_reader)
texts, how_stuck = stuck.drain(10)  # it reads now: what was buffered, then the end
dt_stuck = time.monotonic() - t0
check(how_stuck in ("eof", "reset") or how_stuck.startswith("close:"),
      f"the stuck client's connection ends too ({len(texts)} of {N} messages were buffered, then {how_stuck}, "
      f"{dt_stuck:.2f} s)",
      "eof/close", how_stuck)
try:
    rc = d.proc.wait(10)
except Exception:  # noqa: BLE001 - subprocess.TimeoutExpired
    rc = None
dt_exit = time.monotonic() - t0
check(rc == 0, f"the daemon exits with status 0 ({dt_exit:.2f} s after SIGTERM)", 0, rc)
check(rc is not None and dt_exit < 5.5, "within core.shutdown_timeout_ms (5000 ms)", "< 5.5 s", round(dt_exit, 2))
log_text = d.log_text()
lingering = [l for l in log_text.splitlines() if "did not end" in l or "upgraded\" connection was not closed" in l]
check(not lingering, "every event stream ended on its own at shutdown (none left for the host to abandon)",
      "no 'did not end; stopping anyway'", lingering[:3])
shut = s.events("E_CORE_SHUTDOWN")
log(f"E_CORE_SHUTDOWN on the python stream before it closed: {shut[:1]}")
finish()
