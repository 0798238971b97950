"""Issue #14: the bounds of the event interface and its refusals.

- events.queue_size=5 and a tcp: receiver that accepts but never reads: 5000 events raised as
  fast as JSON-RPC batches over HTTP allow are dropped beyond the bound and counted
  (subscribers_list dropped, events:dropped); the daemon answers uptime within 1 s and its RSS
  stays bounded; once the receiver reads, the lines carry "dropped": N and every lost event is
  announced (sum of "dropped" == the subscription's dropped count).
- A subscription with expire 1 is gone within seconds (events:expired_subscriptions);
  events.max_subscriptions: one more is 503 (a refresh of an existing one is not).
- raise_event with params that do not match the declaration, an unknown event, E_STATISTICS:
  400; event_subscribe with a bad event or socket: 400 with a message saying what is wrong (seen
  as a shell user sees it: sbctl's status line); a bad [events] subscribe line stops start-up,
  naming where it was written.
"""
import json
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eventlib import *  # noqa: E402,F401,F403

TOTAL = 5000
d = start(["events.queue_size=5", "events.webhook_timeout_ms=30000", "events.max_subscriptions=3"])
factor = mem_factor(d)

# ---- a receiver that never reads ----------------------------------------------------------------
stuck = TcpReceiver(reading=False, rcvbuf=4096)
res, e = mi(d, "event_subscribe", {"event": "E_CONFIG_CHANGED", "socket": stuck.socket})
check(e is None and res.get("queue_size") == 5, "a tcp subscription with events.queue_size=5", 5, res or e)
# Events of ~8 kB each: 5000 of them kept would be 40 MB of params (twice: value and JSON text).
BIG = "x" * 8000


def event(i):
    return ("raise_event", {"event": "E_CONFIG_CHANGED", "params": {"revision": i, "source": BIG, "changes": None}})


# Warm up (first connection, code paths) before measuring the memory.
http_batch(d, [event(0)])
check(wait_for(lambda: stuck.accepted == 1, 5), "the daemon connected to the receiver", 1, stuck.accepted)
WARM = 0
if factor > 1:
    # Under ASan the allocator keeps what one flood churns through (redzones, quarantine, size
    # classes): flood once first, so that the bound measured is the steady state's (a queue
    # growing without bound would still show in the second flood).
    for start_i in range(0, TOTAL, 100):
        http_batch(d, [event(i) for i in range(start_i, start_i + 100)])
    WARM = TOTAL
    wait_for(lambda: (r := subscription(d, stuck.socket)) is not None and r["dropped"] + r["queued"] + r["delivered"] >= WARM, 30)
rss0 = rss_kb(d.pid)
t0 = time.monotonic()
ok_replies = 0
for start_i in range(1, TOTAL + 1, 100):
    status, replies = http_batch(d, [event(i) for i in range(start_i, min(start_i + 100, TOTAL + 1))])
    if isinstance(replies, list):
        ok_replies += sum(1 for r in replies if r.get("result") == "OK")
flood_s = time.monotonic() - t0
log(f"{TOTAL} raise_event in {flood_s:.2f} s")
check(ok_replies == TOTAL, f"{TOTAL} raise_event over HTTP batches all answered OK", TOTAL, ok_replies)
assert_alive(d, within=1.0, when=f"after {TOTAL} events for a stuck receiver")
row = subscription(d, stuck.socket)
check(row is not None and row["dropped"] > 0, "subscribers_list: events were dropped (the bound holds)", "> 0", row)
check(row is not None and row["queued"] <= 5, "…and no more than queue_size (5) wait", "<= 5", row and row["queued"])
# The bus's thread may still be handing the last raised events to the queue: wait until it has
# offered every one (events:pending 0); then neither count moves while the receiver is stuck.
check(wait_for(lambda: get_stat(d, "events:pending") == 0, 10), "the bus has offered every raised event",
      0, get_stat(d, "events:pending"))
row = subscription(d, stuck.socket)
dropped_stat = get_stat(d, "events:dropped")
check(row is not None and dropped_stat == row["dropped"], "events:dropped counts them", row and row["dropped"],
      dropped_stat)
rss1 = rss_kb(d.pid)
growth_mb = (rss1 - rss0) / 1024
check(growth_mb < 30 * factor, f"RSS stays bounded: grew {growth_mb:.1f} MB for {TOTAL} events of 8 kB",
      f"< {30 * factor:.0f} MB", f"{rss0} kB -> {rss1} kB")

