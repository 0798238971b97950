"""Item 5 (issue #11): local trust — every local user (or web page, or UDP sender) was admin.

Attack: any local process sends UDP to 127.0.0.1:8094 (on by default, no authentication),
POSTs to the loopback HTTP port without credentials, or connects to the monitor (loopback was
admin) and runs write commands (cdr_flush, subscriber_add, log_level); user nobody writes to the
FIFO / unix socket.
Expected: UDP off by default; UDP callers get datagram.udp_role (read_only): 403 for writes; a
non-loopback UDP address needs datagram.udp_allow_remote; anonymous HTTP and monitor callers are
read_only (http.anonymous_role, monitor.anonymous_role); nobody cannot open the FIFO or socket;
with the roles set to admin explicitly the same writes work.
"""
import os, re, sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seclib import *  # noqa: E402,F401

SUB_ADD = ":subscriber_add:\nalice\nexample.com\nsecret\n"

# The shipped configuration: datagram.udp is empty.
with open(CONF) as f:
    conf = f.read()
section = re.search(r"^\[datagram\](.*?)^\[", conf, re.S | re.M)
m = re.search(r"^udp\s*=(.*)$", section.group(1) if section else "", re.M)
check(m is not None and m.group(1).strip() == "",
      "conf/switchboard.conf: [datagram] udp is empty (UDP off)", "udp =",
      m.group(0) if m else "no udp key")

# A daemon started without --set datagram.udp opens no UDP socket (SIP is off too).
d = start_daemon([], drop=("datagram.udp",), must_start=False)
if d is not None:
    ports = udp_ports_of(d.pid)
    check(not ports, "default start: the daemon holds no UDP socket", "none",
          [f"{a}:{p}" for a, p in ports])
    check(":8094" not in d.log_text(), "default start: the log names no UDP :8094", "no :8094",
          [l for l in d.log_text().splitlines() if "started;" in l])
    d.stop()

d = start_daemon([])

# HTTP without credentials: anonymous = read_only.
status, obj, raw = jsonrpc(d, "cdr_flush")
err = rpc_error(obj)
check(status == 200 and is_forbidden(err), "anonymous POST /mi cdr_flush: forbidden (read-only)",
      "JSON-RPC error 403 Forbidden", raw)
status, obj, raw = jsonrpc(d, "log_level", ["debug"])
check(is_forbidden(rpc_error(obj)), "anonymous POST /mi log_level debug: forbidden", "403", raw)
status, obj, raw = jsonrpc(d, "uptime")
check(status == 200 and isinstance(obj, dict) and "result" in obj,
      "anonymous POST /mi uptime: a result", "result", raw)

# Monitor without a password: anonymous = read_only.
try:
    mon = Monitor(d)
    out = mon.cmd("fc")
    check("403" in out or "forbidden" in out.lower(), "monitor 'fc' (cdr_flush): refused",
          "403 Forbidden", out)
    out = mon.cmd("m")
    check("403" in out or "forbidden" in out.lower(), "monitor 'm' (log_level info): refused",
          "403 Forbidden", out)
    out = mon.cmd("u")
    check("Up time::" in out, "monitor 'u': uptime works", "Up time::", out)
    mon.close()
except OSError as e:
    fail("monitor connection", "the overview and prompt", repr(e))

# As user nobody: the FIFO (0660 root) and the unix socket (0660 root) are closed to it.
code = f"""
import os, socket
r = []
try:
    os.open({d.fifo!r}, os.O_WRONLY | os.O_NONBLOCK); r.append("fifo:opened")
except PermissionError: r.append("fifo:EACCES")
except OSError as e: r.append("fifo:" + str(e))
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
try:
    s.sendto(b":kill:\\n", {d.sock!r}); r.append("sock:sent")
except PermissionError: r.append("sock:EACCES")
except OSError as e: r.append("sock:" + str(e))
print(" ".join(r))
"""
rc, out = run_as_nobody(code)
check("fifo:EACCES" in out, "user nobody: opening the FIFO for writing fails (PermissionError)",
      "fifo:EACCES", out)
check("sock:EACCES" in out, "user nobody: sendto on the unix socket fails (PermissionError)",
      "sock:EACCES", out)
assert_alive(d, when="after the anonymous attempts")
d.stop()

# UDP on loopback: the role is datagram.udp_role (read_only by default).
u = start_daemon(["datagram.udp=127.0.0.1:0"])
port = u.udp_port
check(port > 0, "the datagram UDP port is in the start-up log", "a port", port)
r = udp_call(port, SUB_ADD) or ""
check(r.startswith("403"), "UDP subscriber_add: 403 (read-only)", "403 Forbidden ...", r)
r = udp_call(port, ":log_level:\ndebug\n") or ""
check(r.startswith("403"), "UDP log_level debug: 403 (read-only)", "403 Forbidden ...", r)
r = udp_call(port, ":kill:\n") or ""
check(r.startswith("403"), "UDP kill: 403", "403 Forbidden", r)
r = udp_call(port, ":uptime:\n") or ""
check(r.startswith("200"), "UDP uptime: 200", "200 OK", r)
assert_alive(u, when="after the UDP attempts")
u.stop()

# UDP off loopback is refused unless datagram.udp_allow_remote is on.
rc, out, x = start_expect_exit(["datagram.udp=0.0.0.0:0"])
check(rc is not None and rc != 0, "datagram.udp=0.0.0.0: start refused", "non-zero exit",
      f"exit {rc}")
check("datagram.udp_allow_remote" in out, "the refusal names datagram.udp_allow_remote",
      "datagram.udp_allow_remote", out[-500:])
x.stop()
x = start_daemon(["datagram.udp=0.0.0.0:0", "datagram.udp_allow_remote=on"],
                 must_start=False)
if x is not None:
    check(True, "datagram.udp=0.0.0.0 with datagram.udp_allow_remote=on starts")
    x.stop()

# The roles set to admin explicitly: the same writes work (the setting decides).
a = start_daemon(["http.anonymous_role=admin", "monitor.anonymous_role=admin",
                  "datagram.udp=127.0.0.1:0", "datagram.udp_role=admin"] + sip_sets(),
                 must_start=False)
port = a.udp_port if a is not None else 0
if a is not None:
    status, obj, raw = jsonrpc(a, "cdr_flush")
    check(isinstance(obj, dict) and "result" in obj,
          "http.anonymous_role=admin: POST /mi cdr_flush works", "a result", raw)
    mon = Monitor(a)
    out = mon.cmd("m")
    check("403" not in out and "forbidden" not in out.lower(),
          "monitor.anonymous_role=admin: 'm' works", "OK", out)
    out = mon.cmd("fc")
    check("403" not in out and "forbidden" not in out.lower(),
          "monitor.anonymous_role=admin: 'fc' works", "a count", out)
    mon.close()
    r = udp_call(port, SUB_ADD) or ""
    check(r.startswith("200"), "datagram.udp_role=admin: UDP subscriber_add works", "200 OK", r)
    assert_alive(a)
finish()
