"""REST /api/v1 with credentials configured: roles (read_only may GET and run read-only commands,
operator writes, admin runs admin commands), 401 with both challenges as problem+json, Bearer
tokens, and CORS only for http.allowed_origins (preflight before authentication, no CORS
header for any other origin)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import restlib  # noqa: E402
from restlib import check, finish  # noqa: E402

PANEL = "http://panel.example:8080"
EVIL = "http://evil.example"

d = restlib.start(["http.anonymous_role=read_only",
                   "http.basic_auth=ro:ro-pass:read_only,op:op-pass:operator,adm:adm-pass:admin",
                   "http.tokens=tok-operator-123:operator",
                   f"http.allowed_origins={PANEL}"])
admin = restlib.Api(d, user="adm", password="adm-pass")
ro = admin.with_credentials(user="ro", password="ro-pass")
op = admin.with_credentials(user="op", password="op-pass")
bearer = admin.with_credentials(token="tok-operator-123")
anon = admin.with_credentials()


def problem(r, status, what):
    check(r.status == status and (r.header("Content-Type") or "").startswith("application/problem+json"),
          f"{what}: {status} problem+json", status, r)


# ---- who may do what ---------------------------------------------------------------------------
r = anon.request("GET", "/system")
problem(r, 401, "no credentials")
challenges = [v for k, v in r.all_headers if k.lower() == "www-authenticate"]
check(any(c.startswith("Basic") for c in challenges) and any(c.startswith("Bearer") for c in challenges),
      "401 offers Basic and Bearer", "Basic, Bearer", challenges)
problem(admin.with_credentials(user="op", password="wrong").request("GET", "/system"), 401, "a wrong password")
problem(admin.with_credentials(token="nope").request("GET", "/system"), 401, "an unknown token")

check(ro.request("GET", "/subscribers").status == 200, "read_only may GET")
check(ro.request("POST", "/mi/uptime").status == 200, "read_only may run a read-only command by POST")
problem(ro.request("POST", "/subscribers", {"username": "a", "domain": "x.test", "password": "p"}), 403,
        "read_only may not create")
problem(ro.request("POST", "/mi/subscriber_add", {"username": "a", "domain": "x.test", "password": "p"}), 403,
        "read_only may not write through the escape hatch")

r = op.request("POST", "/subscribers", {"username": "a", "domain": "x.test", "password": "p"})
check(r.status == 201, "operator creates", 201, r)
r = bearer.request("POST", "/subscribers", {"username": "b", "domain": "x.test", "password": "p"})
check(r.status == 201, "a Bearer operator token creates", 201, r)
etag = op.request("GET", "/subscribers/a@x.test").header("ETag")
problem(ro.request("DELETE", "/subscribers/a@x.test", headers={"If-Match": etag}), 403, "read_only may not delete")
check(op.request("DELETE", "/subscribers/a@x.test", headers={"If-Match": etag}).status == 204, "operator deletes")
problem(op.request("POST", "/mi/cdr_flush"), 403, "operator may not flush (admin)")
problem(op.request("POST", "/mi/ul_flush"), 403, "operator may not flush usrloc (admin)")
check(admin.request("POST", "/mi/cdr_flush").status == 200, "admin flushes")
problem(ro.request("POST", "/mi/kill"), 403, "read_only may not kill")

# ---- CORS: the listed origin only --------------------------------------------------------------
pre = anon.request("OPTIONS", "/subscribers", validate=False,
                   headers={"Origin": PANEL, "Access-Control-Request-Method": "POST",
                            "Access-Control-Request-Headers": "authorization, content-type"})
check(pre.status == 204, "a preflight from the listed origin, without credentials: 204", 204, pre)
check(pre.header("Access-Control-Allow-Origin") == PANEL, "it names the origin (never *)", PANEL,
      pre.header("Access-Control-Allow-Origin"))
check("POST" in (pre.header("Access-Control-Allow-Methods") or ""), "it allows the route's methods", "POST",
      pre.header("Access-Control-Allow-Methods"))
check("If-Match" in (pre.header("Access-Control-Allow-Headers") or ""), "it allows If-Match", "If-Match",
      pre.header("Access-Control-Allow-Headers"))
pre = anon.request("OPTIONS", "/subscribers", validate=False,
                   headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"})
check(pre.status == 403 and pre.header("Access-Control-Allow-Origin") is None,
      "a preflight from another origin: 403, no CORS header", 403, pre)

r = op.request("GET", "/subscribers/b@x.test", headers={"Origin": PANEL})
check(r.header("Access-Control-Allow-Origin") == PANEL and "ETag" in (r.header("Access-Control-Expose-Headers") or ""),
      "an answer to the listed origin exposes ETag to the page", PANEL, r.headers)
r = op.request("GET", "/subscribers/b@x.test", headers={"Origin": EVIL})
check(r.status == 200 and r.header("Access-Control-Allow-Origin") is None,
      "an answer to another origin carries no CORS header (the browser hides it)", None,
      r.header("Access-Control-Allow-Origin"))
r = op.request("POST", "/subscribers", {"username": "c", "domain": "x.test", "password": "p"},
               headers={"Origin": EVIL})
problem(r, 403, "a cross-origin write from another origin")
r = op.request("POST", "/subscribers", {"username": "c", "domain": "x.test", "password": "p"},
               headers={"Origin": PANEL})
check(r.status == 201 and r.header("Access-Control-Allow-Origin") == PANEL, "a write from the listed origin", 201, r)

finish()
