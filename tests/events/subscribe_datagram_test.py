"""Issue #14: udp: and unix: event sockets, subscribed with sbctl as a shell user would.

A REGISTER sent over UDP to the real daemon makes the user location raise E_UL_* events; each
subscription gets exactly the events its pattern takes (one name, the prefix E_UL_*, a comma
list), one JSON-RPC 2.0 notification per datagram with method, params, seq and time.
Re-registering gives E_UL_CONTACT_REFRESH, Expires: 0 gives E_UL_CONTACT_DELETE (reason
"unregistered") then E_UL_AOR_DELETE. Subscribing again refreshes the expiry (same id); expire 0
and event_unsubscribe remove it (404 when there is none).
"""
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eventlib import *  # noqa: E402,F401,F403

d = start()
ua = SipClient(d)

# ---- one event over udp:, subscribed with sbctl ------------------------------------------------
r1 = UdpReceiver()
rc, out, err = sbctl(d, "event_subscribe", "E_UL_CONTACT_INSERT", r1.socket)
check(rc == 0, f"sbctl event_subscribe E_UL_CONTACT_INSERT {r1.socket} exits 0", 0, f"{rc}: {out} {err}")
check(r1.socket in out and "udp" in out, "sbctl prints the subscription row (socket, kind)", r1.socket, out)
row = subscription(d, r1.socket)
check(row is not None and row["kind"] == "udp" and row["source"] == "runtime" and row["events"] == ["E_UL_CONTACT_INSERT"],
      "subscribers_list: kind udp, source runtime, events [E_UL_CONTACT_INSERT]", "udp/runtime", row)
check(row is not None and row["expires_in"] is not None and 3590 <= row["expires_in"] <= 3600,
      "the default expiry is 3600 s", "3590..3600", row and row["expires_in"])
lst = mi_ok(d, "events_list", {"event": "E_UL_CONTACT_INSERT"})
check(isinstance(lst, list) and len(lst) == 1 and lst[0]["listeners"] == 1, "events_list: E_UL_CONTACT_INSERT has 1 listener",
      1, lst)
lst = mi_ok(d, "events_list", {"event": "E_UL_AOR_INSERT"})
check(isinstance(lst, list) and lst and lst[0]["listeners"] == 0, "events_list: E_UL_AOR_INSERT has none", 0, lst)

t0 = time.time()
status, _, _, alice = ua.register("alice", "example.com", expires=120)
check(status == 200, "REGISTER alice@example.com: 200", 200, status)
m = r1.wait_method("E_UL_CONTACT_INSERT", 5)
check(m is not None, "a datagram with method E_UL_CONTACT_INSERT arrives", "E_UL_CONTACT_INSERT", r1.raw)
if m:
    p = m.get("params", {})
    check(m.get("jsonrpc") == "2.0" and "id" not in m, "a JSON-RPC 2.0 notification (no id)", "jsonrpc 2.0", m)
    check(p.get("aor") == "alice@example.com", "params.aor", "alice@example.com", p)
    check(p.get("uri") == alice["contact"], "params.uri is the Contact registered", alice["contact"], p.get("uri"))
    check(p.get("callid") == alice["call_id"] and p.get("user_agent") == "eventlib-test",
          "params.callid and user_agent are the REGISTER's", alice["call_id"], p)
    check(isinstance(p.get("expires"), int) and abs(p["expires"] - (t0 + 120)) < 10,
          "params.expires is the unix time the binding expires", int(t0 + 120), p.get("expires"))
    check(isinstance(m.get("seq"), int) and m["seq"] > 0, "seq is a positive integer", "> 0", m.get("seq"))
    check(isinstance(m.get("time"), float) and abs(m["time"] - time.time()) < 30, "time is the unix time (seconds.micro)",
          time.time(), m.get("time"))
    check("dropped" not in m, "no 'dropped' when nothing was lost", "absent", m)

# ---- the prefix E_UL_* over udp: ----------------------------------------------------------------
r2 = UdpReceiver()
rc, out, err = sbctl(d, "event_subscribe", "E_UL_*", r2.socket)
check(rc == 0, "sbctl event_subscribe E_UL_* exits 0", 0, f"{rc}: {out} {err}")
row = subscription(d, r2.socket)
ul = ["E_UL_AOR_DELETE", "E_UL_AOR_INSERT", "E_UL_CONTACT_DELETE", "E_UL_CONTACT_INSERT", "E_UL_CONTACT_REFRESH",
      "E_UL_CONTACT_UPDATE"]
