#!/usr/bin/env python3
"""xmlrpc_client.py: POST /RPC2 checked with a client we did not write, Python's
xmlrpc.client.ServerProxy (standard library only), plus a few raw requests Python's client
cannot produce (<i8>, a wide <int>, malformed XML).

Usage: xmlrpc_client.py http://127.0.0.1:<port>/RPC2
Every check runs and reports; the exit status is 1 when any failed. Run by xmlrpc_python_test.sh.
"""
import http.client
import sys
import urllib.parse
import xmlrpc.client

URL = sys.argv[1]
failures = 0


def fail(what, detail):
    global failures
    failures += 1
    print(f"FAIL: {what}: {detail}", file=sys.stderr)


def check(what, fn):
    """Runs fn(); it returns None (pass) or a failure text. Exceptions are failures too."""
    try:
        problem = fn()
    except Exception as e:  # noqa: BLE001 - report anything
        problem = f"raised {type(e).__name__}: {e}"
    if problem:
        fail(what, problem)


def proxy():
    return xmlrpc.client.ServerProxy(URL, allow_none=True)


def expect_fault(what, code, call, text=None):
    def run():
        try:
            got = call()
        except xmlrpc.client.Fault as f:
            if f.faultCode != code:
                return f"faultCode {f.faultCode} ({f.faultString!r}), expected {code}"
            if text is not None and text not in f.faultString:
                return f"faultString {f.faultString!r} lacks {text!r}"
            return None
        return f"returned {got!r}, expected a fault {code}"
    check(what, run)


def raw_post(body, content_type="text/xml"):
    """POSTs bytes to /RPC2; returns (HTTP status, Content-Type, body bytes)."""
    u = urllib.parse.urlsplit(URL)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    try:
        conn.request("POST", u.path, body=body, headers={"Content-Type": content_type})
        r = conn.getresponse()
        return r.status, r.getheader("Content-Type"), r.read()
    finally:
        conn.close()


def raw_call(body):
    """POSTs a hand-written methodCall; returns the decoded result or raises Fault."""
    status, ctype, data = raw_post(body)
    if status != 200:
        raise AssertionError(f"HTTP {status}, expected 200")
    if not (ctype or "").startswith("text/xml"):
        raise AssertionError(f"Content-Type {ctype!r}, expected text/xml")
    params, _ = xmlrpc.client.loads(data, use_builtin_types=True)
    return params[0]


def call_xml(method, *values):
    params = "".join(f"<param><value>{v}</value></param>" for v in values)
    return (f"<?xml version='1.0'?><methodCall><methodName>{method}</methodName>"
            f"<params>{params}</params></methodCall>").encode()


s = proxy()

# --- plain calls ---------------------------------------------------------------------------------
def uptime():
    r = s.uptime()
    if not isinstance(r, dict) or "Up time" not in r:
        return f"got {r!r}, expected a struct with 'Up time'"
    if list(r)[:3] != ["Now", "Up since", "Up time"]:
        return f"members in order {list(r)}, expected Now, Up since, Up time (insertion order)"
check("uptime()", uptime)

def roundtrip(text):
    def run():
        r = s.print(text)
        if r != text:
            return f"got {r!r}, expected {text!r}"
    return run
check("print('héllo <&>')", roundtrip("héllo <&>"))
check("print with quotes and ]]>", roundtrip("a \"b\" 'c' ]]> d"))
check("print with an emoji (outside the BMP)", roundtrip("smile \U0001F600 and \U00010348"))
check("print with TAB and LF", roundtrip("line1\n\tline2"))
check("core:print (module:name)", lambda: None if getattr(s, "core:print")("q") == "q" else "wrong")

def coerced(value, expected):
    def run():
        r = s.print(value)
        if r != expected:
            return f"got {r!r}, expected {expected!r}"
    return run
check("print(42): an <int> for a string param", coerced(42, "42"))
check("print(-7)", coerced(-7, "-7"))

def named():
    r = s.print({"text": "x"})
    if r != "x":
        return f"got {r!r}, expected 'x'"
check("print({'text': 'x'}): one struct = named params", named)

def stats():
    r = s.get_statistics(["mi:calls"])
    if not isinstance(r, dict) or "mi:calls" not in r:
        return f"got {r!r}, expected a struct with 'mi:calls'"
    if type(r["mi:calls"]) is not int:
        return f"mi:calls is {type(r['mi:calls']).__name__} {r['mi:calls']!r}, expected an int"
check("get_statistics(['mi:calls'])", stats)

def log_level():
    r = s.log_level()
    if not isinstance(r, dict) or "Log level" not in r:
        return f"got {r!r}"
