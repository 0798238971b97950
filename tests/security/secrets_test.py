"""Item 4 (issue #11): secrets readable by read-only callers (argv, logs, errors, modules).

Attack: a read-only token holder calls `arg` (the daemon's argv, with --set http.tokens=...)
to read the admin token; credentials leak through the log, a start-up error message, and a
module's secret parameter in `module_list`.
Expected: `arg` needs the admin role; the admin sees `http.tokens=***`; the log never holds a
token; a malformed http.basic_auth names the key, not the password; module_list hides api_key.
"""
import os, sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seclib import *  # noqa: E402,F401

RO, ADMIN = "ROTOKEN123", "ADMINTOKEN456"
tmp = make_tmpdir()
logf = os.path.join(tmp, "log")
d = start_daemon([f"http.tokens={RO}:read_only,{ADMIN}:admin", f"core.log_file={logf}"], tmp=tmp)
base = rss_kb(d.pid)

# Without a token: 401 (credentials are configured).
status, obj, raw = jsonrpc(d, "uptime")
check(status == 401, "POST /mi without a token: 401", 401, f"{status} {raw[:200]}")

# The read-only token cannot read argv.
status, obj, raw = jsonrpc(d, "arg", headers={"Authorization": f"Bearer {RO}"})
err = rpc_error(obj)
check(status == 200 and err is not None, "arg with the read-only token: a JSON-RPC error",
      "an error (forbidden: needs the admin role)", raw)
check(is_forbidden(err), "arg with the read-only token: refused for its role",
      "code 403 / 'Forbidden' / 'admin role'", raw)
check(ADMIN not in raw and RO not in raw, "arg with the read-only token: no token in the reply",
      f"neither {ADMIN} nor {RO}", raw)

# The same over mi_json GET and XML-RPC with the read-only token.
status, _, body = http(d, "GET", "/json/arg", headers={"Authorization": f"Bearer {RO}"})
text = body.decode("utf-8", "replace")
check(ADMIN not in text, "GET /json/arg with the read-only token: no admin token", ADMIN, text)
status, res = post_xml(d, '<?xml version="1.0"?><methodCall><methodName>arg</methodName>'
                          '</methodCall>', {"Authorization": f"Bearer {RO}"})
check(ADMIN not in str(res), "XML-RPC arg with the read-only token: no admin token", ADMIN, res)

# The admin token sees argv, with the credential masked.
status, obj, raw = jsonrpc(d, "arg", headers={"Authorization": f"Bearer {ADMIN}"})
result = obj.get("result") if isinstance(obj, dict) else None
check(isinstance(result, list) and any(str(a).startswith("http.tokens=") for a in result),
      "arg with the admin token: argv lists http.tokens=...", "an item 'http.tokens=***'", raw)
check(ADMIN not in raw and RO not in raw, "arg with the admin token: both tokens masked",
      f"neither {ADMIN} nor {RO}", raw)
check(isinstance(result, list) and "http.tokens=***" in result,
      "arg with the admin token: the value is shown as ***", "'http.tokens=***'", raw)

# Failed authentication attempts are logged without the secret that was tried... and the
# configured tokens never appear in the log (file or standard error), also after shutdown.
http(d, "GET", "/json/uptime", headers={"Authorization": f"Bearer {ADMIN}x"})
http(d, "GET", "/json/uptime", headers={"Authorization": f"Bearer {RO}"})
fifo_call(d, ":log_level:\ndebug\n\n")
jsonrpc(d, "arg", headers={"Authorization": f"Bearer {ADMIN}"})
jsonrpc(d, "arg", headers={"Authorization": f"Bearer {RO}"})
assert_alive(d)
grow = (rss_kb(d.pid) - base) / 1024
check(grow < 50 * mem_factor(d), f"RSS growth {grow:.1f} MB < {50 * mem_factor(d):.0f} MB",
      "small", f"{grow:.1f} MB")
rc = d.stop()
check(rc == 0, "graceful stop", 0, rc)
text = d.log_text()
check(os.path.exists(logf), "core.log_file was written", logf, "missing")
check(ADMIN not in text and RO not in text, "the daemon's log and stderr hold no token",
      f"neither {ADMIN} nor {RO}",
      "\n".join(l for l in text.splitlines() if ADMIN in l or RO in l)[:600])

# A malformed credential at start-up: the error names the key, never the secret.
rc, out, d2 = start_expect_exit(["http.basic_auth=alice:S3CRETPW"])
check(rc is not None and rc != 0, "http.basic_auth=alice:S3CRETPW (no role): start refused",
      "non-zero exit", f"exit {rc}; {out[-400:]}")
check("http.basic_auth" in out, "the start-up error names http.basic_auth", "http.basic_auth",
      out[-400:])
check("S3CRETPW" not in out, "the start-up error does not show the password", "no S3CRETPW",
      out[-400:])
d2.stop()
rc, out, d3 = start_expect_exit(["http.tokens=ONLYTOKEN777:superuser"])
check(rc is not None and rc != 0 and "ONLYTOKEN777" not in out,
      "http.tokens with a bad role: refused without showing the token", "no ONLYTOKEN777",
      f"exit {rc}; {out[-400:]}")
d3.stop()

# A module's secret parameter (the example module's api_key).
if not MODULE_DIR or not os.path.exists(os.path.join(MODULE_DIR, "example.so")):
    fail("the example module is built", f"{MODULE_DIR}/example.so", "missing (set SB_MODULE_DIR)")
else:
    m = start_daemon([f"modules.path={MODULE_DIR}", "modules.load=example",
                      "module.example.api_key=MODSECRET789"], must_start=False)
    if m is not None:
        out = fifo_call(m, ":module_list:\n\n") or ""
        check(out.startswith("200") and "api_key" in out, "module_list shows the api_key parameter",
              "'api_key' in a 200 reply", out)
        check("MODSECRET789" not in out, "module_list does not show the api_key value",
              "no MODSECRET789", out)
        status, obj, raw = jsonrpc(m, "module_list")
        check("MODSECRET789" not in raw, "module_list over HTTP does not show the api_key value",
              "no MODSECRET789", raw)
        assert_alive(m)
        m.stop()
        check("MODSECRET789" not in m.log_text(), "the log does not show the api_key value",
              "no MODSECRET789", m.log_text()[-400:])
finish()