check(row is not None and sorted(row["events"]) == ul, "the prefix takes the six E_UL_* events", ul, row)

status, _, _, carol = ua.register("carol", "example.com", expires=120)
check(status == 200, "REGISTER carol: 200", 200, status)
got = r2.wait_method("E_UL_CONTACT_INSERT", 5, lambda m: m["params"].get("aor") == "carol@example.com")
check(got is not None, "E_UL_* receives E_UL_CONTACT_INSERT for carol", "E_UL_CONTACT_INSERT", r2.methods())
ai = r2.find("E_UL_AOR_INSERT", lambda m: m["params"] == {"aor": "carol@example.com"})
check(len(ai) == 1, "…and E_UL_AOR_INSERT {aor} (its first binding), once", 1, r2.snapshot())
if ai and got:
    check(ai[0]["seq"] < got["seq"], "AOR_INSERT comes before CONTACT_INSERT (seq)", "<", (ai[0]["seq"], got["seq"]))

status, _, _, _ = ua.register("carol", "example.com", expires=120, call_id=carol["call_id"])
check(status == 200, "re-REGISTER carol (same Call-ID, next CSeq): 200", 200, status)
ref = r2.wait_method("E_UL_CONTACT_REFRESH", 5, lambda m: m["params"].get("aor") == "carol@example.com")
check(ref is not None, "a re-REGISTER gives E_UL_CONTACT_REFRESH", "E_UL_CONTACT_REFRESH", r2.methods())
check(ref is not None and ref["params"]["cseq"] == ua.cseq, "…with the new CSeq", ua.cseq, ref)
check(not r2.find("E_UL_CONTACT_UPDATE") and len(r2.find("E_UL_AOR_INSERT", lambda m: m["params"]["aor"] == "carol@example.com")) == 1,
      "a refresh is neither an update nor a new AOR", "no E_UL_CONTACT_UPDATE", r2.methods())

status, _, _, _ = ua.register("carol", "example.com", expires=0, call_id=carol["call_id"])
check(status == 200, "REGISTER carol Expires: 0: 200", 200, status)
ad = r2.wait_method("E_UL_AOR_DELETE", 5, lambda m: m["params"].get("aor") == "carol@example.com")
cd = r2.find("E_UL_CONTACT_DELETE", lambda m: m["params"].get("aor") == "carol@example.com")
check(ad is not None, "Expires: 0 gives E_UL_AOR_DELETE (the last binding went)", "E_UL_AOR_DELETE", r2.methods())
check(len(cd) == 1 and cd[0]["params"].get("reason") == "unregistered" and cd[0]["params"].get("uri") == carol["contact"],
      "…and E_UL_CONTACT_DELETE reason 'unregistered' for the contact", "unregistered", cd)
if ad and cd:
    check(cd[0]["seq"] < ad["seq"], "CONTACT_DELETE comes before AOR_DELETE", "<", (cd[0]["seq"], ad["seq"]))
seqs = [m["seq"] for m in r2.snapshot()]
check(seqs == sorted(seqs) and len(set(seqs)) == len(seqs), "seq increases from datagram to datagram", "increasing", seqs)
check(not r2.bad, "every datagram is one JSON document", [], r2.bad[:3])

# Only what r1 subscribed to: carol's register/refresh/unregister sent r1 one CONTACT_INSERT
# (carol's first) and no other kind of event.
wait_for(lambda: r1.find("E_UL_CONTACT_INSERT", lambda m: m["params"]["aor"] == "carol@example.com"), 5)
check(set(r1.methods()) == {"E_UL_CONTACT_INSERT"}, "the E_UL_CONTACT_INSERT subscriber gets nothing else "
      "(no E_UL_AOR_INSERT, REFRESH, DELETE)", {"E_UL_CONTACT_INSERT"}, r1.methods())
check(len(r1.snapshot()) == 2, "…two inserts: alice and carol", 2, r1.snapshot())

