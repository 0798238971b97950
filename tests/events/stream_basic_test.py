"""GET /api/v1/events: the event stream's protocol with the default role (read_only).

hello; a subscription to E_UL_* and a real REGISTER over UDP → E_UL_AOR_INSERT and
E_UL_CONTACT_INSERT with the AOR, seq increasing; an unknown event or bad JSON → an error
message and the connection stays usable; subscribing to [] stops the events; E_STATISTICS every
second with the named statistics; http:event_streams counts the open streams.
"""
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from streamlib import *  # noqa: E402,F401,F403

# No credentials, default anonymous role (read_only): a read_only caller may stream. Events are
# raised over the FIFO (admin).
d = start_daemon(sip_sets())
check(d.sip_port > 0, "the SIP engine listens on a UDP port", "a port", d.sip_port)
check(get_stat(d, "http:event_streams") == 0, "http:event_streams is 0 before any stream", 0,
      get_stat(d, "http:event_streams"))

s = connect(d)
check(isinstance(s.hello, dict) and s.hello.get("role") == "read_only" and s.hello.get("queue") == 1000
      and s.hello.get("ping_s") == 20 and isinstance(s.hello.get("version"), str) and s.hello["version"],
      "hello: version, role read_only (the default anonymous role), queue 1000, ping_s 20",
      {"role": "read_only", "queue": 1000, "ping_s": 20}, s.hello)
check(s.snapshot()[:1] == [{"hello": s.hello}], "hello is the first message", "hello first", s.snapshot()[:2])
check(wait_for(lambda: get_stat(d, "http:event_streams") == 1, 3), "http:event_streams is 1 with one stream open",
      1, get_stat(d, "http:event_streams"))

# ---- E_UL_* and a real REGISTER ------------------------------------------------------------------
ans = s.subscribe(["E_UL_*"])
sub = (ans or {}).get("subscribed") or []
check(ans is not None and "E_UL_AOR_INSERT" in sub and "E_UL_CONTACT_INSERT" in sub
      and all(n.startswith("E_UL_") for n in sub) and ans.get("statistics") is None,
      "subscribe E_UL_*: the answer lists the E_UL_ events it matched, statistics null",
      "subscribed [E_UL_...], statistics null", ans)

user = "alice" + rand_word(5)
status, aor = register(d, user)
check(status == 200, f"REGISTER {aor} over UDP answers 200", 200, status)
aor_ev = s.wait_event("E_UL_AOR_INSERT", 5, lambda m: m["params"].get("aor") == aor)
ct_ev = s.wait_event("E_UL_CONTACT_INSERT", 5, lambda m: m["params"].get("aor") == aor)
check(aor_ev is not None, "E_UL_AOR_INSERT arrives with params.aor of the REGISTER", aor, s.events())
check(ct_ev is not None, "E_UL_CONTACT_INSERT arrives with params.aor of the REGISTER", aor, s.events())
evs = s.events()
seqs = [m.get("seq") for m in evs]
check(all(isinstance(q, int) for q in seqs) and seqs == sorted(seqs) and len(set(seqs)) == len(seqs),
      "event seq numbers are integers, strictly increasing", "increasing", seqs)
check(all(isinstance(m.get("time"), (int, float)) and abs(m["time"] - time.time()) < 60 for m in evs),
      "each event has a time (Unix seconds, now)", "time ~ now", [m.get("time") for m in evs])
check(all(set(m) == {"event", "params", "seq", "time"} for m in evs),
      "events have exactly event, params, seq, time", "{event, params, seq, time}", evs[:2])
check(all(m["event"].startswith("E_UL_") for m in evs), "only the subscribed events arrive", "E_UL_*",
      [m["event"] for m in evs])

# A second stream with nothing subscribed gets no event.
s2 = connect(d)
check(s2.hello is not None and wait_for(lambda: get_stat(d, "http:event_streams") == 2, 3),
      "http:event_streams is 2 with two streams open", 2, get_stat(d, "http:event_streams"))
check(get_stat(d, "http:event_streams_opened") == 2, "http:event_streams_opened counts both", 2,
      get_stat(d, "http:event_streams_opened"))

# ---- errors keep the connection --------------------------------------------------------------------
ans = s.subscribe(["E_NO_SUCH_EVENT"])
check(ans is not None and isinstance(ans.get("error"), dict) and ans["error"].get("code") == 400
      and "E_NO_SUCH_EVENT" in ans["error"].get("message", ""),
      "an unknown event in subscribe → {error: {code 400, message naming it}}", "error 400", ans)
ans = s.request("{not json")
check(ans is not None and (ans.get("error") or {}).get("code") == 400, "bad JSON → error 400", "error 400", ans)
ans = s.request({"subscribe": "E_UL_*"})
check(ans is not None and (ans.get("error") or {}).get("code") == 400, "subscribe not a list → error 400",
      "error 400", ans)
