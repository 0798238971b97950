"""Issue #14: the events the daemon raises by itself, each made to happen for real.

E_CORE_STARTUP (to a subscription from the configuration file, made at start-up) and
E_CORE_SHUTDOWN (delivered during a graceful stop by SIGTERM); E_CONFIG_CHANGED after
subscriber_add; E_REGISTRAR_AUTH_FAILED after a REGISTER with a wrong password
(registrar.auth=on); E_PORT_STATE after port_add / port_block / unblock; E_CALL_STATE
new → ringing → answered → ended and E_CDR for a call between virtual ports (port_call);
E_ACCOUNT_REG_STATE when a trunk registers to a (Python) registrar; E_STATISTICS every second
with the chosen statistics.
"""
import os
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eventlib import *  # noqa: E402,F401,F403

boot = UdpReceiver()    # [events] subscribe in the configuration file
stats_cfg = UdpReceiver()
d = start(["registrar.auth=on"], extra_conf=(
    "[events]\n"
    f"subscribe = E_CORE_STARTUP,E_CORE_SHUTDOWN {boot.socket}\n"
    f"subscribe = E_STATISTICS {stats_cfg.socket} interval=1 statistics=events:raised,core:rcv_requests\n"))

# ---- E_CORE_STARTUP -------------------------------------------------------------------------------
m = boot.wait_method("E_CORE_STARTUP", 5)
check(m is not None, "a configured subscription gets E_CORE_STARTUP", "E_CORE_STARTUP", boot.raw)
rc, version, _ = sbctl(d, "version")
if m:
    check(m["params"].get("pid") == d.pid, "E_CORE_STARTUP params.pid is the daemon's", d.pid, m["params"])
    check(isinstance(m["params"].get("version"), str) and m["params"]["version"] and m["params"]["version"] in version,
          "…and params.version its version", version.strip(), m["params"])
rows = {r["socket"]: r for r in subscriptions(d)}
row = rows.get(boot.socket)
check(row is not None and row["source"] == "config" and row["expires_in"] is None
      and sorted(row["events"]) == ["E_CORE_SHUTDOWN", "E_CORE_STARTUP"],
      "subscribers_list: the [events] subscribe line, source config, never expires", "config", row)

rx = UdpReceiver()
res, e = mi(d, "event_subscribe", {"event": "E_REGISTRAR_AUTH_FAILED,E_CALL_STATE,E_CDR,E_PORT_STATE,"
                                              "E_CONFIG_CHANGED,E_ACCOUNT_REG_STATE,E_UL_AOR_INSERT",
                                    "socket": rx.socket})
check(e is None, "subscribe a udp receiver to the events below", "a row", e)

# ---- E_CONFIG_CHANGED -----------------------------------------------------------------------------
res, e = mi(d, "subscriber_add", {"username": "alice", "domain": "example.com", "password": "right-pw"})
check(e is None, "subscriber_add alice example.com", "OK", e)
m = rx.wait_method("E_CONFIG_CHANGED", 5)
check(m is not None, "subscriber_add raises E_CONFIG_CHANGED", "E_CONFIG_CHANGED", rx.methods())
revs = mi_ok(d, "config_revisions") or {}
current = revs.get("current") if isinstance(revs, dict) else None
if m:
    p = m["params"]
    check(p.get("source") == "subscriber_add" and isinstance(p.get("revision"), int) and p["revision"] >= 1,
          "params: source subscriber_add, the new revision", "subscriber_add", p)
    check(current is None or p.get("revision") == current, "…the revision config_revisions shows as current",
          current, p.get("revision"))
    check(isinstance(p.get("changes"), dict) and "alice@example.com" in p["changes"].get("subscribers", {}).get("added", []),
          "params.changes.subscribers.added contains alice@example.com (the first change too: the empty "
          "configuration before it is known)", ["alice@example.com"], p)
res, e = mi(d, "subscriber_add", {"username": "bob", "domain": "example.com", "password": "bob-pw"})
m = rx.wait_method("E_CONFIG_CHANGED", 5, lambda m: m["params"].get("changes") and
                   "bob@example.com" in (m["params"]["changes"].get("subscribers") or {}).get("added", []))
check(m is not None and set(m["params"]["changes"]) == {"subscribers"},
      "a second subscriber_add: changes name only what changed (subscribers: added bob)", "bob added",
      rx.find("E_CONFIG_CHANGED"))

