"""GET /api/v1/events: a consumer that never reads is cut off and slows nothing else.

With http.events_queue = 10: one normal consumer (python websockets, reads everything) and one
socket client that completes the handshake, subscribes, then never reads (SO_RCVBUF 4 kB).
3000 events of ~4 kB (12 MB: more than the kernel's socket buffers can hold) are raised through
JSON-RPC batches on /mi. The stuck consumer is cut off (close code 4008, or the connection shut
down after the ~2 s grace when even the close frame cannot be written), counted in
http:event_streams_too_slow; the normal consumer receives every event, seq increasing; `uptime`
over the FIFO keeps answering at once; raising is never held up; RSS stays bounded. A consumer
that pauses while a few events wait in the socket buffers is not closed; one that falls more
than 10 messages behind and then reads finds the 4008 close frame, and is counted too.

The normal consumer is kept in step with the raising (each batch of 8 is waited for before the
next) so that its own backlog stays under the queue bound by construction: this test is about
the stuck consumer, not about how fast the daemon writes a burst.
"""
import os
import sys
import threading
import time
import types

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from streamlib import *  # noqa: E402,F401,F403

N = 3000
BATCH = 8
BIG = "E_CONFIG_CHANGED"      # {"revision": i, "source": <4 kB>, "changes": null}: the flood
SMALL = "E_DIALPLAN_RELOADED"  # {"rules": i}: the other parts
PAD = "flood-" + "x" * 4000

d = start_daemon(["http.anonymous_role=admin", "http.events_queue=10", "core.max_batch=2000"])


def params(ev, i):
    return {"revision": i, "source": PAD, "changes": None} if ev == BIG else {"rules": i}


def key(m):
    p = m.get("params") or {}
    return p.get("revision") if m.get("event") == BIG else p.get("rules")


def raise_range(ev, first, count):
    """raise_event `ev` for i in first..first+count-1, as one JSON-RPC batch."""
    return raise_batch(d, [("raise_event", {"event": ev, "params": params(ev, i)}) for i in range(first, first + count)])


def batch_ok(status, replies, count):
    return status == 200 and isinstance(replies, list) and len(replies) == count and \
        all(isinstance(r, dict) and "result" in r for r in replies)


def flood(ev, first, count, follower):
    """Raises `count` events in batches of BATCH, each batch delivered to `follower` (a Stream)
    before the next. Returns (all ok, slowest POST in s, first bad answer)."""
    worst, bad = 0.0, None
    base = follower.count(ev)
    for b in range(first, first + count, BATCH):
        n = min(BATCH, first + count - b)
        t0 = time.monotonic()
        status, replies = raise_range(ev, b, n)
        worst = max(worst, time.monotonic() - t0)
        if not batch_ok(status, replies, n) and bad is None:
            bad = (status, replies if isinstance(replies, str) else replies[:2])
        want = base + (b + n - first)
        if not wait_for(lambda: follower.count(ev) >= want or follower.closed.is_set(), 5, 0.001) \
                or follower.closed.is_set():
            return False, worst, bad or f"the follower stopped at {follower.count(ev)} events " \
                                         f"(closed: {follower.closed.is_set()} code {follower.close_code})"
    return bad is None, worst, bad


def keys_of(msgs, ev):
    return [key(m) for m in msgs if m.get("event") == ev]


def parse_all(texts):
    out = []
    for t in texts:
        try:
            out.append(json.loads(t))
        except ValueError:
            out.append({"bad": t})
    return out


