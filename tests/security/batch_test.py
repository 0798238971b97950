"""Item 7 (issue #11): unbounded JSON-RPC batches and XML-RPC multicalls.

Attack: one small POST holding thousands of calls (each `get_statistics all`) makes the daemon
build a reply hundreds of MB large; clients that send such batches and never read keep it all
in memory.
Expected: a batch over core.max_batch (100) is one JSON-RPC error -32600 naming 100 and
core.max_batch; 100 items still work; system.multicall over the cap is fault -32600; a reply over
http.max_reply is a JSON-RPC error naming http.max_reply; eight clients that never read keep
RSS growth < 200 MB, uptime answered within 1 s, and the growth goes once they leave.
"""
import json, os, socket, sys, time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seclib import *  # noqa: E402,F401


def batch(n, method="uptime", params=None):
    items = []
    for i in range(n):
        it = {"jsonrpc": "2.0", "method": method, "id": i + 1}
        if params is not None:
            it["params"] = params
        items.append(it)
    return json.dumps(items)


def multicall(n):
    call = ("<value><struct><member><name>methodName</name><value><string>uptime</string>"
            "</value></member><member><name>params</name><value><array><data/></array></value>"
            "</member></struct></value>")
    return ('<?xml version="1.0"?><methodCall><methodName>system.multicall</methodName><params>'
            "<param><value><array><data>" + call * n + "</data></array></value></param>"
            "</params></methodCall>")


d = start_daemon([])
f = mem_factor(d)

status, obj, raw = post_json(d, batch(101))
check(status == 200 and isinstance(obj, dict), "batch of 101: one JSON-RPC object, not a batch reply",
      "an object", raw[:300])
err = rpc_error(obj)
check(err is not None and err.get("code") == -32600, "batch of 101: error -32600", -32600, raw[:300])
t = err_text(err)
check("100" in t and "core.max_batch" in t, "batch of 101: the error names 100 and core.max_batch",
      "'100' and 'core.max_batch'", t or raw[:300])

status, obj, raw = post_json(d, batch(100))
check(isinstance(obj, list) and len(obj) == 100 and all("result" in x for x in obj),
      "batch of 100 uptime: 100 results", "a list of 100 results",
      f"{type(obj).__name__} of {len(obj) if isinstance(obj, list) else '-'}: {raw[:200]}")

status, res = post_xml(d, multicall(101))
check(res[0] == "fault" and res[1] == -32600, "system.multicall of 101 calls: fault -32600",
      "faultCode -32600", res)
check(res[0] == "fault" and "100" in res[2], "system.multicall of 101: the fault names the cap 100",
      "'100' in faultString", res)
status, res = post_xml(d, multicall(100))
check(res[0] == "ok" and isinstance(res[1], list) and len(res[1]) == 100,
      "system.multicall of 100 calls: 100 results", "100 results", str(res)[:200])

# Eight clients send a 100-item `get_statistics all` batch and never read the reply.
base = rss_kb(d.pid)
body = batch(100, "get_statistics", ["all"]).encode()
head = (f"POST /mi HTTP/1.1\r\nHost: 127.0.0.1:{d.http_port}\r\nContent-Type: application/json"
        f"\r\nContent-Length: {len(body)}\r\n\r\n").encode()
clients = []
for _ in range(8):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
    s.settimeout(5)
    s.connect(("127.0.0.1", d.http_port))
    for _ in range(5):  # pipelined: five batches each, none of them read
        try:
            s.sendall(head + body)
        except OSError:
            break
    clients.append(s)
peak = peak_rss_during(d.pid, 2.0)
assert_alive(d, when="while 8 clients do not read their batch replies")
status, _, b = http(d, "GET", "/json/uptime", timeout=3)
check(status == 200, "GET /json/uptime answered while the 8 clients do not read", 200, status)
peak = max(peak, peak_rss_during(d.pid, 1.0))
during = (peak - base) / 1024
log(f"RSS: baseline {base} kB, peak with 8 non-reading clients {peak} kB (+{during:.1f} MB)")
check(during < 200 * f, f"RSS growth with 8 non-reading clients {during:.1f} MB < {200 * f:.0f} MB",
      f"< {200 * f:.0f} MB", f"{during:.1f} MB")
for s in clients:
    s.close()
settled = wait_for(lambda: (rss_kb(d.pid) - base) / 1024 < 100 * f and
                   (get_stat(d, "http:connections") or 0) <= 1, 10, 0.2)
after = (rss_kb(d.pid) - base) / 1024
log(f"RSS after they left: {rss_kb(d.pid)} kB (+{after:.1f} MB over the baseline)")
check(after < 100 * f, f"RSS after the clients left: +{after:.1f} MB < {100 * f:.0f} MB",
      f"< {100 * f:.0f} MB", f"{after:.1f} MB")
assert_alive(d)
d.stop()

# A reply over http.max_reply is an error naming the key, not a big reply.
m = start_daemon(["http.max_reply=4096"], must_start=False)
if m is not None:
    status, obj, raw = post_json(m, batch(100, "get_statistics", ["all"]))
    err = rpc_error(obj)
    check(status == 200 and err is not None, "http.max_reply=4096, 100 x get_statistics all: "
          "one JSON-RPC error", "an error object", raw[:300])
    check("http.max_reply" in err_text(err), "the error names http.max_reply", "http.max_reply",
          raw[:300])
    check(len(raw) < 4096, f"the reply is small ({len(raw)} bytes)", "< 4096 bytes", len(raw))
    assert_alive(m)
finish()
