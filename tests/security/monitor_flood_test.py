"""Item 8 (issue #11): monitor memory before login (telnet negotiation flood).

Attack: one unauthenticated TCP client sends IAC DO x (3 bytes) over and over and never reads.
Each one is answered IAC WONT x; the answers pile up in the daemon's output queue (per-write
allocations included) without bound: 50 MB in, hundreds of MB of RSS.
Expected: once a connection's queued output passes monitor.max_output (1 MiB) it is dropped: our
sends fail (EPIPE / ECONNRESET) or the socket reads EOF; RSS growth < 64 MB; uptime over the
FIFO within 1 s during and after.
"""
import errno, os, select, socket, sys, time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seclib import *  # noqa: E402,F401

TOTAL = 50 * 1024 * 1024
CHUNK = b"\xff\xfd\x01" * 21846  # ~64 KiB of IAC DO ECHO

d = start_daemon([])
base = rss_kb(d.pid)
bound_mb = 64 * mem_factor(d)

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # never read: keep our window small
s.connect(("127.0.0.1", d.monitor_port))
s.setblocking(False)

sent = 0
closed = None
peak = base
checked_during = False
last_progress = time.monotonic()
t0 = time.monotonic()
while sent < TOTAL and time.monotonic() - t0 < 40:
    _, w, x = select.select([], [s], [s], 0.2)
    if w:
        try:
            n = s.send(CHUNK)
            sent += n
            last_progress = time.monotonic()
        except BlockingIOError:
            pass
        except OSError as e:
            closed = f"send failed: {errno.errorcode.get(e.errno, e.errno)}"
            break
    peak = max(peak, rss_kb(d.pid))
    if not checked_during and sent > 512 * 1024:  # before monitor.max_output is reached
        checked_during = True
        assert_alive(d, when=f"during the flood ({sent // 1024} KB sent)")
    # The server stopped reading us: is the connection gone, or only paused (backpressure)?
    if time.monotonic() - last_progress > 5:
        state = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]
        if state != 1:  # not ESTABLISHED: CLOSE_WAIT (the daemon closed) or CLOSE (reset)
            closed = f"TCP state {state} (the daemon closed it)"
            break
        log(f"no progress for 5 s after {sent} bytes and the connection is still open")
        break
elapsed = time.monotonic() - t0
peak = max(peak, rss_kb(d.pid))
log(f"sent {sent} bytes in {elapsed:.1f} s; connection: {closed or 'still open'}")
check(closed is not None, "the flooding connection was dropped (send error or EOF)",
      "EPIPE / ECONNRESET / EOF once the queued output passes monitor.max_output",
      f"still open after {sent} bytes ({elapsed:.1f} s)")
if not checked_during:
    assert_alive(d, when="at the end of the flood")
s.close()

grow = (peak - base) / 1024
log(f"RSS: baseline {base} kB, peak {peak} kB (+{grow:.1f} MB)")
check(grow < bound_mb, f"RSS growth during the flood {grow:.1f} MB < {bound_mb:.0f} MB",
      f"< {bound_mb:.0f} MB", f"{grow:.1f} MB")
assert_alive(d)

# The monitor still serves others.
try:
    mon = Monitor(d)
    out = mon.cmd("u")
    check("Up time::" in out, "a new monitor connection still gets 'u' answered", "Up time::", out)
    mon.close()
except OSError as e:
    fail("a new monitor connection after the flood", "the prompt", repr(e))
check(d.alive(), "daemon process still running", "running", "exited")
finish()
