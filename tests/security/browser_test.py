"""Item 6 (issue #11): browser attacks on the loopback HTTP port.

Attack: any web page the operator visits can make the browser GET http://127.0.0.1:8888/json/kill
(an <img> tag: no CORS preflight), POST cross-origin to /mi, or reach the port under its own
host name through DNS rebinding. XML-RPC introspection bypassed the dispatcher (uncounted).
Expected: GET /json/<write> is 405 (Allow: POST) unless http.json_get_writes=on; a Host not in
http.allowed_hosts is 403; a foreign or null Origin is 403 unless in http.allowed_origins;
system.methodHelp is counted in mi:calls.
"""
import json, os, sys, xmlrpc.client

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seclib import *  # noqa: E402,F401

UPTIME = json.dumps({"jsonrpc": "2.0", "method": "uptime", "id": 1})


def body_json(body):
    try:
        return json.loads(body)
    except ValueError:
        return None


def not_error(body):
    j = body_json(body)
    return j is not None and not (isinstance(j, dict) and "error" in j)


d = start_daemon([])
base = rss_kb(d.pid)
P = d.http_port

# GET of a state-changing command: 405, Allow: POST, a body that explains; nothing runs.
status, hdrs, body = http(d, "GET", "/json/kill")
check(status == 405, "GET /json/kill: 405", 405, f"{status} {body[:200]!r}")
check("POST" in hdrs.get("allow", ""), "GET /json/kill: Allow: POST", "Allow: POST", hdrs)
check(len(body.strip()) > 0, "GET /json/kill: a body that explains", "non-empty", body)
check(d.alive(), "GET /json/kill: the daemon did not exit", "running", "exited")
assert_alive(d, when="after GET /json/kill")
status, hdrs, body = http(d, "GET", "/json/uptime")
check(status == 200 and b"Up time" in body, "GET /json/uptime: 200 with the result", 200,
      f"{status} {body[:200]!r}")
status, hdrs, body = http(d, "GET", "/json/cdr_flush")
check(status == 405, "GET /json/cdr_flush: 405", 405, f"{status} {body[:200]!r}")

# DNS rebinding: the request reaches 127.0.0.1 with the attacker's host name.
status, hdrs, body = http(d, "GET", "/json/uptime", headers={"Host": f"evil.example:{P}"})
check(status == 403, "Host: evil.example: 403", 403, f"{status} {body[:200]!r}")
check(b"http.allowed_hosts" in body, "Host: evil.example: the body names http.allowed_hosts",
      "http.allowed_hosts", body)
for host in (f"localhost:{P}", f"127.0.0.1:{P}"):
    status, hdrs, body = http(d, "GET", "/json/uptime", headers={"Host": host})
    check(status == 200, f"Host: {host}: 200", 200, f"{status} {body[:200]!r}")
status, _, raw = http(d, "POST", "/mi", UPTIME, {**JSON_CT, "Host": f"evil.example:{P}"})
check(status == 403, "POST /mi with Host: evil.example: 403", 403, f"{status} {raw[:200]!r}")

# Cross-origin POSTs (a form or fetch() from another site carries Origin).
for origin in ("http://evil.example", "null", f"http://evil.example:{P}"):
    status, _, raw = http(d, "POST", "/mi", UPTIME, {**JSON_CT, "Origin": origin})
    check(status == 403, f"POST /mi with Origin: {origin}: 403", 403, f"{status} {raw[:200]!r}")
    if origin != "null":
        check(b"http.allowed_origins" in raw, f"Origin: {origin}: the body names "
              "http.allowed_origins", "http.allowed_origins", raw)
status, _, raw = http(d, "POST", "/RPC2", '<?xml version="1.0"?><methodCall><methodName>uptime'
                      '</methodName></methodCall>', {**XML_CT, "Origin": "http://evil.example"})
check(status == 403, "POST /RPC2 with Origin: http://evil.example: 403", 403, status)
for origin in (f"http://127.0.0.1:{P}",):
    status, _, raw = http(d, "POST", "/mi", UPTIME, {**JSON_CT, "Origin": origin})
    check(status == 200 and b"result" in raw, f"POST /mi with Origin: {origin}: 200", 200,
          f"{status} {raw[:200]!r}")

# XML-RPC introspection goes through the dispatcher: each methodHelp is one mi:calls.
proxy = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{P}/RPC2")
try:
    methods = proxy.system.listMethods()
    check("uptime" in methods, "system.listMethods lists uptime", "uptime", methods[:10])
    s0 = get_stat(d, "mi:calls")
    s1 = get_stat(d, "mi:calls")
    for _ in range(3):
        h = proxy.system.methodHelp("uptime")
    s2 = get_stat(d, "mi:calls")
    check(isinstance(h, str) and h, "system.methodHelp('uptime'): a help text", "text", h)
    if None in (s0, s1, s2):
        fail("mi:calls readable with get_statistics over the FIFO", "mi:calls:: N", (s0, s1, s2))
    else:
        per_read = s1 - s0
        log(f"mi:calls {s0} -> {s1} (one read) -> {s2} (3 methodHelp + one read)")
        check(s2 - s1 == 3 + per_read, "3 system.methodHelp calls add 3 to mi:calls",
              f"+{3 + per_read}", f"+{s2 - s1}")
except Exception as e:
    fail("XML-RPC introspection", "answers", repr(e))
assert_alive(d)
d.stop()

# The operator's own choices: an allowed panel host and origin, admin for anonymous callers.
a = start_daemon(["http.allowed_hosts=panel.example", "http.allowed_origins=http://panel.example",
                  "http.anonymous_role=admin"] + sip_sets(), must_start=False)
if a is not None:
    status, _, body = http(a, "GET", "/json/uptime", headers={"Host": "panel.example"})
    check(status == 200, "http.allowed_hosts=panel.example: Host panel.example: 200", 200,
          f"{status} {body[:200]!r}")
    status, _, body = http(a, "GET", "/json/uptime", headers={"Host": f"evil.example:{a.http_port}"})
    check(status == 403, "http.allowed_hosts=panel.example: Host evil.example still 403", 403, status)
    status, _, raw = http(a, "POST", "/mi", UPTIME, {**JSON_CT, "Origin": "http://panel.example"})
    check(status == 200, "http.allowed_origins: Origin http://panel.example: 200", 200,
          f"{status} {raw[:200]!r}")
    status, _, body = http(a, "POST", "/json/cdr_flush")
    check(status == 200 and not_error(body), "POST /json/cdr_flush (anonymous admin): 200, no error",
          "200 with a result", f"{status} {body[:200]!r}")
    status, _, body = http(a, "GET", "/json/cdr_flush")
    check(status == 405, "GET /json/cdr_flush (admin, json_get_writes off): 405", 405, status)
    a.stop()
g = start_daemon(["http.anonymous_role=admin", "http.json_get_writes=on"] + sip_sets(),
                 must_start=False)
if g is not None:
    status, _, body = http(g, "GET", "/json/cdr_flush")
    check(status == 200 and not_error(body), "http.json_get_writes=on: GET /json/cdr_flush works",
          "200 with a result", f"{status} {body[:200]!r}")
    assert_alive(g)
finish()
