"""Issue #11, new-user finding: a second daemon on the same FIFO / database.

Attack (or accident: a second `scripts/run.sh`): start another switchboard with the same
fifo.path and core.db but other ports. It used to replace the first one's FIFO (a "stale FIFO
is replaced") and share its SQLite database: the first daemon's clients then talk to the second,
and when the second stops it removes the FIFO.
Expected: the second exits non-zero with a message naming the first daemon's pid; the first
one's FIFO (same inode) keeps answering uptime.
"""
import os, sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seclib import *  # noqa: E402,F401

d = start_daemon([])
base = rss_kb(d.pid)
ino = os.stat(d.fifo).st_ino
r = fifo_call(d, ":subscriber_list:\n\n")  # touch the database path once (any reply is fine)

rc, out, second = start_expect_exit([f"fifo.path={d.fifo}", f"core.db={d.db}"])
log(f"second daemon: {'still running' if rc is None else f'exit {rc}'}; output: {out.strip()[-400:]!r}")
check(rc is not None and rc != 0, "the second daemon on the same FIFO/db exits non-zero",
      "non-zero exit", "still running" if rc is None else f"exit {rc}")
check(str(d.pid) in out, f"its message names the first daemon's pid {d.pid}", str(d.pid),
      out[-400:])
if rc is None:
    second.stop()  # what an operator would do next: it must not take the first's FIFO along

check(os.path.exists(d.fifo) and os.stat(d.fifo).st_ino == ino,
      "the FIFO path is still the first daemon's FIFO (same inode)", f"inode {ino}",
      os.stat(d.fifo).st_ino if os.path.exists(d.fifo) else "missing")
assert_alive(d, when="after the second daemon's attempt")
r = fifo_call(d, ":ps:\n\n") or ""
check(r.startswith("200"), "the first daemon answers ps over its FIFO", "200 OK", r[:200])

assert_alive(d)
grow = (rss_kb(d.pid) - base) / 1024
check(grow < 50 * mem_factor(d), f"RSS growth {grow:.1f} MB", "small", f"{grow:.1f} MB")
check(d.alive(), "the first daemon is still running", "running", "exited")
finish()