check("log_level()", log_level)

# --- introspection -------------------------------------------------------------------------------
def list_methods():
    r = s.system.listMethods()
    missing = [m for m in ("uptime", "print", "log_level", "system.listMethods",
                           "system.methodHelp", "system.methodSignature", "system.multicall")
               if m not in r]
    if missing:
        return f"{missing} missing from {r!r}"
check("system.listMethods()", list_methods)

def method_help():
    r = s.system.methodHelp("print")
    if not isinstance(r, str) or "Echo" not in r or "text (string)" not in r:
        return f"got {r!r}"
check("system.methodHelp('print')", method_help)

def method_signature():
    r = s.system.methodSignature("log_level")
    # `level` is optional; further optional params may follow it.
    if r[:2] != [["struct"], ["struct", "string"]] or any(sig[0] != "struct" for sig in r):
        return f"got {r!r}, expected [['struct'], ['struct', 'string'], ...]"
check("system.methodSignature('log_level')", method_signature)
expect_fault("system.methodHelp('nosuch')", -32601, lambda: s.system.methodHelp("nosuch"))

# --- faults (HTTP 200, faultCode per the mapping table) ------------------------------------------
expect_fault("unknown method", -32601, lambda: s.nosuch(), "Method not found")
expect_fault("print(): too few arguments", -32602, lambda: s.print(),
             "Too few or too many arguments")
expect_fault("print('a', 'b'): too many arguments", -32602, lambda: s.print("a", "b"))
expect_fault("log_level('bogus'): bad parameter", -32602, lambda: s.log_level("bogus"),
             "Bad parameter 'level'")
expect_fault("help('nosuch'): a handler's 404", 404, lambda: s.help("nosuch"))
# Python's client sends control characters raw: not XML, so a parse error fault (not silence).
expect_fault("print('a\\x01b'): not well-formed XML", -32700, lambda: s.print("a\x01b"))

# --- system.multicall via xmlrpc.client.MultiCall ------------------------------------------------
def multicall():
    m = xmlrpc.client.MultiCall(s)
    m.uptime()
    m.print("one")
    m.nosuch()
    m.print()
    m.print({"text": "named"})
    m.system.methodSignature("uptime")
    results = m()
    out = []
    for i in range(6):
        try:
            out.append(("ok", results[i]))
        except xmlrpc.client.Fault as f:
            out.append(("fault", f.faultCode))
    if out[0][0] != "ok" or "Up time" not in out[0][1]:
        return f"item 0: {out[0]!r}"
    expected = [("ok", "one"), ("fault", -32601), ("fault", -32602), ("ok", "named"),
                ("ok", [["struct"]])]
    if out[1:] != expected:
        return f"items 1-5: {out[1:]!r}, expected {expected!r}"
check("system.multicall (MultiCall)", multicall)

# --- raw requests Python's client does not send -------------------------------------------------
def raw_i8():
    r = raw_call(call_xml("print", "<i8>1099511627776</i8>"))
    if r != "1099511627776":
        return f"got {r!r}"
check("print(<i8>1099511627776</i8>)", raw_i8)

def raw_wide_int():
    r = raw_call(call_xml("print", "<int>2147483648</int>"))
    if r != "2147483648":
        return f"got {r!r}"
check("print(<int>2147483648</int>) read as i8", raw_wide_int)

def raw_untyped():
    r = raw_call(call_xml("print", "untyped text"))
    if r != "untyped text":
        return f"got {r!r}"
check("print(<value>untyped text</value>)", raw_untyped)

def raw_no_params():
    r = raw_call(b"<methodCall><methodName>uptime</methodName></methodCall>")
    if "Up time" not in r:
        return f"got {r!r}"
check("uptime without <params>", raw_no_params)

def raw_fault(body, code):
    def run():
        try:
            got = raw_call(body)
        except xmlrpc.client.Fault as f:
            return None if f.faultCode == code else f"faultCode {f.faultCode}, expected {code}"
        return f"returned {got!r}, expected a fault {code}"
    return run
check("malformed XML → -32700", raw_fault(b"<methodCall><methodName>x</methodName>", -32700))
check("not a methodCall → -32600", raw_fault(b"<foo/>", -32600))
check("bad <i8> → -32600 (xmlrpc-c would crash)", raw_fault(call_xml("print", "<i8>1x</i8>"), -32600))

def still_alive():
    r = s.print("still here")
    if r != "still here":
        return f"got {r!r}"
check("the daemon still answers after the bad requests", still_alive)

if failures:
    print(f"xmlrpc_client: {failures} check(s) failed", file=sys.stderr)
    sys.exit(1)
print("xmlrpc_client: all checks passed")