# ---- E_REGISTRAR_AUTH_FAILED ----------------------------------------------------------------------
ua = SipClient(d)
status, _, _, _ = ua.register("alice", "example.com", password="wrong-pw")
check(status == 401, "REGISTER alice with a wrong password: challenged again (401)", 401, status)
m = rx.wait_method("E_REGISTRAR_AUTH_FAILED", 5)
check(m is not None, "a wrong password raises E_REGISTRAR_AUTH_FAILED", "E_REGISTRAR_AUTH_FAILED", rx.methods())
if m:
    p = m["params"]
    check(p.get("source") == "127.0.0.1" and p.get("port") == ua.port, "params: source and port of the client",
          ("127.0.0.1", ua.port), p)
    check(p.get("user") == "alice" and p.get("method") == "REGISTER" and p.get("banned") is False
          and isinstance(p.get("reason"), str) and p["reason"], "params: user alice, method REGISTER, a reason, not banned",
          "alice/REGISTER", p)
n_failed = len(rx.find("E_REGISTRAR_AUTH_FAILED"))
status, _, _, _ = ua.register("alice", "example.com", password="right-pw")
check(status == 200, "REGISTER alice with the right password: 200", 200, status)
check(rx.wait_method("E_UL_AOR_INSERT", 5) is not None, "…raises E_UL_AOR_INSERT")
check(len(rx.find("E_REGISTRAR_AUTH_FAILED")) == n_failed, "…and no E_REGISTRAR_AUTH_FAILED", n_failed,
      rx.find("E_REGISTRAR_AUTH_FAILED"))

# ---- E_PORT_STATE -----------------------------------------------------------------------------------
res, e = mi(d, "port_add", {"port": 1, "driver": "virtual", "channels": 1})
check(e is None, "port_add 1 virtual", "OK", e)
res, e = mi(d, "port_add", {"port": 2, "driver": "virtual", "channels": 1,
                            "options": {"mode": "answer", "ring_after_ms": 50, "answer_after_ms": 300}})
check(e is None, "port_add 2 virtual (rings after 50 ms, answers after 300 ms)", "OK", e)
m = rx.wait_method("E_PORT_STATE", 5, lambda m: m["params"]["port"] == 2)
check(m is not None and m["params"]["state"] == "up" and m["params"]["previous"] is None and m["params"]["channels"] == 1
      and m["params"]["in_use"] == 0, "a new port: E_PORT_STATE up, previous null", "up/null", rx.find("E_PORT_STATE"))
res, e = mi(d, "port_block", {"port": 2, "block": True})
m = rx.wait_method("E_PORT_STATE", 5, lambda m: m["params"]["port"] == 2 and m["params"]["state"] == "blocked")
check(m is not None and m["params"]["previous"] == "up", "port_block 2: E_PORT_STATE blocked, previous up", "up",
      m or rx.find("E_PORT_STATE"))
res, e = mi(d, "port_block", {"port": 2, "block": False})
m = rx.wait_method("E_PORT_STATE", 5, lambda m: m["params"]["port"] == 2 and m["params"]["previous"] == "blocked")
check(m is not None and m["params"]["state"] == "up", "port_block 2 0: E_PORT_STATE up, previous blocked", "up",
      m or rx.find("E_PORT_STATE"))

# ---- E_CALL_STATE and E_CDR: a call between virtual ports --------------------------------------------
check(mi(d, "port_group_add", {"name": "lines", "ports": "2"})[1] is None, "port_group_add lines 2")
check(mi(d, "dp_rule_add", {"src": "any", "dest_match": "^0", "dest_rewrite": "", "target": "group:lines"})[1] is None,
      "dp_rule_add any ^0 → group:lines")
res, e = mi(d, "port_call", {"port": 1, "number": "0301"})
check(e is None and isinstance(res, dict) and "id" in res, "port_call 1 0301", "an id", res or e)
call = (res or {}).get("id")


def call_states():
    return [m["params"]["state"] for m in rx.find("E_CALL_STATE", lambda m: m["params"]["call"] == call)]


check(wait_for(lambda: "answered" in call_states(), 10), "the call is answered", "answered", call_states())
res, e = mi(d, "call_finish", {"id": call})
check(e is None, f"call_finish {call}", "OK", e)
check(wait_for(lambda: "ended" in call_states(), 5), "E_CALL_STATE ended after call_finish", "ended", call_states())
check(call_states() == ["new", "ringing", "answered", "ended"], "E_CALL_STATE: new → ringing → answered → ended",
      ["new", "ringing", "answered", "ended"], call_states())
