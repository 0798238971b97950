"""Serving the panel and its first log-in (issue #15), without a browser:
- first start with no credential configured: the daemon creates admin-token next to its database,
  mode 0600; the log names the file, never the token; the token is an admin Bearer credential
  (GET /api/v1/whoami), requests without one keep the anonymous role; a wrong one is 401;
- a restart reads the same token; a token file others may read, or a symbolic link, is refused
  (logged) and the token stops working; http.admin_token=off and configured credentials create
  no file;
- GET / and /assets/* are served without credentials even when basic_auth is set (the log-in page
  must load; they carry no data), with the strict headers on every file; the API still says 401,
  without the Basic challenge when the request says it is scripted (X-Requested-With), so a
  browser shows the panel's log-in instead of its own dialog;
- unknown or traversing asset paths are 404; an unbuilt panel is 503 naming the fix, and a panel
  built while the daemon runs is served at the next request (the files are read at the first
  request that finds them, not at start).
"""
import http.client
import os
import sys

sys.dont_write_bytecode = True
import weblib  # noqa: E402
from weblib import check, finish_events, WEB  # noqa: E402
from seclib import start_daemon, make_tmpdir, wait_for  # noqa: E402


def get(d, path, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", d.http_port, timeout=10)
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body, r.msg.get_all("WWW-Authenticate") or []


def start(tmp, *sets):
    old = os.path.join(tmp, "daemon.log")  # a restart in the same directory: a fresh log to read ports from
    if os.path.exists(old):
        os.replace(old, old + ".previous")
    return start_daemon([f"http.web_dir={WEB}", "http.anonymous_role=read_only", *sets], tmp=tmp)


def role(d, token=None, extra=None):
    h = dict(extra or {})
    if token:
        h["Authorization"] = "Bearer " + token
    status, _, body, _ = get(d, "/api/v1/whoami", h)
    import json
    return status, (json.loads(body).get("role") if status == 200 else None)


# ---- first start ---------------------------------------------------------------------------------
tmp = make_tmpdir()
d = start(tmp)
path = os.path.join(tmp, "admin-token")
check(os.path.exists(path), "first start: admin-token is created next to the database", path, os.listdir(tmp))
mode = os.stat(path).st_mode & 0o777
check(mode == 0o600, "…mode 0600", "0o600", oct(mode))
token = open(path).read().strip()
check(token.startswith("sbt_") and len(token) >= 40, "…holding a long random token (sbt_…)", "sbt_ + 43 chars", len(token))
logged = d.log_text()
check(path in logged and "log in to the web panel" in logged, "the log says where the token is", path, logged[-600:])
check(token not in logged, "…and never the token itself", "absent", "present" if token in logged else "absent")
check(role(d, token) == (200, "admin"), "the token is an admin Bearer credential (GET /api/v1/whoami)", (200, "admin"), role(d, token))
check(role(d) == (200, "read_only"), "no credential: the anonymous role (read_only)", (200, "read_only"), role(d))
check(role(d, "sbt_wrong")[0] == 401, "a wrong token: 401", 401, role(d, "sbt_wrong"))
d.stop()

# ---- restart: the same token ---------------------------------------------------------------------
d = start(tmp)
check(open(path).read().strip() == token, "a restart keeps the token file as it was", token[:6] + "…", "changed")
check(role(d, token) == (200, "admin"), "…and the token still logs in as admin", (200, "admin"), role(d, token))
d.stop()

# ---- a token file others may read: refused ---------------------------------------------------------
os.chmod(path, 0o644)
d = start(tmp)
check("must be a regular file of this user with mode 0600" in d.log_text(), "a token file mode 0644 is refused, logged",
      "mode 0600 …", d.log_text()[-500:])
check(role(d, token)[0] == 401, "…and its token does not log in", 401, role(d, token))
check(role(d) == (200, "read_only"), "…anonymous requests still work read-only", (200, "read_only"), role(d))
d.stop()
os.chmod(path, 0o600)

# ---- a symbolic link: refused --------------------------------------------------------------------
tmp2 = make_tmpdir()
target = os.path.join(tmp2, "elsewhere")
with open(target, "w") as f:
    f.write(token + "\n")
os.chmod(target, 0o600)
os.symlink(target, os.path.join(tmp2, "admin-token"))
d = start(tmp2)
check("symbolic link" in d.log_text(), "an admin-token that is a symbolic link is refused, logged", "symbolic link",
      d.log_text()[-500:])
check(role(d, token)[0] == 401, "…and not used", 401, role(d, token))
d.stop()

# ---- off, and configured credentials: no file -----------------------------------------------------
tmp3 = make_tmpdir()
d = start(tmp3, "http.admin_token=off")
check(not os.path.exists(os.path.join(tmp3, "admin-token")), "http.admin_token=off: no token file", "absent",
      os.listdir(tmp3))
d.stop()
tmp4 = make_tmpdir()
d = start(tmp4, "http.basic_auth=admin:pw-admin:admin")
check(not os.path.exists(os.path.join(tmp4, "admin-token")), "with http.basic_auth set: no token file", "absent",
      os.listdir(tmp4))

# ---- the static files: open, strict headers ----------------------------------------------------------
status, h, body, _ = get(d, "/")
check(status == 200 and b'<script type="module" src="/assets/panel.js">' in body,
      "GET / without credentials (basic_auth set): the panel page", 200, (status, body[:120]))
for path_, ctype in [("/assets/panel.js", "text/javascript"), ("/assets/panel.css", "text/css")]:
    status, h, body, _ = get(d, path_)
    check(status == 200 and h.get("content-type", "").startswith(ctype) and len(body) > 1000,
          f"GET {path_}: {ctype}, without credentials", 200, (status, h.get("content-type")))
    csp = h.get("content-security-policy", "")
    check("script-src 'self'" in csp and "frame-ancestors 'none'" in csp and h.get("x-content-type-options") == "nosniff",
          f"{path_}: the strict headers too", "CSP + nosniff", h)
    etag = h.get("etag")
    status304, _, _, _ = get(d, path_, {"If-None-Match": etag or "x"})
    check(status304 == 304, f"{path_}: If-None-Match with its ETag is 304", 304, status304)
ADMIN = {"Authorization": "Basic YWRtaW46cHctYWRtaW4="}
for bad in ["/assets/nope.js", "/assets/..%2F..%2Fpackage.json", "/assets/../package.json", "/index.html/x",
            "/assets/panel.js.map/x", "/assets/%2e%2e/%2e%2e/package.json"]:
    status, _, body, _ = get(d, bad, ADMIN)
    check(status == 404 and b"switchboard-web" not in body, f"GET {bad} (authenticated): 404, nothing else served",
          404, (status, body[:80]))
status, h, body, challenges = get(d, "/api/v1/whoami")
check(status == 401 and any(c.startswith("Basic") for c in challenges),
      "the API without credentials: 401 with a Basic challenge (curl, scripts)", "401 Basic", (status, challenges))
status, h, body, challenges = get(d, "/api/v1/whoami", {"X-Requested-With": "switchboard-panel"})
check(status == 401 and not any(c.startswith("Basic") for c in challenges),
      "…and for a scripted request (X-Requested-With) no Basic challenge (no browser dialog)", "401, no Basic",
      (status, challenges))
status, _, body, _ = get(d, "/api/v1/whoami", {"Authorization": "Basic YWRtaW46cHctYWRtaW4="})
check(status == 200 and b'"role":"admin"' in body, "Basic admin:pw-admin is admin", 200, (status, body))
status, _, body, _ = get(d, "/", {"Authorization": "Basic YWRtaW46d3Jvbmc="})
check(status == 401, "GET / with a wrong credential is still checked (401)", 401, status)
d.stop()

# ---- an unbuilt panel -------------------------------------------------------------------------------
empty = make_tmpdir()
d = start_daemon([f"http.web_dir={empty}"])
status, _, body, _ = get(d, "/")
check(status == 503 and b"npm run build" in body, "no web/dist: GET / is 503 saying how to build it", 503, (status, body))
check("the web panel is not built" in d.log_text(), "…and the start-up log says so", "not built", d.log_text()[-400:])
os.makedirs(os.path.join(empty, "dist", "assets"))
with open(os.path.join(empty, "dist", "assets", "late.js"), "w") as f:
    f.write("console.log('late');\n")
status, _, body, _ = get(d, "/assets/late.js")
check(status == 503, "dist/ without index.html is still unbuilt: 503", 503, (status, body))
with open(os.path.join(empty, "dist", "index.html"), "w") as f:
    f.write("<!DOCTYPE html><title>built later</title>\n")
status, headers, body, _ = get(d, "/")
check(status == 200 and b"built later" in body and headers.get("content-security-policy"),
      "the panel built after the start is served at the next request, with its headers", 200, (status, body))
status, _, body, _ = get(d, "/assets/late.js")
check(status == 200 and b"late" in body, "…and its assets", 200, (status, body))
finish_events(d)
