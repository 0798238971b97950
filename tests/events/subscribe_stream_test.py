"""Issue #14: tcp: event sockets — newline-delimited JSON-RPC notifications over one kept
connection; when the receiver goes away the event is kept and the connection retried with
back-off, so the events raised meanwhile arrive once the receiver is back.

raise_event (through sbctl, as a script would) raises E_DIALPLAN_RELOADED {"rules": N}.
"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eventlib import *  # noqa: E402,F401,F403

d = start(["events.backoff_max_ms=1000"])
rx = TcpReceiver()


def rules_seen():
    return [m["params"]["rules"] for m in rx.find("E_DIALPLAN_RELOADED")]


def raise_rules(n):
    rc, out, err = sbctl(d, "raise_event", "E_DIALPLAN_RELOADED", '{"rules":%d}' % n)
    check(rc == 0, f"sbctl raise_event E_DIALPLAN_RELOADED '{{\"rules\":{n}}}' exits 0", 0, f"{rc}: {out} {err}")


res, e = mi(d, "event_subscribe", {"event": "E_DIALPLAN_RELOADED", "socket": rx.socket})
check(e is None and isinstance(res, dict) and res["kind"] == "tcp" and res["socket"] == rx.socket,
      f"event_subscribe E_DIALPLAN_RELOADED {rx.socket}: a tcp subscription", "kind tcp", res or e)
check(rx.accepted == 0, "no connection before the first event (made on demand)", 0, rx.accepted)

for n in (1, 2, 3):
    raise_rules(n)
check(wait_for(lambda: rules_seen() == [1, 2, 3], 5), "three events arrive as three lines, in order", [1, 2, 3],
      rules_seen())
check(not rx.bad, "every line is one JSON document ending in '\\n'", [], rx.bad[:3])
check(rx.accepted == 1, "one connection, kept for every event", 1, rx.accepted)
m = rx.find("E_DIALPLAN_RELOADED")[0]
check(m.get("jsonrpc") == "2.0" and isinstance(m.get("seq"), int) and isinstance(m.get("time"), float),
      "each line is a JSON-RPC 2.0 notification with seq and time", "jsonrpc/seq/time", m)
row = subscription(d, rx.socket)
check(row is not None and row["delivered"] == 3 and row["state"].get("connected") is True
      and row["state"].get("reconnects") == 0, "subscribers_list: 3 delivered, connected, no reconnects",
      {"connected": True, "reconnects": 0}, row)

# ---- the receiver goes away; events raised meanwhile are kept -----------------------------------
port = rx.port
rx.stop_listening()
before = subscription(d, rx.socket)["delivered"]
for n in (4, 5, 6):
    raise_rules(n)
# One event is being sent (retried: not counted delivered, not queued); the rest wait queued.
in_retry = wait_for(lambda: (lambda r: r and r["queued"] + (r["delivered"] - before) == 2 and r["failed"] == 0)(
    subscription(d, rx.socket)), 5)
check(in_retry, "while the receiver is away an event is retried and the others wait in the queue",
      "queued + newly delivered == 2", subscription(d, rx.socket))
away = wait_for(lambda: (lambda r: r if r and r["state"].get("connected") is False else None)(
    subscription(d, rx.socket)), 3)
check(away is not None, "subscribers_list shows the outage while it lasts: state.connected false",
      {"connected": False}, subscription(d, rx.socket))
alive = assert_alive(d, when="while a tcp subscriber is away")
rx.listen()
check(rx.port == port, "the receiver listens again on the same port", port, rx.port)
got = wait_for(lambda: 6 in rules_seen(), 10)
check(got and rules_seen()[-2:] == [5, 6], "after the reconnect the kept events arrive, in order", [5, 6], rules_seen())
check(rules_seen()[3:] == [4, 5, 6], "none is lost: also the first one raised after the receiver closed the "
      "connection (a write into a connection the peer closed is not a delivery)", [4, 5, 6], rules_seen()[3:])
check(rx.accepted == 2, "…over a new connection", 2, rx.accepted)
row = wait_for(lambda: (lambda r: r if r and r["queued"] == 0 and r["delivered"] >= 5 else None)(
    subscription(d, rx.socket)), 5)
check(row is not None and row["state"].get("reconnects", 0) > 0 and row["state"].get("connected") is True,
      "subscribers_list: state.reconnects > 0 and connected again", "reconnects > 0", row)
check(row is not None and row["failed"] == 0, "nothing failed (the event was kept, not given up)", 0, row)
check(row is not None and row["delivered"] == len(rules_seen()), "delivered counts the events the receiver got",
      len(rules_seen()), row and row["delivered"])

raise_rules(7)
check(wait_for(lambda: rules_seen()[-1:] == [7], 5), "the new connection is kept for the next event", [7],
      rules_seen())
check(rx.accepted == 2, "no new connection for it", 2, rx.accepted)

# ---- the raised events in the statistics ---------------------------------------------------------
raised = get_stat(d, "events:raised")
check(raised is not None and raised >= 7, "events:raised counts the raised events", ">= 7", raised)
check(get_stat(d, "events:failed") == 0, "events:failed stays 0", 0, get_stat(d, "events:failed"))

rx.close()
finish_events(d)