msgs = rx.find("E_CALL_STATE", lambda m: m["params"]["call"] == call)
if len(msgs) == 4:
    new, ring, ans, end = (m["params"] for m in msgs)
    check(new["source"] == "port:1" and new["called"] == "0301" and new["status"] is None,
          "new: source port:1, called 0301, no status yet", "port:1", new)
    check(ans["target"] == "port:2" and ans["port"] == 2 and isinstance(ans["rule"], int),
          "answered: target port:2 (group lines), port 2, the rule", "port:2", ans)
    check(isinstance(end["status"], int) and isinstance(end["cause"], int) and isinstance(end["reason"], str),
          "ended: status, cause and reason", "ints", end)
    seqs = [m["seq"] for m in msgs]
    check(seqs == sorted(seqs), "in seq order", "increasing", seqs)
cdr = rx.wait_method("E_CDR", 5, lambda m: m["params"]["call_id"] == call)
check(cdr is not None, "E_CDR for the call", "E_CDR", rx.methods())
if cdr:
    p = cdr["params"]
    check(p["answer_ms"] > 0 and p["end_ms"] >= p["answer_ms"] >= p["start_ms"] > 0
          and p["duration_ms"] == p["end_ms"] - p["answer_ms"], "E_CDR: start/answer/end and duration", "consistent", p)
    check(p["source"] == "port:1" and p["called"] == "0301" and p["target"] == "port:2", "E_CDR: source, called, target",
          "port:1 → port:2", p)
ps = [(m["params"]["port"], m["params"]["in_use"]) for m in rx.find("E_PORT_STATE")]
check((2, 1) in ps and ps.index((2, 1)) < len(ps) - 1 and ps[-1] in ((2, 0), (1, 0)) and (1, 1) in ps,
      "E_PORT_STATE follows the channels in use (ports 1 and 2: 1 during the call, 0 after)", "(2,1)…(2,0)", ps)

# Ports that changed while nobody listened: a new subscriber hears of the port that changes next, with
# the state it had before, and of no other port.
check(mi(d, "event_unsubscribe", {"event": "E_REGISTRAR_AUTH_FAILED,E_CALL_STATE,E_CDR,E_PORT_STATE,"
                                           "E_CONFIG_CHANGED,E_ACCOUNT_REG_STATE,E_UL_AOR_INSERT",
                                  "socket": rx.socket})[1] is None, "unsubscribe the receiver")
check(mi(d, "port_block", {"port": 1, "block": True})[1] is None, "port_block 1 (nobody listens)")
check(mi(d, "port_block", {"port": 1, "block": False})[1] is None, "port_block 1 0 (nobody listens)")
rp = UdpReceiver()
check(mi(d, "event_subscribe", {"event": "E_PORT_STATE", "socket": rp.socket})[1] is None,
      "a new E_PORT_STATE subscriber")
check(mi(d, "port_block", {"port": 2, "block": True})[1] is None, "port_block 2")
m = rp.wait_method("E_PORT_STATE", 5, lambda m: m["params"]["port"] == 2)
check(m is not None and m["params"]["state"] == "blocked" and m["params"]["previous"] == "up",
      "E_PORT_STATE port 2 blocked, previous up (an existing port is not 'new' to a new subscriber)",
      {"state": "blocked", "previous": "up"}, m and m["params"])
check(m is not None and [x["params"]["port"] for x in rp.find("E_PORT_STATE")] == [2],
      "…and no event for port 1, which did not change", [2], rp.find("E_PORT_STATE"))
check(mi(d, "event_subscribe", {"event": "E_ACCOUNT_REG_STATE", "socket": rx.socket})[1] is None,
      "subscribe the receiver to E_ACCOUNT_REG_STATE again")

# ---- E_ACCOUNT_REG_STATE: a trunk registers to a registrar played by Python -----------------------------
reg = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
reg.bind(("127.0.0.1", 0))
reg.settimeout(0.2)
reg_port = reg.getsockname()[1]
stop = threading.Event()
seen_register = []


