"""The event stream from a real browser (issue #14's "a browser page can open the WebSocket with a
ticket and see registrations live"): Debian's chromium, driven by playwright-core from
web/node_modules (tests/events/browser/stream_browser.mjs), loads a page from another origin
(http.allowed_origins), gets a ticket with Basic credentials through CORS, opens
/api/v1/events?ticket=…, subscribes to E_UL_*; a REGISTER sent from here then appears in the
page's list (E_UL_AOR_INSERT, E_UL_CONTACT_INSERT for alice). Also: the same page from an origin
the daemon does not allow gets no ticket (the browser blocks the CORS request).
"""
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eventlib  # noqa: E402
from eventlib import check, fail, finish_events, log  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
WEB = os.path.join(os.environ.get("SB_SOURCE_DIR", os.path.join(HERE, "..", "..")), "web")
NODE = shutil.which("node") or shutil.which("nodejs")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

if not NODE or not os.path.exists(CHROMIUM) or not os.path.isdir(os.path.join(WEB, "node_modules", "playwright-core")):
    fail("node, chromium and web/node_modules/playwright-core are needed (scripts/setup.sh installs them)",
         "installed", f"node={NODE} chromium={os.path.exists(CHROMIUM)} web={WEB}")
    finish_events()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


def serve_pages():
    handler = functools.partial(Quiet, directory=os.path.join(HERE, "browser"))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


pages = serve_pages()
origin = f"http://127.0.0.1:{pages.server_address[1]}"
d = eventlib.start(["http.basic_auth=admin:pw-admin:admin", f"http.allowed_origins={origin}"])
env = dict(os.environ, SB_WEB_DIR=WEB, SB_CHROMIUM=CHROMIUM)
url = f"{origin}/stream_page.html?port={d.http_port}&user=admin&password=pw-admin"

proc = subprocess.Popen([NODE, os.path.join(HERE, "browser", "stream_browser.mjs"), url], env=env,
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
try:
    first = proc.stdout.readline().strip()
    check(first == "SUBSCRIBED", "chromium: ticket through CORS, WebSocket opened and subscribed", "SUBSCRIBED",
          first + " " + (proc.stderr.read() if first != "SUBSCRIBED" else ""))
    if first == "SUBSCRIBED":
        ua = eventlib.SipClient(d)
        status = ua.register("alice", "example.com")[0]
        check(status == 200, "the REGISTER is answered 200", 200, status)
        proc.stdin.write("registered\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=30)
        items = json.loads(out.strip().splitlines()[-1]) if out.strip() else []
        check(any(i.startswith("E_UL_AOR_INSERT alice@example.com") for i in items),
              "the page lists E_UL_AOR_INSERT for alice", "E_UL_AOR_INSERT alice@example.com", items or err[-500:])
        check(any(i.startswith("E_UL_CONTACT_INSERT alice@example.com") for i in items),
              "the page lists E_UL_CONTACT_INSERT for alice", "E_UL_CONTACT_INSERT alice@example.com", items)
        check(proc.returncode == 0, "the browser script ends cleanly", 0, proc.returncode)
finally:
    if proc.poll() is None:
        proc.kill()
        proc.wait()
tickets = eventlib.get_stat(d, "http:event_streams_opened")
check(tickets == 1, "one stream was opened (http:event_streams_opened)", 1, tickets)

# The same page served from an origin the daemon does not allow: the browser's CORS check stops
# the ticket request (fetch fails), so no stream is ever opened.
d2 = eventlib.start(["http.basic_auth=admin:pw-admin:admin"])
url2 = f"{origin}/stream_page.html?port={d2.http_port}&user=admin&password=pw-admin"
proc2 = subprocess.run([NODE, os.path.join(HERE, "browser", "stream_browser.mjs"), url2], env=env,
                       input="", capture_output=True, text=True, timeout=60)
check(proc2.returncode != 0 and "SUBSCRIBED" not in proc2.stdout,
      "a page from a foreign origin gets no stream", "not subscribed", proc2.stdout + proc2.stderr[-300:])
opened = eventlib.get_stat(d2, "http:event_streams_opened")
check(opened == 0, "no stream opened for the foreign page", 0, opened)
log(f"browser: {CHROMIUM}")
finish_events(d, d2)
