"""Item 2 (issue #11): deeply nested XML on POST /RPC2.

Attack: 340 000 nested elements in 1 MB (under http.max_body), and XML-RPC arrays nested 70
deep. xmlrpc-c builds and frees its element tree recursively: one request overflows the stack.
Expected: HTTP 200 with fault -32600 whose faultString mentions the nesting limit; 10 nested
arrays are not a nesting fault; the daemon answers uptime within 1 s during and after.
"""
import os, sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seclib import *  # noqa: E402,F401

HEAD = '<?xml version="1.0"?><methodCall><methodName>%s</methodName><params><param>'
TAIL = "</param></params></methodCall>"


def nested_arrays(depth, method="uptime"):
    inner = "<value><int>1</int></value>"
    for _ in range(depth):
        inner = "<value><array><data>" + inner + "</data></array></value>"
    return HEAD % method + inner + TAIL


def expect_nesting_fault(what, status, res):
    check(status == 200, f"{what}: HTTP 200", 200, status)
    check(res[0] == "fault" and res[1] == -32600, f"{what}: fault -32600", "faultCode -32600", res)
    text = res[2] if res[0] == "fault" else ""
    check("nesting" in text.lower() or "max_nesting" in text,
          f"{what}: faultString mentions the nesting limit", "'nesting' / core.max_nesting", text)


d = start_daemon([])
base = rss_kb(d.pid)
bound_mb = 150 * mem_factor(d)

# 340 000 open elements, never closed: ~1 MB.
body = (HEAD % "uptime" + "<value>") + "<a>" * 340000
log(f"POST /RPC2: {len(body)} bytes, 340000 nested elements")
status, res = post_xml(d, body)
expect_nesting_fault("340000 nested elements", status, res)
assert_alive(d, when="after 340000 nested elements")

# The same, closed properly (a well-formed document is parsed further by a naive decoder).
body = HEAD % "uptime" + "<value>" + "<a>" * 140000 + "</a>" * 140000 + "</value>" + TAIL
status, res = post_xml(d, body)
expect_nesting_fault("140000 nested elements, well-formed (under http.max_body)", status, res)
assert_alive(d, when="after the well-formed deep document")

# XML-RPC values: arrays 70 deep (over core.max_nesting = 64), and 10 deep (fine).
status, res = post_xml(d, nested_arrays(70))
expect_nesting_fault("arrays nested 70 deep", status, res)

status, res = post_xml(d, nested_arrays(10))
check(status == 200 and res[0] in ("ok", "fault"), "arrays nested 10 deep: an XML-RPC reply",
      "HTTP 200 with a result or fault", f"{status} {res}")
check(not (res[0] == "fault" and (res[1] == -32600 or "nesting" in res[2].lower())),
      "arrays nested 10 deep: not refused for nesting (an arity fault is fine)",
      "no -32600 nesting fault", res)

# Structs nested 70 deep count too.
inner = "<value><int>1</int></value>"
for _ in range(70):
    inner = "<value><struct><member><name>k</name>" + inner + "</member></struct></value>"
status, res = post_xml(d, HEAD % "uptime" + inner + TAIL)
expect_nesting_fault("structs nested 70 deep", status, res)

# Repeated: the limit holds, memory does not creep.
for _ in range(10):
    post_xml(d, (HEAD % "uptime" + "<value>") + "<a>" * 340000)
assert_alive(d, when="after 10 more deep documents")

grow = (rss_kb(d.pid) - base) / 1024
log(f"RSS: baseline {base} kB, now {rss_kb(d.pid)} kB (+{grow:.1f} MB)")
check(grow < bound_mb, f"RSS growth {grow:.1f} MB < {bound_mb:.0f} MB", f"< {bound_mb:.0f} MB",
      f"{grow:.1f} MB")
check(d.alive(), "daemon process still running", "running", "exited")
finish()