def registrar():
    while not stop.is_set():
        try:
            data, peer = reg.recvfrom(65536)
        except socket.timeout:
            continue
        except OSError:
            return
        text = data.decode("utf-8", "replace")
        if not text.startswith("REGISTER "):
            continue
        seen_register.append(text)
        keep = [l for l in text.split("\r\n") if l.split(":", 1)[0].strip().lower() in
                ("via", "v", "from", "f", "call-id", "i", "cseq", "contact", "m")]
        out = ["SIP/2.0 200 OK"]
        for l in keep:
            out.append(l + (";expires=600" if l.lower().startswith(("contact:", "m:")) else ""))
        to = next((l for l in text.split("\r\n") if l.lower().startswith(("to:", "t:"))), "To: <sip:x@x>")
        out.append(to + ";tag=pyreg")
        out += ["Expires: 600", "Content-Length: 0", "", ""]
        reg.sendto("\r\n".join(out).encode(), peer)


t = threading.Thread(target=registrar, daemon=True)
t.start()
res, e = mi(d, "account_add", {"name": "trunk1", "address": f"127.0.0.1:{reg_port}", "username": "gw",
                               "secret": "s3cr3t", "register": True})
check(e is None, f"account_add trunk1 127.0.0.1:{reg_port} (register)", "OK", e)
m = rx.wait_method("E_ACCOUNT_REG_STATE", 10, lambda m: m["params"]["state"] == "registered")
check(m is not None, "E_ACCOUNT_REG_STATE registered once the registrar answers 200", "registered",
      rx.find("E_ACCOUNT_REG_STATE"))
if m:
    check(m["params"]["account"] == "trunk1" and m["params"]["previous"] == "registering" and m["params"]["error"] is None
          and m["params"]["registrar"], "params: account trunk1, previous registering, registrar, no error",
          "trunk1/registering", m["params"])
check(seen_register, "the registrar got the REGISTER", "a REGISTER", seen_register[:1])

# ---- E_STATISTICS ----------------------------------------------------------------------------------------
st = UdpReceiver()
res, e = mi(d, "event_subscribe", {"event": "E_STATISTICS", "socket": st.socket, "interval": 1,
                                    "statistics": ["core:", "events:"]})
check(e is None and isinstance(res, dict) and res.get("statistics") == {"interval": 1, "names": ["core:", "events:"]},
      "event_subscribe E_STATISTICS interval 1, statistics [core:, events:]: the row shows them",
      {"interval": 1, "names": ["core:", "events:"]}, res or e)
t0 = time.monotonic()
check(st.wait_count(3, 5), "three samples within 5 s", 3, len(st.snapshot()))
samples = st.find("E_STATISTICS")
if len(samples) >= 3:
    gaps = [round(b["time"] - a["time"], 2) for a, b in zip(samples, samples[1:])]
    check(all(0.6 <= g <= 1.6 for g in gaps), "about one per second", "~1 s apart", gaps)
    s = samples[-1]["params"]
    check(s.get("interval") == 1, "params.interval is 1", 1, s.get("interval"))
    stats = s.get("statistics", {})
    check("events:raised" in stats and isinstance(stats["events:raised"], int) and "core:rcv_requests" in stats,
          "params.statistics has events:raised and core:rcv_requests", "events:raised", stats)
    check(all(k.startswith(("core:", "events:")) for k in stats), "…and only core: and events: statistics",
          "core:/events:", sorted(stats))
cfg = stats_cfg.find("E_STATISTICS")
check(len(cfg) >= 2 and set(cfg[-1]["params"]["statistics"]) == {"events:raised", "core:rcv_requests"}
      and cfg[-1]["params"]["interval"] == 1,
      "the configured E_STATISTICS line (interval=1 statistics=events:raised,core:rcv_requests) samples those two",
      ["events:raised", "core:rcv_requests"], cfg[-1:] if cfg else stats_cfg.raw)

# ---- E_CORE_SHUTDOWN at a graceful stop ------------------------------------------------------------------
v = get_stat(d, "events:invalid")
check(v == 0, "events:invalid is 0 before the stop", 0, v)
rc = d.stop(15)
check(rc == 0, "SIGTERM: the daemon exits 0", 0, rc)
m = boot.wait_method("E_CORE_SHUTDOWN", 3)
check(m is not None, "E_CORE_SHUTDOWN is delivered during the graceful stop", "E_CORE_SHUTDOWN", boot.methods())
check(m is not None and "SIGTERM" in m["params"].get("reason", ""), "…reason names SIGTERM", "SIGTERM",
      m and m["params"])
check(boot.methods() == ["E_CORE_STARTUP", "E_CORE_SHUTDOWN"], "the boot receiver got exactly startup and shutdown",
      ["E_CORE_STARTUP", "E_CORE_SHUTDOWN"], boot.methods())

stop.set()
t.join(2)
reg.close()
finish_events(d)