ans = s.subscribe(["E_STATISTICS"], {"interval": 0})
check(ans is not None and (ans.get("error") or {}).get("code") == 400, "statistics interval 0 → error 400",
      "error 400", ans)
check(not s.closed.is_set(), "the connection stays open after the errors", "open", s.close_code)
# An error leaves the subscription as it was (E_UL_*): the stream is still usable.
user2 = "bob" + rand_word(5)
status, aor2 = register(d, user2)
check(status == 200 and s.wait_event("E_UL_AOR_INSERT", 5, lambda m: m["params"].get("aor") == aor2) is not None,
      "after the errors the stream still delivers (the E_UL_* subscription is kept)", aor2,
      [m for m in s.events() if m["params"].get("aor") == aor2])

# ---- subscribe to [] stops the events ------------------------------------------------------------
ans = s.subscribe(["E_DIALPLAN_RELOADED"])
check(ans is not None and ans.get("subscribed") == ["E_DIALPLAN_RELOADED"],
      "re-subscribing replaces the subscription", ["E_DIALPLAN_RELOADED"], ans)
raise_event(d, "E_DIALPLAN_RELOADED", {"rules": 7})
check(s.wait_event("E_DIALPLAN_RELOADED", 5, lambda m: m["params"] == {"rules": 7}) is not None,
      "E_DIALPLAN_RELOADED {rules: 7} arrives", {"rules": 7}, s.events()[-3:])
mark = mark0 = s.mark()
status, aor3 = register(d, "carol" + rand_word(5))
check(status == 200, "a third REGISTER answers 200", 200, status)
ans = s.subscribe([])
check(ans is not None and ans.get("subscribed") == [] and ans.get("statistics") is None,
      "subscribe [] → subscribed [], statistics null", {"subscribed": [], "statistics": None}, ans)
check(not [m for m in s.events(start=mark) if m["event"].startswith("E_UL_")],
      "after re-subscribing to E_DIALPLAN_RELOADED no E_UL_ event arrives (REGISTER of a new AOR)",
      "none", s.events(start=mark))
mark = s.mark()
raise_event(d, "E_DIALPLAN_RELOADED", {"rules": 8})
# The negative check: a bounded window. The event's delivery to a subscriber takes
# milliseconds (it arrived at once above), so 1.5 s without it means it is not coming.
got = s.wait_event("E_DIALPLAN_RELOADED", 1.5, start=mark)
check(got is None, "after subscribe [] a raised event does not arrive (1.5 s)", "nothing", got)
check(not [m for m in s.events(start=mark0) if m["event"].startswith("E_UL_")],
      "still no E_UL_ event for the REGISTER made after re-subscribing", "none", s.events(start=mark0))
check(s2.events() == [], "a stream that never subscribed receives no event", [], s2.events())

# ---- E_STATISTICS ----------------------------------------------------------------------------------
mark = s.mark()
t0 = time.monotonic()
ans = s.subscribe(["E_STATISTICS"], {"interval": 1, "names": ["http:event_streams", "core:"]})
check(ans is not None and ans.get("subscribed") == ["E_STATISTICS"]
      and ans.get("statistics") == {"interval": 1, "names": ["http:event_streams", "core:"]},
      "subscribe E_STATISTICS interval 1 → the answer echoes interval and names",
      {"interval": 1, "names": ["http:event_streams", "core:"]}, ans)
two = wait_for(lambda: len(s.events("E_STATISTICS", start=mark)) >= 2, 3.5)
dt = time.monotonic() - t0
samples = s.events("E_STATISTICS", start=mark)
check(two, f"two E_STATISTICS samples arrive within 3.5 s (took {dt:.2f} s)", ">= 2", len(samples))
if len(samples) >= 2:
    p = samples[0]["params"]
    st = p.get("statistics") or {}
    check(p.get("interval") == 1, "E_STATISTICS params.interval is 1", 1, p)
    check(st.get("http:event_streams") == 2, "the sample carries http:event_streams (= 2 streams open)", 2, st)
    check(any(k.startswith("core:") for k in st) and all(k.startswith(("core:", "http:event_streams")) for k in st),
          "the sample has the core: group and only the names asked for", "core:* + http:event_streams", sorted(st))
    gap = samples[1]["time"] - samples[0]["time"]
    check(0.5 <= gap <= 2.0, f"samples about 1 s apart ({gap:.2f} s)", "~1 s", gap)
    check(samples[1]["seq"] > samples[0]["seq"], "the samples' seq increases", "increasing",
          [m["seq"] for m in samples])
def statistics_listeners():
    res, err = mi(d, "events_list", {"event": "E_STATISTICS"})
    rows = (res or {}).get("Events") or [] if isinstance(res, dict) else res or []
    return next((r.get("listeners") for r in rows if r.get("name") == "E_STATISTICS"), None)


check(statistics_listeners() == 1, "events_list counts the sampling stream as a listener of E_STATISTICS", 1,
      statistics_listeners())