# The calls of one JSON-RPC batch run on the MI workers side by side: within a batch the events
# may be raised in any order; a batch ends before the next starts.
def batch_order_kept(keys, first=0):
    idx = [(k - first) // BATCH for k in keys]
    return idx == sorted(idx)


def open_raw(events, rcvbuf=4096):
    """A socket client subscribed to `events` that has read hello and the answer."""
    r = RawWs(d, rcvbuf=rcvbuf)
    r.send_text({"subscribe": events})
    first = []
    try:
        for _ in range(2):
            first.append(json.loads(r.read_message(5)[1]))
    except (TimeoutError, EOFError, OSError, ValueError) as e:
        first.append(repr(e))
    return r, first


# ---- the two consumers ---------------------------------------------------------------------------
good = connect(d)
check(good.hello is not None and good.hello.get("queue") == 10, "hello says queue 10 (http.events_queue)", 10,
      good.hello)
check((good.subscribe([BIG, SMALL]) or {}).get("subscribed") == [BIG, SMALL],
      f"the normal consumer subscribes to {BIG} and {SMALL}", [BIG, SMALL], good.snapshot())

stuck, first = open_raw([BIG])
check(stuck.status == 101 and stuck.accept_ok, "the socket client's handshake → 101 with the right Sec-WebSocket-Accept",
      101, (stuck.status, stuck.headers))
check(len(first) == 2 and "hello" in first[0] and first[1].get("subscribed") == [BIG],
      "the socket client reads hello and its subscription's answer — and then never reads again",
      ["hello", {"subscribed": [BIG]}], first)
check(wait_for(lambda: get_stat(d, "http:event_streams") == 2, 3), "http:event_streams is 2", 2,
      get_stat(d, "http:event_streams"))
check(get_stat(d, "http:event_streams_too_slow") == 0, "http:event_streams_too_slow is 0 before", 0,
      get_stat(d, "http:event_streams_too_slow"))

# ---- uptime over the FIFO and RSS, sampled all along the flood -----------------------------------
# The sampler has its own reply-FIFO names (seclib's counter is not shared between threads).
probe = types.SimpleNamespace(fifo=d.fifo, reply_dir=d.reply_dir, n=0)


def _probe_name(prefix="u"):
    probe.n += 1
    return f"{prefix}{os.getpid()}_probe{probe.n}"


probe.next_name = _probe_name
samples, stop = [], threading.Event()
rss0 = rss_kb(d.pid)
peak = [rss0]


def sampler():
    while not stop.is_set():
        t0 = time.monotonic()
        r = fifo_call(probe, ":uptime:\n\n", timeout=5)
        samples.append((time.monotonic() - t0, r is not None and r.startswith("200")))
        try:
            peak[0] = max(peak[0], rss_kb(d.pid))
        except OSError:
            break
        stop.wait(0.02)


th = threading.Thread(target=sampler, daemon=True)
th.start()

t_flood = time.monotonic()
ok, worst, bad = flood(BIG, 0, N, good)
flood_s = time.monotonic() - t_flood
check(ok, f"{N} raise_event {BIG} (4 kB each) in batches of {BATCH} all succeed, each batch delivered to the "
          "normal consumer", "every batch 200 with results", bad)
check(worst < 2.0, f"no raise is held up by the stuck consumer: slowest batch POST {worst * 1000:.0f} ms "
                   f"({N} events in {flood_s:.1f} s)", "< 2 s", worst)

# ---- the stuck consumer is cut off -----------------------------------------------------------------
# It fell behind during the flood; ~2 s later at most (the close grace) the daemon shuts the
# connection down (its end leaves ESTABLISHED), and then lets go of the descriptor.
cut = wait_for(lambda: not daemon_side_established(d, stuck.local_port), 3.5, 0.02)
t_cut = time.monotonic() - t_flood
check(cut, f"the daemon cut the stuck connection ({t_cut:.1f} s after the flood began, which took {flood_s:.1f} s)",
      "its end of the connection not ESTABLISHED within the flood + ~2 s grace",
      daemon_side_established(d, stuck.local_port))
stop.set()
th.join(10)
# Once cut, the stream is over: its slot (http:event_streams, events_max_streams), its thread and
# its descriptor go with it, and it is counted as too slow.
ended = wait_for(lambda: get_stat(d, "http:event_streams") == 1 and not daemon_holds_connection(d, stuck.local_port),
                 5, 0.05)
t_end = time.monotonic() - t_flood
check(ended, f"the cut stream ended: http:event_streams back to 1 and no descriptor on the connection "
             f"({t_end:.1f} s after the flood began)", "within 2 s of the cut",
      {"http:event_streams": get_stat(d, "http:event_streams"),
       "descriptor held": daemon_holds_connection(d, stuck.local_port)})
if not ended:  # let the rest of the test start from a clean state (and the counter below be read once it ended)
    wait_for(lambda: get_stat(d, "http:event_streams") == 1, 25, 0.2)
check(get_stat(d, "http:event_streams_too_slow") == 1, "http:event_streams_too_slow counts the stuck consumer", 1,
      get_stat(d, "http:event_streams_too_slow"))
# What the stuck client finds once it looks: what the kernel held, then the end (no hang).
texts, how = stuck.drain(5)
r = keys_of(parse_all(texts), BIG)
log(f"the stuck client, reading at last: {len(texts)} messages ({len(r)} events) buffered, then {how}; {[t[:60] for t in texts[:2]]}")
check(how in ("close:4008", "eof", "reset"), "the stuck client's socket ends: close 4008, EOF or reset (not open)",
      "close:4008 / eof / reset", how)
whole = (max(r) // BATCH) * BATCH if r else 0
check(r and len(set(r)) == len(r) and len(r) < N and set(range(whole)) <= set(r) and batch_order_kept(r),
      f"the stuck client got the start of the flood ({len(r)} of {N}: every batch up to the cut, none twice), "
      "then nothing", f"all of 0..{whole - 1} and fewer than {N}", (len(r), r[-5:]))
if how == "close:4008":
    check("too slow" in getattr(stuck, "close_reason", ""), "the 4008 close says why", "consumer too slow",
          getattr(stuck, "close_reason", ""))
stuck.close()

# ---- the normal consumer got everything --------------------------------------------------------------
evs = good.events(BIG)
keys = keys_of(evs, BIG)
seqs = [m["seq"] for m in evs]
check(not good.closed.is_set(), "the normal consumer is still connected", "open", (good.close_code, good.close_reason))
check(sorted(keys) == list(range(N)) and all(m["params"]["source"] == PAD for m in evs),
      f"the normal consumer received every one of the {N} events exactly once, whole",
      N, f"{len(keys)} events, {len(set(keys))} distinct, missing e.g. {sorted(set(range(N)) - set(keys))[:5]}")
check(batch_order_kept(keys), "batch after batch, in the order raised", "batches in order", keys[:20])
inv = [(a, b) for a, b in zip(seqs, seqs[1:]) if b <= a]
check(not inv, "seq strictly increasing on the stream (the events of one batch are raised by several MI workers at "
      "once)", "increasing", f"{len(inv)} inversions, e.g. {inv[:5]}")

# ---- MI and memory during the flood -------------------------------------------------------------------
lat = [x[0] for x in samples]
check(len(samples) >= 5 and all(x[1] for x in samples),
      f"uptime over the FIFO answered 200 every time during the flood ({len(samples)} calls)", "all 200",
      [x for x in samples if not x[1]][:3])
check(lat and max(lat) < 1.0, f"uptime answered quickly throughout (slowest {max(lat) * 1000 if lat else 0:.0f} ms)",
      "< 1000 ms", max(lat) if lat else None)
limit = 50 * 1024 * mem_factor(d)
check(peak[0] - rss0 < limit, f"RSS stayed bounded: {rss0 // 1024} MB before, peak {peak[0] // 1024} MB",
      f"< +{limit // 1024:.0f} MB", peak[0] - rss0)

# ---- a consumer that pauses while a few events wait in the socket buffers is not closed ---------------
pauser, first = open_raw([SMALL])
check(pauser.status == 101 and len(first) == 2 and isinstance(first[1], dict) and first[1].get("subscribed") == [SMALL],
      "a second socket client subscribes", [SMALL], first)
ok, _, bad = flood(SMALL, 0, 50, good)  # 50 events (~5 kB) while it reads nothing
check(ok, "50 events raised while it does not read", "ok", bad)
texts, how = pauser.drain(1.0)  # then it reads; `timeout` = still open after reading everything
r = keys_of(parse_all(texts), SMALL)
check(sorted(r) == list(range(50)) and how == "timeout",
      "having paused while 50 events waited in the socket buffers, it reads all 50 and stays open",
      "50 events, open", (len(r), how))
ok, _, bad = flood(SMALL, 50, 1, good)
texts, how = pauser.drain(1.0)
check(keys_of(parse_all(texts), SMALL) == [50], "and it still receives the next event", [50], (texts, how))
end = pauser.close_handshake()
check(end == "close:1000,eof", "it closes with a closing handshake (1000 echoed, then EOF)", "close:1000,eof", end)
pauser.close()
good.close()
check(wait_for(lambda: get_stat(d, "http:event_streams") == 0, 3), "http:event_streams is 0 once both closed", 0,
      get_stat(d, "http:event_streams"))

# ---- a consumer that falls behind and then reads: the 4008 close frame ---------------------------------
late, first = open_raw([SMALL])
check(late.status == 101 and len(first) == 2, "a third socket client subscribes", 101, first)
before = get_stat(d, "http:event_streams_too_slow")
status, replies = raise_range(SMALL, 10000, 2000)  # one burst (~190 kB) while it reads nothing
check(batch_ok(status, replies, 2000), "a burst of 2000 events raised in one batch", 200, status)
texts, how = late.drain(5)  # it reads at once: well within the ~2 s before the daemon would cut
r = keys_of(parse_all(texts), SMALL)
check(how == "close:4008" and "too slow" in getattr(late, "close_reason", ""),
      "a consumer that fell more than 10 messages behind and then reads finds close code 4008 'consumer too slow'",
      "close:4008", (how, getattr(late, "close_reason", None)))
check(len(set(r)) == len(r) and 0 < len(r) < 2000 and all(10000 <= x < 12000 for x in r),
      f"before the close frame it got part of the burst ({len(r)} of 2000), none twice", "part", (len(r), r[-3:]))
if how == "close:4008":
    late.send_frame(0x8, struct.pack("!H", 4008))  # answers the close as a client should
    _, end = late.drain(3)
    check(end in ("eof", "reset"), "after the closing handshake the daemon closes the TCP connection", "eof", end)
late.close()
check(wait_for(lambda: get_stat(d, "http:event_streams") == 0, 3), "http:event_streams is 0", 0,
      get_stat(d, "http:event_streams"))
check(get_stat(d, "http:event_streams_too_slow") == (before or 0) + 1,
      "http:event_streams_too_slow counts the consumer closed with 4008 (it answered the close)",
      (before or 0) + 1, get_stat(d, "http:event_streams_too_slow"))
assert_alive(d, when="after the slow consumers")
finish()