# ---- unix: with a comma list ---------------------------------------------------------------------
ux = UnixReceiver(os.path.join(d.tmp, "events.sock"))
rc, out, err = sbctl(d, "event_subscribe", "E_UL_CONTACT_INSERT, E_UL_CONTACT_DELETE", ux.socket)
check(rc == 0, "sbctl event_subscribe 'E_UL_CONTACT_INSERT, E_UL_CONTACT_DELETE' unix:… exits 0", 0, f"{rc}: {out} {err}")
row = subscription(d, ux.socket)
check(row is not None and row["kind"] == "unix" and sorted(row["events"]) == ["E_UL_CONTACT_DELETE", "E_UL_CONTACT_INSERT"],
      "subscribers_list: kind unix, the two events of the list", "unix", row)
status, _, _, dave = ua.register("dave", "example.com", expires=120)
check(status == 200, "REGISTER dave: 200", 200, status)
m = ux.wait_method("E_UL_CONTACT_INSERT", 5)
check(m is not None and m["params"]["aor"] == "dave@example.com" and m["params"]["uri"] == dave["contact"],
      "the unix datagram socket gets E_UL_CONTACT_INSERT for dave", "dave@example.com", ux.raw)
status, _, _, _ = ua.register("dave", "example.com", expires=0, call_id=dave["call_id"])
m = ux.wait_method("E_UL_CONTACT_DELETE", 5)
check(m is not None and m["params"]["reason"] == "unregistered", "…and E_UL_CONTACT_DELETE when dave unregisters",
      "unregistered", ux.raw)
check(set(ux.methods()) == {"E_UL_CONTACT_INSERT", "E_UL_CONTACT_DELETE"} and len(ux.snapshot()) == 2,
      "…and nothing else (no AOR events)", 2, ux.methods())
row = subscription(d, ux.socket)
check(row is not None and row["delivered"] == 2 and row["failed"] == 0 and row["dropped"] == 0 and row["queued"] == 0,
      "subscribers_list counts 2 delivered, none failed or dropped", 2, row)

# ---- refresh, unsubscribe -------------------------------------------------------------------------
first = subscription(d, r1.socket)
rc, obj, out, err = sbctl_json(d, "event_subscribe", "event=E_UL_CONTACT_INSERT", f"socket={r1.socket}", "expire=100")
check(rc == 0 and isinstance(obj, dict) and obj.get("id") == (first or {}).get("id") and 90 <= obj.get("expires_in", -1) <= 100,
      "subscribing again (same event and socket) refreshes it: same id, expires_in <= 100", first and first["id"], obj or out)
check(len([s for s in subscriptions(d) if s["socket"] == r1.socket]) == 1, "…and does not add a second one", 1,
      subscriptions(d))
rc, out, err = sbctl(d, "event_unsubscribe", "E_UL_CONTACT_INSERT", r1.socket)
check(rc == 0, "sbctl event_unsubscribe exits 0", 0, f"{rc}: {out} {err}")
check(subscription(d, r1.socket) is None, "it is gone from subscribers_list")
res, e = mi(d, "event_unsubscribe", {"event": "E_UL_CONTACT_INSERT", "socket": r1.socket})
check(e is not None and e.get("code") == 404, "unsubscribing it again: 404", 404, e)
res, e = mi(d, "event_subscribe", {"event": "E_UL_CONTACT_INSERT, E_UL_CONTACT_DELETE", "socket": ux.socket, "expire": 0})
check(e is None and res == "OK", "event_subscribe … expire 0 unsubscribes: OK", "OK", (res, e))
check(subscription(d, ux.socket) is None, "the unix subscription is gone")
res, e = mi(d, "event_subscribe", {"event": "E_UL_CONTACT_INSERT", "socket": ux.socket, "expire": 0})
check(e is not None and e.get("code") == 404, "expire 0 of a subscription that does not exist: 404", 404, e)

n1, nx = len(r1.snapshot()), len(ux.snapshot())
status, _, _, _ = ua.register("erin", "example.com", expires=120)
check(r2.wait_method("E_UL_CONTACT_INSERT", 5, lambda m: m["params"]["aor"] == "erin@example.com") is not None,
      "the E_UL_* subscription still gets erin's insert")
check(len(r1.snapshot()) == n1 and len(ux.snapshot()) == nx, "the removed subscriptions get nothing more",
      (n1, nx), (len(r1.snapshot()), len(ux.snapshot())))
check(get_stat(d, "events:subscribers") == 1, "events:subscribers counts the one left", 1, get_stat(d, "events:subscribers"))
delivered = get_stat(d, "events:delivered")
check(delivered is not None and delivered >= 11, "events:delivered counts the datagrams sent", ">= 11", delivered)

finish_events(d)
