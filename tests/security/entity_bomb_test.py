"""Item 3 (issue #11): billion laughs hidden from a byte scan by UTF-16 / UTF-32 encoding.

Attack: a DTD whose entities expand to 10^7 copies of "dha", encoded UTF-16 with a BOM,
UTF-16LE without a BOM and UTF-32: a filter that looks for "<!DOCTYPE" in the raw bytes misses
it, and the XML parser then expands it (hundreds of MB, seconds of CPU per request).
Expected: fault -32600 ("only UTF-8"), RSS growth < 50 MB; <!ENTITY after the root, a UTF-8 DTD
and an ISO-8859-1 declaration are refused (-32600); a UTF-8 body with a UTF-8 BOM still works.
"""
import os, sys, time, xmlrpc.client

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seclib import *  # noqa: E402,F401


def bomb(decl_encoding, levels=8):
    ents = ['<!ENTITY a0 "dha">']
    for i in range(1, levels):
        ents.append(f'<!ENTITY a{i} "' + f"&a{i - 1};" * 10 + '">')
    decl = f'<?xml version="1.0" encoding="{decl_encoding}"?>' if decl_encoding else \
        '<?xml version="1.0"?>'
    return (decl + "<!DOCTYPE methodCall [" + "".join(ents) + "]>"
            "<methodCall><methodName>print</methodName><params><param><value><string>"
            f"&a{levels - 1};</string></value></param></params></methodCall>")


def expect_refused(what, status, res, words=None):
    check(status == 200, f"{what}: HTTP 200", 200, status)
    check(res[0] == "fault" and res[1] == -32600, f"{what}: fault -32600", "faultCode -32600", res)
    if words and res[0] == "fault":
        check(words.lower() in res[2].lower(), f"{what}: faultString says '{words}'", words, res[2])


d = start_daemon([])
base = rss_kb(d.pid)
bound_mb = 50 * mem_factor(d)
peak = base

cases = [
    ("UTF-16 with BOM", bomb("UTF-16").encode("utf-16")),
    ("UTF-16LE without BOM", bomb("UTF-16").encode("utf-16-le")),
    ("UTF-16BE without BOM", bomb("UTF-16").encode("utf-16-be")),
    ("UTF-32 with BOM", bomb("UTF-32").encode("utf-32")),
]
for what, body in cases:
    t0 = time.monotonic()
    status, res = post_xml(d, body, timeout=30)
    dt = time.monotonic() - t0
    peak = max(peak, rss_kb(d.pid))
    log(f"{what}: {len(body)} bytes, answered in {dt:.2f} s: {status} {res}")
    expect_refused(f"entity bomb, {what}", status, res, "only UTF-8")
    check(dt < 5, f"entity bomb, {what}: answered in {dt:.2f} s (< 5 s: never expanded)", "< 5 s",
          f"{dt:.2f} s")
    assert_alive(d, when=f"after the {what} bomb")

# UTF-8 bombs: the DTD in the prolog, and an <!ENTITY> after the root (no DOCTYPE in the prolog).
status, res = post_xml(d, bomb(None).encode())
expect_refused("entity bomb in UTF-8 (DTD in the prolog)", status, res)
after_root = ('<?xml version="1.0"?><methodCall><methodName>uptime</methodName></methodCall>'
              '<!ENTITY a0 "dha">')
status, res = post_xml(d, after_root.encode())
expect_refused("<!ENTITY after the root element", status, res)
inside = ('<?xml version="1.0"?><methodCall><methodName>uptime</methodName><!ENTITY a0 "x">'
          '</methodCall>')
status, res = post_xml(d, inside.encode())
expect_refused("<!ENTITY inside the root element", status, res)

# Another declared encoding.
latin = ('<?xml version="1.0" encoding="ISO-8859-1"?><methodCall><methodName>print'
         '</methodName><params><param><value><string>caf\xe9</string></value></param></params>'
         '</methodCall>').encode("latin-1")
status, res = post_xml(d, latin)
expect_refused("encoding=\"ISO-8859-1\"", status, res)

peak = max(peak, rss_kb(d.pid))
grow = (peak - base) / 1024
log(f"RSS: baseline {base} kB, peak {peak} kB (+{grow:.1f} MB)")
check(grow < bound_mb, f"RSS growth {grow:.1f} MB < {bound_mb:.0f} MB", f"< {bound_mb:.0f} MB",
      f"{grow:.1f} MB")

# Positive cases: Python's xmlrpc.client, and a UTF-8 body that starts with a UTF-8 BOM.
proxy = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{d.http_port}/RPC2")
try:
    up = proxy.uptime()
    check(isinstance(up, dict) and "Up time" in up, "ServerProxy uptime(): a result", "a struct",
          up)
    got = proxy.print("gr\u00fc\u00dfe")
    check(got == "gr\u00fc\u00dfe", "ServerProxy print('gr\u00fc\u00dfe'): UTF-8 text round-trips",
          "gr\u00fc\u00dfe", got)
except Exception as e:
    fail("ServerProxy calls", "results", repr(e))
bom_body = b"\xef\xbb\xbf" + b'<?xml version="1.0" encoding="UTF-8"?><methodCall>' \
    b"<methodName>uptime</methodName></methodCall>"
status, res = post_xml(d, bom_body)
check(status == 200 and res[0] == "ok" and isinstance(res[1], dict) and "Up time" in res[1],
      "UTF-8 body with a UTF-8 BOM calling uptime: a result", "the uptime struct", res)

assert_alive(d)
check(d.alive(), "daemon process still running", "running", "exited")
finish()
