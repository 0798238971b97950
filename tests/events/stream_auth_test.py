"""GET /api/v1/events: authentication, browser tickets, Origin checks and the stream limit.

With http.basic_auth / http.tokens configured the upgrade needs an Authorization header (401
otherwise) and the stream runs with the caller's role; POST /api/v1/events/tickets gives a
single-use ticket (201) that upgrades without a header once (then 401), expiring after
http.events_ticket_ttl_s; a foreign Origin is refused 403 (cross-site WebSocket hijacking),
the daemon's own origin and http.allowed_origins are accepted; beyond http.events_max_streams
the upgrade is answered 503.
"""
import os
import re
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from streamlib import *  # noqa: E402,F401,F403

PANEL = "http://panel.example"
RO, ADM = basic("ro", "ro-pass"), basic("adm", "adm-pass")
TOKEN = "Bearer tok-operator-123"

d = start_daemon(["http.basic_auth=ro:ro-pass:read_only,adm:adm-pass:admin",
                  "http.tokens=tok-operator-123:operator", f"http.allowed_origins={PANEL}",
                  "http.events_max_streams=2"])
OWN = f"http://127.0.0.1:{d.http_port}"


def post_ticket(auth=None, origin=None):
    """POST /api/v1/events/tickets: (status, parsed body or None, headers)."""
    h = {"Host": f"127.0.0.1:{d.http_port}"}
    if auth:
        h["Authorization"] = auth
    if origin:
        h["Origin"] = origin
    status, headers, body = http(d, "POST", TICKETS, b"", h)
    try:
        obj = json.loads(body)
    except ValueError:
        obj = None
    return status, obj, headers


def streams_open():
    return get_stat(d, "http:event_streams")


def settle(n):
    """Waits until the daemon counts `n` open streams (a closed one is counted until its thread ends)."""
    return check(wait_for(lambda: streams_open() == n, 3), f"http:event_streams is {n}", n, streams_open())


# ---- Authorization header ------------------------------------------------------------------------
st, s = connect_status(d)
check(st == 401 and s is None, "upgrade without credentials → 401", 401, st)
st, s = connect_status(d, headers={"Authorization": basic("ro", "wrong")})
check(st == 401, "upgrade with a wrong password → 401", 401, st)
st, s = connect_status(d, headers={"Authorization": "Bearer not-a-token"})
check(st == 401, "upgrade with an unknown token → 401", 401, st)

st, s = connect_status(d, headers={"Authorization": RO})
check(st == 101 and s.hello is not None and s.hello.get("role") == "read_only",
      "upgrade with Basic ro → 101, hello role read_only", "101 read_only", (st, s and s.hello))
if s:
    ans = s.subscribe(["E_DIALPLAN_RELOADED"])
    check(ans is not None and ans.get("subscribed") == ["E_DIALPLAN_RELOADED"], "the read_only stream subscribes",
          ["E_DIALPLAN_RELOADED"], ans)
    raise_event(d, "E_DIALPLAN_RELOADED", {"rules": 11})
    check(s.wait_event("E_DIALPLAN_RELOADED", 5, lambda m: m["params"] == {"rules": 11}) is not None,
          "the read_only stream receives the event", {"rules": 11}, s.snapshot())
    s.close()
st, s = connect_status(d, headers={"Authorization": TOKEN})
check(st == 101 and s.hello is not None and s.hello.get("role") == "operator",
      "upgrade with a Bearer token → 101, hello role operator", "101 operator", (st, s and s.hello))
if s:
    s.close()
settle(0)

# ---- tickets ---------------------------------------------------------------------------------------
st, obj, _ = post_ticket()
check(st == 401, "POST /api/v1/events/tickets without credentials → 401", 401, (st, obj))
st, obj, _ = post_ticket(ADM, origin="http://evil.example")
check(st == 403, "POST /api/v1/events/tickets from a foreign Origin → 403", 403, (st, obj))

st, obj, hdrs = post_ticket(ADM)
t = (obj or {}).get("ticket", "")
check(st == 201 and isinstance(obj, dict) and re.fullmatch(r"[0-9a-f]{64}", t or "") is not None
      and obj.get("expires_in") == 30 and obj.get("url") == f"{EVENTS}?ticket={t}" and obj.get("role") == "admin",
      "POST tickets (admin) → 201 {ticket: 64 hex, expires_in 30, url, role admin}",
      "201 + ticket", (st, obj))
check("no-store" in hdrs.get("cache-control", ""), "the ticket answer is Cache-Control: no-store", "no-store",
      hdrs.get("cache-control"))
st2, obj2, _ = post_ticket(RO)
t2 = (obj2 or {}).get("ticket", "")
check(st2 == 201 and obj2.get("role") == "read_only" and t2 and t2 != t,
      "POST tickets (read_only) → 201 with role read_only and another ticket", "201 read_only", (st2, obj2))

# A ticket authenticates the event stream only, not the rest of the API (and is not spent there).
status, _, body = http(d, "GET", f"/api/v1/system?ticket={t}", None, {"Host": f"127.0.0.1:{d.http_port}"})
check(status == 401, "a ticket does not authenticate another URL (GET /api/v1/system?ticket= → 401)", 401,
      (status, body[:200]))

