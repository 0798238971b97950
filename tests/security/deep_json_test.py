"""Item 1 (issue #11): deeply nested JSON-RPC (50 000 levels in 100 KB) on every JSON transport.

Attack: params = [[[[...]]]] far deeper than core.max_nesting (64), sent to POST /mi, through the
FIFO's JSON dialect and as one unix datagram. A recursive parse/copy/free of such a tree
overflows the stack: one request kills the daemon.
Expected: JSON-RPC error -32600 naming the limit (64) and the key core.max_nesting; depth 65 is
refused too, depth 60 is not a nesting error; the daemon answers uptime within 1 s throughout.
"""
import json, os, sys, time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seclib import *  # noqa: E402,F401


def deep_request(depth, method="x"):
    return ('{"jsonrpc":"2.0","method":"%s","params":' % method + "[" * depth + "]" * depth
            + ',"id":1}')


def parse(text):
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


def expect_nesting_error(what, obj, raw):
    err = rpc_error(obj)
    check(err is not None and err.get("code") == -32600,
          f"{what}: JSON-RPC error -32600", '{"error":{"code":-32600,...}}', raw)
    t = err_text(err)
    check("64" in t and "core.max_nesting" in t,
          f"{what}: the error names the limit 64 and core.max_nesting",
          "'64' and 'core.max_nesting' in the error", t or raw)


d = start_daemon([])
base = rss_kb(d.pid)
bound_mb = 100 * mem_factor(d)

# HTTP POST /mi, 50 000 levels (100 KB, under http.max_body).
body = deep_request(50000)
log(f"POST /mi: {len(body)} bytes, 50000 levels")
status, obj, raw = post_json(d, body)
check(status == 200, "POST /mi 50000 levels: HTTP 200", 200, status)
expect_nesting_error("POST /mi 50000 levels", obj, raw)
assert_alive(d, when="after the 50000-level POST")

# Just over and under the limit.
status, obj, raw = post_json(d, deep_request(65))
check(status == 200, "POST /mi 65 levels: HTTP 200", 200, status)
expect_nesting_error("POST /mi 65 levels", obj, raw)

status, obj, raw = post_json(d, deep_request(60, "uptime"))
err = rpc_error(obj)
check(status == 200 and obj is not None, "POST /mi uptime with 60 levels: a JSON-RPC reply", 200,
      f"{status} {raw[:200]}")
check(not (err and (err.get("code") == -32600 or "max_nesting" in err_text(err))),
      "POST /mi uptime with 60 levels: not refused for nesting (an arity error is fine)",
      "no -32600 / core.max_nesting error", raw)

# FIFO, JSON dialect: ':<reply>:' + JSON in one write (under fifo.max_request = 64 KiB).
body = deep_request(30000)
log(f"FIFO JSON dialect: {len(body)} bytes, 30000 levels")
t0 = time.monotonic()
reply = fifo_json_call(d, body, timeout=5)
check(reply is not None, "FIFO JSON 30000 levels: a reply within 5 s", "a JSON-RPC line", reply)
expect_nesting_error("FIFO JSON 30000 levels", parse(reply), reply)
log(f"FIFO reply after {time.monotonic() - t0:.2f} s")
assert_alive(d, when="after the deep FIFO request")

# Unix datagram: one ~60 KB datagram (under datagram.max_size = 65457).
body = deep_request(30000)
log(f"unix datagram: {len(body)} bytes, 30000 levels")
reply = unix_dgram_call(d, body, timeout=5)
check(reply is not None, "unix datagram 30000 levels: a reply within 5 s", "a JSON-RPC reply", reply)
expect_nesting_error("unix datagram 30000 levels", parse(reply), reply)

# Many at once over HTTP: the limit must hold under repetition (no slow leak, no crash).
for _ in range(20):
    post_json(d, deep_request(50000))
assert_alive(d, when="after 20 more 50000-level POSTs")

grow = (rss_kb(d.pid) - base) / 1024
log(f"RSS: baseline {base} kB, now {rss_kb(d.pid)} kB (+{grow:.1f} MB)")
check(grow < bound_mb, f"RSS growth {grow:.1f} MB < {bound_mb:.0f} MB", f"< {bound_mb:.0f} MB",
      f"{grow:.1f} MB")
check(d.alive(), "daemon process still running", "running", "exited")
finish()
