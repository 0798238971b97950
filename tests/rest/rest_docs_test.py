"""GET /api/v1/docs: the REST reference page (Redoc) served from the npm package installed in
web/, with a policy that lets the page load nothing from another origin; and its absence said
clearly (503) when web/ has no packages."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import restlib  # noqa: E402
from restlib import check, finish, seclib  # noqa: E402

web = os.path.join(seclib.SOURCE_DIR, "web")
d = restlib.start([f"http.web_dir={web}"])
api = restlib.Api(d)
page = api.request("GET", "/docs", validate=False)
check(page.status == 200 and (page.header("Content-Type") or "").startswith("text/html"), "GET /api/v1/docs: HTML",
      200, page)
scripts = re.findall(r'<script[^>]*src="([^"]+)"', page.body)
check(scripts == ["/api/v1/docs/redoc.standalone.js"], "the page loads only the local bundle",
      ["/api/v1/docs/redoc.standalone.js"], scripts)
check('spec-url="/api/v1/openapi.json"' in page.body, "it renders the served document")
check("http://" not in page.body and "https://" not in page.body, "the page names no other origin")
csp = page.header("Content-Security-Policy") or ""
check("default-src 'self'" in csp and "script-src 'self'" in csp, "a policy that allows this origin only",
      "default-src 'self'", csp)
js = api.request("GET", "/docs/redoc.standalone.js", validate=False)
with open(os.path.join(web, "node_modules/redoc/bundles/redoc.standalone.js"), encoding="utf-8") as f:
    on_disk = f.read()
check(js.status == 200 and js.body == on_disk, "the bundle is the npm package's file, byte for byte", len(on_disk),
      len(js.body))
check(api.request("GET", "/docs/redoc.standalone.js", validate=False,
                  headers={"If-None-Match": js.header("ETag")}).status == 304, "the bundle is cached by ETag")

bare = restlib.start([f"http.web_dir={d.tmp}"])
r = restlib.Api(bare).request("GET", "/docs", validate=False)
check(r.status == 503 and "setup.sh" in r.body and r.header("Content-Type").startswith("application/problem+json"),
      "without the packages: 503 saying how to install them", 503, r)
finish()
