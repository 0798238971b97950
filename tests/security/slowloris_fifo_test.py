"""Item 10 d (issue #11): slowloris on the FIFO (one stream shared by every writer).

Attack: a writer starts `:uptime:<x>\\n` and then trickles one byte of params every 200 ms
("a", newline, "a", ...), never the empty line that ends the request. If every byte restarted
fifo.request_timeout_ms, the request would never expire and every later request, queued behind
it in the one stream, would wait forever (or be swallowed as its params).
Expected (fifo.request_timeout_ms=1000): the deadline is absolute per request, so a
well-formed uptime from another client is answered within 2.5 s of being written, and the
trickler's request is answered 400 (or dropped) instead of running.
"""
import os, sys, time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seclib import *  # noqa: E402,F401

d = start_daemon(["fifo.request_timeout_ms=1000"])
base = rss_kb(d.pid)

xname, xpath = make_reply_fifo(d, "x" + str(os.getpid()))
xfd = open_reply(xpath)
rname, rpath = make_reply_fifo(d, "legit" + str(os.getpid()))
rfd = open_reply(rpath)

trickler = os.open(d.fifo, os.O_WRONLY | os.O_NONBLOCK)
os.set_blocking(trickler, True)
os.write(trickler, f":uptime:{xname}\n".encode())
t_start = time.monotonic()
x_reply, r_reply, t_legit, r_at, x_at = "", None, None, None, None
x_buf = b""
n = 0
while time.monotonic() - t_start < 6:
    # One byte every 200 ms: params "a\n", "a\n", ... never the empty line that ends a request.
    os.write(trickler, b"a" if n % 2 == 0 else b"\n")
    n += 1
    # The other client writes right after a newline, so its request starts at a line start
    # (mid-line, its bytes would be indistinguishable from the rest of the trickled param).
    if t_legit is None and n % 2 == 0 and time.monotonic() - t_start >= 0.5:
        fifo_write(d, f":uptime:{rname}\n\n")  # another client: one complete request
        t_legit = time.monotonic()
    if t_legit is not None and r_reply is None:
        r_reply = read_reply(rfd, 0.2)  # also paces the trickle (one byte per 200 ms)
        if r_reply is not None:
            r_at = time.monotonic() - t_legit
    else:
        time.sleep(0.2)
    try:
        chunk = os.read(xfd, 4096)
        x_buf += chunk
        if chunk and x_at is None:
            x_at = time.monotonic() - t_start
    except BlockingIOError:
        pass
    if r_reply is not None and x_at is not None:
        break
os.close(trickler)
x_reply = x_buf.decode("utf-8", "replace")
log(f"legit reply after {r_at} s: {r_reply!r}; trickler reply after {x_at} s: {x_reply!r}")
check(r_reply is not None and r_reply.startswith("200") and r_at is not None and r_at <= 2.5,
      "the other client's uptime is answered within 2.5 s while the trickle goes on",
      "200 OK within 2.5 s", f"{r_reply!r} after {r_at} s")
check(not x_reply.startswith("200"), "the trickled request did not run", "400 or nothing",
      x_reply)
check("Too few or too many" not in x_reply, "the other client's request was not taken as params "
      "of the trickled one", "400 (timeout), not an arity error", x_reply)
check(x_reply == "" or x_reply.startswith("400"), "the trickled request: 400 if answered",
      "400 ...", x_reply)
check(x_at is None or x_at <= 2.5, "the trickled request was answered by its deadline (+1.5 s)",
      "<= 2.5 s", x_at)

# After the trickler left: the FIFO serves requests again (within the documented timeout).
ok = wait_for(lambda: (fifo_call(d, ":uptime:\n\n", timeout=1) or "").startswith("200"), 5, 0.1)
check(ok, "after the trickler closed, an uptime is answered (within 5 s)", "200 OK", ok)
assert_alive(d)
os.close(xfd)
os.close(rfd)

grow = (rss_kb(d.pid) - base) / 1024
check(grow < 50 * mem_factor(d), f"RSS growth {grow:.1f} MB < {50 * mem_factor(d):.0f} MB",
      "small", f"{grow:.1f} MB")
check(d.alive(), "daemon process still running", "running", "exited")
finish()