# ---- the receiver reads again: every loss is announced -----------------------------------------
stuck.resume()


def settled():
    r = subscription(d, stuck.socket)
    return r if r and r["queued"] == 0 and r["delivered"] + r["dropped"] == WARM + TOTAL + 1 else None


row = wait_for(settled, 15)
check(row is not None, f"delivered + dropped == the {WARM + TOTAL + 1} events raised, nothing queued", WARM + TOTAL + 1,
      subscription(d, stuck.socket))
if row:
    check(wait_for(lambda: len(stuck.snapshot()) >= row["delivered"], 10), "the receiver read every delivered line",
          row["delivered"], len(stuck.snapshot()))
lines = stuck.find("E_CONFIG_CHANGED")
announced = [m["dropped"] for m in lines if "dropped" in m]
check(announced and all(isinstance(n, int) and n > 0 for n in announced),
      'the lines after the losses carry "dropped": N > 0', "> 0", announced[:5])
check(row is not None and sum(announced) == row["dropped"], 'every lost event is announced: sum of "dropped" == dropped',
      row and row["dropped"], sum(announced))
seqs = [m["seq"] for m in lines]
bad = [(a, b) for a, b in zip(seqs, seqs[1:]) if b <= a]
check(not bad and lines[:1] and lines[0]["params"]["revision"] == 0, "what arrives is in the order raised (seq increasing)",
      "increasing", bad[:5])
check(not stuck.bad, "no partial line", [], stuck.bad[:2])
stuck.close()
mi(d, "event_unsubscribe", {"event": "E_CONFIG_CHANGED", "socket": stuck.socket})

# ---- expiry ----------------------------------------------------------------------------------------
u0 = UdpReceiver()
res, e = mi(d, "event_subscribe", {"event": "E_CDR", "socket": u0.socket, "expire": 1})
check(e is None and isinstance(res, dict) and res.get("expires_in") in (0, 1), "a subscription with expire 1",
      "expires_in <= 1", res or e)
gone = wait_for(lambda: subscription(d, u0.socket) is None, 5, 0.1)
check(gone, "it is gone from subscribers_list within seconds", "gone", subscription(d, u0.socket))
check(get_stat(d, "events:expired_subscriptions") == 1, "events:expired_subscriptions 1", 1,
      get_stat(d, "events:expired_subscriptions"))
lst = mi_ok(d, "events_list", {"event": "E_CDR"})
check(isinstance(lst, list) and lst and lst[0]["listeners"] == 0, "E_CDR has no listener any more", 0, lst)

# ---- events.max_subscriptions=3 ---------------------------------------------------------------------
us = [UdpReceiver() for _ in range(4)]
for u in us[:3]:
    res, e = mi(d, "event_subscribe", {"event": "E_CDR", "socket": u.socket})
    check(e is None, f"subscription {us.index(u) + 1} of 3", "a row", e)
rc, out, err = sbctl(d, "event_subscribe", "E_CDR", us[3].socket)
check(rc != 0 and err.startswith("503"), "a fourth (events.max_subscriptions=3): 503", "503 …", err or out)
res, e = mi(d, "event_subscribe", {"event": "E_CDR", "socket": us[3].socket})
check(e is not None and e.get("code") == 503 and "max_subscriptions" in json.dumps(e),
      "…the JSON-RPC error names events.max_subscriptions", "max_subscriptions", e)
res, e = mi(d, "event_subscribe", {"event": "E_CDR", "socket": us[0].socket, "expire": 60})
check(e is None and isinstance(res, dict) and res.get("expires_in", 99) <= 60, "refreshing one at the bound is fine",
      "a row", res or e)
check(get_stat(d, "events:subscribers") == 3, "events:subscribers 3", 3, get_stat(d, "events:subscribers"))
for u in us[1:3]:
    check(mi(d, "event_unsubscribe", {"event": "E_CDR", "socket": u.socket})[1] is None, "event_unsubscribe one")
check(get_stat(d, "events:subscribers") == 1, "events:subscribers 1 after two unsubscribed", 1,
      get_stat(d, "events:subscribers"))

# ---- refusals, as sbctl shows them --------------------------------------------------------------------
def refused(args, words, what):
    rc, out, err = sbctl(d, *args)
    line = (err or out).strip()
    check(rc == 1 and line.startswith("400"), f"{what}: 400", "400 …", f"rc {rc}: {line}")
    check(all(w.lower() in line.lower() for w in words), f"{what}: the message says why ({', '.join(words)})", words, line)