ans = s.subscribe([])
check(statistics_listeners() == 0, "…and no longer once it unsubscribed", 0, statistics_listeners())
mark = s.mark()
late = s.wait_event("E_STATISTICS", 1.6, start=mark)
check(late is None, "after subscribe [] the statistics samples stop (1.6 s > the interval)", "nothing", late)

# ---- closing the streams brings the gauge down ------------------------------------------------------
s2.close()
check(s2.close_code == 1000, "a client close ends with 1000", 1000, s2.close_code)
check(wait_for(lambda: get_stat(d, "http:event_streams") == 1, 3), "http:event_streams is 1 after one closed",
      1, get_stat(d, "http:event_streams"))
s.close()
check(wait_for(lambda: get_stat(d, "http:event_streams") == 0, 3), "http:event_streams is 0 after both closed",
      0, get_stat(d, "http:event_streams"))
res, err = mi(d, "events_list", {"event": "E_UL_AOR_INSERT"})
check(err is None and res and res[0].get("listeners") == 0,
      "events_list: no listener on E_UL_AOR_INSERT after the stream went", 0, res or err)

# ---- a client that goes away without a close frame ---------------------------------------------------
# (a crashed browser tab, a dropped network): its stream must end at once, not hold one of the
# http.events_max_streams slots (and its thread) until the next ping.
raw = RawWs(d)
raw.send_text({"subscribe": ["E_UL_*"]})
first = [raw.read_message(5)[1] for _ in range(2)]
check(raw.status == 101 and b"subscribed" in first[1], "a socket client opens a stream and subscribes", 101, first)
check(wait_for(lambda: get_stat(d, "http:event_streams") == 1, 3), "http:event_streams is 1", 1,
      get_stat(d, "http:event_streams"))
raw.close()  # FIN, no close frame
t0 = time.monotonic()
gone = wait_for(lambda: get_stat(d, "http:event_streams") == 0, 3, 0.05)
check(gone, f"a client that closes its TCP connection without a close frame: the stream ends at once "
            f"(http:event_streams 0 after {time.monotonic() - t0:.1f} s; ping interval 20 s)", "0 within 3 s",
      get_stat(d, "http:event_streams"))
lingering = get_stat(d, "http:event_streams") or 0  # 0 unless that failed: the checks below count from it

# ---- messages over 64 KiB close the connection with 1009 ----------------------------------------------
s = connect(d)
ok_msg = json.dumps({"subscribe": ["E_DIALPLAN_RELOADED"], "pad": ""})
ok_msg = ok_msg[:-2] + "x" * (65536 - len(ok_msg)) + ok_msg[-2:]
ans = s.request(ok_msg)
check(len(ok_msg) == 65536 and ans is not None and ans.get("subscribed") == ["E_DIALPLAN_RELOADED"],
      "a 64 KiB message (65536 bytes) is accepted", "subscribed", ans)
s.send(ok_msg[:-2] + "x" + ok_msg[-2:])
check(s.closed.wait(5) and s.close_code == 1009, "a 65537-byte message closes the connection with 1009", 1009,
      (s.close_code, s.close_reason))
check(wait_for(lambda: get_stat(d, "http:event_streams") == lingering, 3), "the stream is gone after the 1009",
      lingering, get_stat(d, "http:event_streams"))
assert_alive(d, when="after the streams")

# ---- pings: http.events_ping_s = 1 -----------------------------------------------------------------
# python websockets answers the daemon's pings; a socket client that never reads does not and is
# dropped after two intervals.
e = start_daemon(["http.events_ping_s=1"])
d_main, d = d, e
fine = connect(d)
check(fine.hello is not None and fine.hello.get("ping_s") == 1, "with events_ping_s = 1 hello says ping_s 1", 1,
      fine.hello)
mute = RawWs(d)
first = [mute.read_message(5)[1]]
check(mute.status == 101 and b"hello" in first[0], "a socket client opens a stream (and then neither reads nor "
      "answers pings)", 101, first)
t0 = time.monotonic()
dropped = wait_for(lambda: not daemon_side_established(d, mute.local_port), 5, 0.05)
dt = time.monotonic() - t0
check(dropped and 1.5 <= dt, f"the daemon drops the silent client after two ping intervals ({dt:.1f} s)",
      "dropped after ~2 s", (dropped, dt))
check(wait_for(lambda: get_stat(d, "http:event_streams") == 1, 3), "http:event_streams is 1 (the answering one)",
      1, get_stat(d, "http:event_streams"))
# The one that answers is still there after more than three intervals.
wait_for(lambda: time.monotonic() - t0 > 3.5, 5, 0.1)
check(not fine.closed.is_set(), "the client that answers pings is still connected after 3 intervals", "open",
      (fine.close_code, fine.close_reason))
check((fine.subscribe(["E_DIALPLAN_RELOADED"]) or {}).get("subscribed") == ["E_DIALPLAN_RELOADED"],
      "and still answers", "subscribed", fine.snapshot()[-1:])
fine.close()
mute.close()
d = d_main
finish()