st, s = connect_status(d, path=obj.get("url", EVENTS))
check(st == 101 and s.hello is not None and s.hello.get("role") == "admin",
      "upgrade with the ticket and no Authorization header → 101, role admin (the ticket's)", "101 admin",
      (st, s and s.hello))
if s:
    s.close()
st, s = connect_status(d, path=f"{EVENTS}?ticket={t}")
check(st == 401, "the same ticket a second time → 401 (single use)", 401, st)
st, s = connect_status(d, path=f"{EVENTS}?ticket={t2}", origin=PANEL)
check(st == 101 and s.hello is not None and s.hello.get("role") == "read_only",
      "a read_only ticket from the allowed browser origin → 101, role read_only", "101 read_only",
      (st, s and s.hello))
if s:
    s.close()
st, s = connect_status(d, path=f"{EVENTS}?ticket={os.urandom(32).hex()}")
check(st == 401, "an unknown ticket → 401", 401, st)
st, s = connect_status(d, path=f"{EVENTS}?ticket=")
check(st == 401, "an empty ticket → 401", 401, st)
settle(0)

# ---- Origin ----------------------------------------------------------------------------------------
st, s = connect_status(d, headers={"Authorization": ADM}, origin="http://evil.example")
check(st == 403, "upgrade with Origin http://evil.example (valid credentials) → 403", 403, st)
st3, obj3, _ = post_ticket(ADM)
st, s = connect_status(d, path=f"{EVENTS}?ticket={(obj3 or {}).get('ticket')}", origin="http://evil.example")
check(st == 403, "upgrade with a valid ticket from Origin http://evil.example → 403", 403, st)
st, s = connect_status(d, headers={"Authorization": ADM}, origin="null")
check(st == 403, "upgrade with Origin null → 403", 403, st)
st, s = connect_status(d, headers={"Authorization": ADM}, origin=OWN)
check(st == 101 and s.hello is not None, f"upgrade with the daemon's own origin {OWN} → 101", 101, st)
if s:
    s.close()
st, s = connect_status(d, headers={"Authorization": ADM}, origin=PANEL)
check(st == 101 and s.hello is not None, f"upgrade with an http.allowed_origins origin {PANEL} → 101", 101, st)
if s:
    s.close()
settle(0)
check(get_stat(d, "http:foreign_origin") >= 4, "http:foreign_origin counts the refused origins", ">= 4",
      get_stat(d, "http:foreign_origin"))

# ---- http.events_max_streams = 2 -----------------------------------------------------------------
st_a, a = connect_status(d, headers={"Authorization": RO})
st_b, b = connect_status(d, headers={"Authorization": TOKEN})
check(st_a == 101 and st_b == 101, "two streams open (events_max_streams = 2)", (101, 101), (st_a, st_b))
settle(2)
st, s = connect_status(d, headers={"Authorization": ADM})
check(st == 503 and s is None, "a third upgrade → 503", 503, st)
st4, obj4, _ = post_ticket(ADM)
st, s = connect_status(d, path=f"{EVENTS}?ticket={(obj4 or {}).get('ticket')}")
check(st == 503, "a third upgrade with a ticket → 503", 503, st)
if a and b:
    raise_event(d, "E_DIALPLAN_RELOADED", {"rules": 12})  # the open streams are unaffected
    a.subscribe(["E_DIALPLAN_RELOADED"])
    raise_event(d, "E_DIALPLAN_RELOADED", {"rules": 13})
    check(a.wait_event("E_DIALPLAN_RELOADED", 5, lambda m: m["params"] == {"rules": 13}) is not None,
          "the two open streams keep working after the refusal", {"rules": 13}, a.snapshot())
    b.close()
settle(1)
st, s = connect_status(d, headers={"Authorization": ADM})
check(st == 101 and s.hello is not None, "once one closed, a new upgrade → 101", 101, st)
for x in (a, s):
    if x:
        x.close()
settle(0)
check(get_stat(d, "http:event_streams_opened") == 9,
      "http:event_streams_opened counts the 9 streams opened (none of the refused ones)", 9,
      get_stat(d, "http:event_streams_opened"))
assert_alive(d, when="after the refusals")

# ---- ticket expiry: http.events_ticket_ttl_s = 1 -----------------------------------------------
e = start_daemon(["http.basic_auth=adm:adm-pass:admin", "http.events_ticket_ttl_s=1"])
d_main, d = d, e
st, obj, _ = post_ticket(ADM)
check(st == 201 and obj.get("expires_in") == 1, "with events_ticket_ttl_s = 1 the ticket says expires_in 1", 1,
      (st, obj))
st, obj_b, _ = post_ticket(ADM)
issued = time.monotonic()
st, s = connect_status(d, path=f"{EVENTS}?ticket={obj['ticket']}")
check(st == 101, "a ticket used within its second → 101", 101, st)
if s:
    s.close()
# Expiry is the property under test: wait out the TTL itself (1 s), with a margin.
time.sleep(max(0.0, issued + 1.6 - time.monotonic()))
st, s = connect_status(d, path=f"{EVENTS}?ticket={obj_b['ticket']}")
check(st == 401, "an unused ticket after its TTL → 401 (expired)", 401, st)
d = d_main
finish()
