"""Item 13 (issue #11): password guessing on HTTP Basic and the monitor's `login`.

Attack: an unlimited number of guesses per source (HTTP: one request each; monitor: reconnect
after every third wrong `login`), nothing in the log for fail2ban to act on.
Expected: after http.auth_fail_limit (10) failures per source in 60 s the next attempt - even with
the right password - is 429 with Retry-After; a WARN log line names 127.0.0.1:<port> and the
user; http:auth_failures >= 10. Monitor: after monitor.auth_fail_limit (10) failures from
127.0.0.1 a right `login` is refused too; monitor:auth_failures counts; WARN names the source.
"""
import base64, os, socket, sys, threading, time
import http.client as httpclient

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seclib import *  # noqa: E402,F401


def basic_get(d, user, password):
    """GET /json/uptime with Basic credentials; returns (status, headers, local port)."""
    conn = httpclient.HTTPConnection("127.0.0.1", d.http_port, timeout=10)
    try:
        conn.connect()
        port = conn.sock.getsockname()[1]
        tok = base64.b64encode(f"{user}:{password}".encode()).decode()
        conn.request("GET", "/json/uptime", headers={"Authorization": f"Basic {tok}"})
        resp = conn.getresponse()
        resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, port
    except (OSError, httpclient.HTTPException) as e:
        return 0, {"error": repr(e)}, 0
    finally:
        conn.close()


def warn_lines(d, *words):
    return [l for l in d.log_text().splitlines()
            if "warn" in l.lower() and all(w in l for w in words)]


# --- HTTP Basic -------------------------------------------------------------------------------
d = start_daemon(["http.basic_auth=admin:right-pass:admin"])
status, _, _ = basic_get(d, "admin", "right-pass")
check(status == 200, "HTTP: the right password works before the attack", 200, status)
ports = []
for i in range(10):
    status, hdrs, port = basic_get(d, "admin", f"WrongPw{i}x")
    ports.append(port)
    check(status == 401, f"HTTP: wrong password #{i + 1}: 401", 401, status)
status, hdrs, _ = basic_get(d, "admin", "right-pass")
check(status == 429, "HTTP: the 11th attempt (right password) from the same source: 429", 429,
      status)
check("retry-after" in hdrs and hdrs["retry-after"].strip().isdigit(),
      "HTTP: the 429 carries Retry-After (seconds)", "Retry-After: N", hdrs)
status, hdrs, _ = basic_get(d, "admin", "WrongPwMore")
check(status == 429, "HTTP: further guesses: 429 (not checked against the password)", 429, status)
lines = warn_lines(d, f"127.0.0.1:{ports[0]}", "admin")
check(lines, f"HTTP: a WARN log line names 127.0.0.1:{ports[0]} and the user admin",
      "WARN ... 127.0.0.1:<port> ... admin", "\n".join(warn_lines(d))[-600:] or d.log_text()[-600:])
check("WrongPw" not in d.log_text(), "HTTP: the log does not show the guessed passwords",
      "no 'WrongPw...'", [l for l in d.log_text().splitlines() if "WrongPw" in l][:3])
n = get_stat(d, "http:auth_failures")
check(n is not None and n >= 10, "HTTP: http:auth_failures >= 10", ">= 10", n)
assert_alive(d, when="after the HTTP guessing")
d.stop()

# --- monitor login ---------------------------------------------------------------------------
m = start_daemon(["monitor.password=pw"])
mbase = rss_kb(m.pid)
try:
    mon = Monitor(m)
    out = mon.cmd("login pw")
    out += mon.cmd("m")
    check("403" not in out and "forbidden" not in out.lower(),
          "monitor: `login pw` then 'm' works before the attack", "OK", out)
    mon.close()
except OSError as e:
    fail("monitor: login before the attack", "a prompt", repr(e))


def guesser(results):
    """One connection: three wrong logins (the third closes it); records what came back."""
    try:
        s = socket.create_connection(("127.0.0.1", m.monitor_port), timeout=15)
        s.sendall(b"login wrong1\r\nlogin wrong2\r\nlogin wrong3\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        results.append(data.decode("utf-8", "replace"))
    except OSError as e:
        results.append(repr(e))


t0 = time.monotonic()
results = []
threads = [threading.Thread(target=guesser, args=(results,)) for _ in range(4)]  # 12 guesses
for t in threads:
    t.start()
for t in threads:
    t.join(30)
log(f"monitor: 4 connections x 3 wrong logins in {time.monotonic() - t0:.1f} s")
assert_alive(m, when="after 12 wrong monitor logins")
out, out2 = "", ""
try:
    mon = Monitor(m)
    out = mon.cmd("login pw", timeout=10)
    try:
        out2 = mon.cmd("m", timeout=10)
    except OSError:
        out2 = ""  # the daemon closed the connection after refusing the login
    mon.close()
except OSError as e:
    out = f"connection failed: {e!r}"
log(f"monitor: after the guesses, `login pw` -> {out.strip()!r}; 'm' -> {out2.strip()!r}")
refused = ("403" in out2 or "forbidden" in out2.lower() or
           (out2.strip() == "" and "refused" in out.lower()))
check(refused, "monitor: after 10 failures from 127.0.0.1 the right password is refused too",
      "'login refused' / 'm' still 403", out + out2)
n = get_stat(m, "monitor:auth_failures")
check(n is not None and n >= 10, "monitor: monitor:auth_failures >= 10", ">= 10", n)
lines = warn_lines(m, "127.0.0.1:")
check(any("login" in l for l in lines), "monitor: a WARN log line names the source 127.0.0.1:<port>",
      "WARN ... login ... 127.0.0.1:<port>", "\n".join(lines)[-600:] or m.log_text()[-600:])
assert_alive(m)
grow = (rss_kb(m.pid) - mbase) / 1024
check(grow < 50 * mem_factor(m), f"monitor daemon RSS growth {grow:.1f} MB < {50 * mem_factor(m):.0f} MB",
      "small", f"{grow:.1f} MB")
finish()