refused(["raise_event", "E_DIALPLAN_RELOADED", '{"rules":"many"}'], ["params", "rules"],
        "raise_event with a string where the declaration has an integer")
refused(["raise_event", "E_DIALPLAN_RELOADED", "{}"], ["params", "rules"], "raise_event without a required param")
refused(["raise_event", "E_DIALPLAN_RELOADED", '{"rules":1,"colour":"red"}'], ["params", "colour"],
        "raise_event with a param the declaration lacks")
refused(["raise_event", "E_NO_SUCH_EVENT"], ["unknown event", "E_NO_SUCH_EVENT"], "raise_event of an unknown event")
refused(["raise_event", "E_STATISTICS", "{}"], ["E_STATISTICS"], "raise_event E_STATISTICS (sampled, not raised)")
refused(["event_subscribe", "E_CDR", "foo:bar"], ["socket", "unknown socket kind"], "event_subscribe … foo:bar")
refused(["event_subscribe", "E_CDR", "udp:nohost"], ["socket", "host:port"], "event_subscribe … udp:nohost")
refused(["event_subscribe", "E_CDR", "udp:no-such-host.invalid:9"], ["socket", "resolve"],
        "event_subscribe … udp:<a host that does not resolve>:9")
refused(["event_subscribe", "E_CDR", "http://user:pw@x/"], ["socket", "credentials"],
        "event_subscribe … http://user:pw@x/")
refused(["event_subscribe", "E_CDR", "tcp:127.0.0.1:0"], ["socket", "port"], "event_subscribe … tcp:127.0.0.1:0")
refused(["event_subscribe", "E_CDR", "unix:relative.sock"], ["socket", "absolute"], "event_subscribe … unix:relative")
refused(["event_subscribe", "E_CDR", "udp:127.0.0.1:9", "3600", "a-secret"], ["secret", "webhook"],
        "event_subscribe udp:… with a secret")
refused(["event_subscribe", "E_NO_SUCH_EVENT", "udp:127.0.0.1:9"], ["event", "E_NO_SUCH_EVENT"],
        "event_subscribe of an unknown event")
refused(["event_subscribe", "E_NOPE_*", "udp:127.0.0.1:9"], ["event", "E_NOPE_"],
        "event_subscribe of a prefix no event has")
res, e = mi(d, "raise_event", {"event": "E_DIALPLAN_RELOADED", "params": {"rules": -1.5}})
check(e is not None and e.get("code") == -32602 and "rules" in json.dumps(e),
      "over JSON-RPC the same refusal is -32602 Invalid params (400)", -32602, e)
rc, out, err = sbctl(d, "events_list", "E_NO_SUCH_EVENT")
check(rc == 1 and err.startswith("404"), "events_list of an unknown event: 404", "404", err)
check(get_stat(d, "events:subscribers") == 1, "no refused subscription was added", 1, get_stat(d, "events:subscribers"))


# ---- a bad [events] subscribe line stops the start -------------------------------------------------
def bad_start(extra_sets, extra_conf, words, what):
    dd = seclib.launch(seclib._sets(extra_sets), extra_conf)
    wait_for(lambda: not dd.alive() or " started; " in dd.log_text(), 15)
    rc = dd.proc.poll()
    text = dd.log_text()
    check(rc not in (None, 0), f"{what}: the daemon does not start", "a non-zero exit", f"{rc}: {text[-600:]}")
    lines = [l for l in text.splitlines() if "events.subscribe" in l]
    check(lines and all(any(w in l for l in lines) for w in words), f"{what}: the error names where and why", words,
          lines or text[-800:])
    dd.stop(5)


bad_start(["events.subscribe=E_NO_SUCH_EVENT udp:127.0.0.1:9"], "", ["--set", "E_NO_SUCH_EVENT"],
          "--set events.subscribe with an unknown event")
bad_start([], "[events]\nsubscribe = E_CDR foo:bar\n", ["switchboard.conf:", "unknown socket kind"],
          "a subscribe line with a bad socket in the file")
bad_start([], "[events]\nsubscribe = E_CDR udp:127.0.0.1:9 colour=red\n", ["switchboard.conf:", "colour"],
          "a subscribe line with an unknown option")

for u in us + [u0]:
    u.close()
finish_events(d)
