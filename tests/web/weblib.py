"""Web panel tests (issue #15): the real daemon serving web/dist at /, driven by Debian's
chromium through playwright-core (web/node_modules). A test starts the daemon (its admin token
is the file admin-token next to its database, as on a first start), then runs one flow script
(tests/web/flows/<name>.mjs, written with tests/web/panel.mjs) and relays what it prints:
  ok: <what>              a passed check
  FAIL: <what> | <expected> | <got>
  NEED <action> <args…>   the flow asks this side for something only it can do (send a SIP
                          REGISTER, place a call…); the answer goes back as one stdin line.
Screenshots go to <build>/panel-screenshots/<flow>-<name>-<width>.png (a CI artifact).
"""
import json
import os
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "events"))
import eventlib  # noqa: E402,F401
from eventlib import check, fail, finish_events, log  # noqa: E402,F401

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("SB_SOURCE_DIR", os.path.join(HERE, "..", ".."))
WEB = os.path.join(SOURCE, "web")
NODE = shutil.which("node") or shutil.which("nodejs")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = os.path.join(os.path.dirname(os.environ.get("SB_BIN_DIR", os.path.join(SOURCE, "build", "bin"))),
                     "panel-screenshots")


def require_browser():
    missing = [what for what, ok in [
        ("node", NODE), ("chromium", os.path.exists(CHROMIUM)),
        ("web/node_modules/playwright-core", os.path.isdir(os.path.join(WEB, "node_modules", "playwright-core"))),
        ("web/dist/index.html (npm run build)", os.path.exists(os.path.join(WEB, "dist", "index.html")))] if not ok]
    if missing:
        fail("the panel tests need " + ", ".join(missing) + " (scripts/setup.sh installs and builds them)",
             "installed", missing)
        finish_events()


def start(extra_sets=()):
    """The daemon with SIP on loopback, the panel from this tree's web/, and no configured
    credential: the first start writes its admin token next to the database."""
    require_browser()
    d = eventlib.start(["http.anonymous_role=read_only", f"http.web_dir={WEB}"] + list(extra_sets))
    return d


def admin_token(d):
    with open(os.path.join(d.tmp, "admin-token")) as f:
        return f.read().strip()


def run_flow(name, d, handlers=None, env=None, timeout=150):
    """Runs tests/web/flows/<name>.mjs against `d`; relays its checks; answers its NEEDs with
    handlers[action](*args) (a string written back). Returns the list of ok/FAIL lines."""
    os.makedirs(SHOTS, exist_ok=True)
    e = dict(os.environ, SB_WEB_DIR=WEB, SB_CHROMIUM=CHROMIUM, SB_URL=f"http://127.0.0.1:{d.http_port}",
             SB_SHOTS=SHOTS, SB_FLOW=name, **(env or {}))
    proc = subprocess.Popen([NODE, os.path.join(HERE, "flows", name + ".mjs")], env=e, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    seen = []
    try:
        for line in proc.stdout:
            line = line.rstrip("\n")
            if line.startswith("ok: "):
                check(True, line[4:])
                seen.append(line)
            elif line.startswith("FAIL: "):
                parts = line[6:].split(" | ")
                fail(parts[0], parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else "")
                seen.append(line)
            elif line.startswith("NEED "):
                words = line.split()[1:]
                fn = (handlers or {}).get(words[0])
                answer = fn(*words[1:]) if fn else f"no handler for {words[0]}"
                proc.stdin.write(json.dumps(answer) + "\n")
                proc.stdin.flush()
            elif line:
                log(line)
        proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = proc.stderr.read()
    check(proc.returncode == 0, f"the {name} flow ran to its end", 0, f"{proc.returncode}: {err[-1500:]}")
    return seen
