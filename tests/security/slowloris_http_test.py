"""Item 10 a-c (issue #11): slowloris on HTTP.

Attack: (a) 300 connections each sending one header byte every 2 s (reconnecting when dropped),
(b) 2000 connections that send nothing, (c) one connection trickling its head for longer than
http.header_timeout_s. Before: http.connection_timeout_s (30 s) restarts at every byte and 256
such connections lock every operator out.
Expected: a legitimate GET /json/uptime on a fresh connection is answered within 3 s at any
moment (stale head-less connections are evicted: all clients share 127.0.0.1, so the admin gets
in by eviction, not by address); http:connections_refused or http:connections_evicted grows;
a head still incomplete after header_timeout_s is closed within header_timeout_s + 2 s.
"""
import errno, json, os, select, socket, sys, threading, time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seclib import *  # noqa: E402,F401

HEAD = b"GET /json/uptime HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 4000


def connect_nb(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))
    return s


class Prober(threading.Thread):
    """Every 0.5 s: GET /json/uptime on a fresh connection (3 s timeout); records the latencies."""

    def __init__(self, d):
        super().__init__(daemon=True)
        self.d, self.stop, self.results = d, threading.Event(), []

    def run(self):
        while not self.stop.is_set():
            t0 = time.monotonic()
            status, _, body = http(self.d, "GET", "/json/uptime", timeout=3)
            self.results.append((time.monotonic() - t0, status, body[:120]))
            self.stop.wait(0.5)


def http_stats(d):
    status, _, body = http(d, "GET", "/json/get_statistics?params=http:", timeout=5)
    try:
        return json.loads(body)
    except ValueError:
        return {}


d = start_daemon([])
base = rss_kb(d.pid)
f = mem_factor(d)
P = d.http_port

# (a) 300 trickling connections for 15 s.
conns = [[connect_nb(P), 0] for _ in range(300)]
reconnects = 0
prober = Prober(d)
prober.start()
t0 = time.monotonic()
tick = 0
while time.monotonic() - t0 < 15:
    for c in conns:
        s, off = c
        try:
            n = s.send(HEAD[off:off + 1])
            c[1] = (off + n) % len(HEAD)
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            c[0], c[1] = connect_nb(P), 0
            reconnects += 1
    tick += 1
    if tick == 4:
        assert_alive(d, when="during the 300-connection slowloris")
    time.sleep(max(0.0, t0 + 2 * tick - time.monotonic()))
prober.stop.set()
prober.join(5)
for s, _ in conns:
    s.close()
lat = [r[0] for r in prober.results]
bad = [r for r in prober.results if r[1] != 200 or r[0] > 3.0]
log(f"(a) {len(prober.results)} probes, worst {max(lat) if lat else -1:.2f} s, "
    f"{reconnects} attacker reconnects")
check(len(prober.results) >= 5, "(a) the prober ran during the attack", ">= 5 probes",
      len(prober.results))
check(not bad, "(a) every legitimate GET /json/uptime answered 200 within 3 s during the attack",
      "all 200 within 3 s", bad[:5])

# (b) 2000 idle connections.
before = http_stats(d)
idle = [connect_nb(P) for _ in range(2000)]
t1 = time.monotonic()
status, _, body = http(d, "GET", "/json/uptime", timeout=3)
dt = time.monotonic() - t1
check(status == 200 and dt <= 3.0, f"(b) with 2000 idle connections: GET /json/uptime answered "
      f"in {dt:.2f} s", "200 within 3 s", f"{status} after {dt:.2f} s {body[:100]!r}")
assert_alive(d, when="with 2000 idle connections open")
after = http_stats(d)
for s in idle:
    s.close()
grew = {k: (before.get(k, 0), after.get(k, 0)) for k in
        ("http:connections_refused", "http:connections_evicted")}
log(f"(b) statistics before/after: {grew}")
check(any(a > 0 and a > b for b, a in grew.values()),
      "(b) http:connections_refused or http:connections_evicted grew", "> 0 and growing", grew)
peak = rss_kb(d.pid)
grow = (peak - base) / 1024
check(grow < 150 * f, f"RSS growth {grow:.1f} MB < {150 * f:.0f} MB", f"< {150 * f:.0f} MB",
      f"{grow:.1f} MB")
assert_alive(d)
d.stop()

# (c) A head trickled past http.header_timeout_s = 2 is closed although bytes keep coming.
c = start_daemon(["http.header_timeout_s=2"], must_start=False)
if c is not None:
    s = socket.create_connection(("127.0.0.1", c.http_port), timeout=5)
    s.setblocking(False)
    t0 = time.monotonic()
    closed_at, how, off = None, None, 0
    while time.monotonic() - t0 < 10 and closed_at is None:
        try:
            off += s.send(HEAD[off:off + 1])
        except BlockingIOError:
            pass
        except OSError as e:
            closed_at, how = time.monotonic() - t0, f"send: {errno.errorcode.get(e.errno)}"
            break
        r, _, _ = select.select([s], [], [], 0.3)
        if r:
            try:
                data = s.recv(65536)
                if not data:
                    closed_at, how = time.monotonic() - t0, "EOF"
            except OSError as e:
                closed_at, how = time.monotonic() - t0, f"recv: {errno.errorcode.get(e.errno)}"
    s.close()
    log(f"(c) trickled {off} bytes; closed after {closed_at} s ({how})")
    check(closed_at is not None and closed_at <= 4.0,
          "(c) a head trickled past header_timeout_s=2 is closed within 4 s", "closed <= 4 s",
          f"closed after {closed_at} s ({how})" if closed_at else "still open after 10 s")
    assert_alive(c)
finish()
