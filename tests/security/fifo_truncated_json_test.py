"""Item 10b (issue #11): a truncated JSON request on the FIFO stalls every other client.

Attack: one write holding a complete JSON request (w1) and the start of another that never ends
(w2: `{"jsonrpc":"2.0","meth`). The framer waits for the rest of w2's JSON, so the next
client's request is glued onto it and only answered after fifo.request_timeout_ms (5 s) - or
never, if it is swallowed as part of w2.
Expected: the next well-formed request (r, from another client) is answered within 300 ms;
w1 gets its normal reply; the broken w2 gets 400 / -32700 (its reply FIFO exists).
"""
import json, os, sys, time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seclib import *  # noqa: E402,F401


def parse(text):
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


d = start_daemon([])  # fifo.request_timeout_ms = 5000 (the default)
base = rss_kb(d.pid)
tag = str(os.getpid())
names = {k: make_reply_fifo(d, f"{k}_{tag}") for k in ("w1", "w2", "r")}
fds = {k: open_reply(p) for k, (_, p) in names.items()}

attack = (f':{names["w1"][0]}:{{"jsonrpc":"2.0","method":"uptime","id":1}}\n'
          f':{names["w2"][0]}:{{"jsonrpc":"2.0","meth')
fifo_write(d, attack)
w1 = read_reply(fds["w1"], 5)
check(w1 is not None and (parse(w1) or {}).get("id") == 1 and "result" in (parse(w1) or {}),
      "w1 (complete, in the same write as the truncated w2) gets its normal reply",
      '{"jsonrpc":"2.0","result":{...},"id":1}', w1)

# Another client, after the first write was consumed (w1 answered): one well-formed request.
t0 = time.monotonic()
fifo_write(d, f':{names["r"][0]}:{{"jsonrpc":"2.0","method":"uptime","id":2}}')
r = read_reply(fds["r"], 7)
dt = time.monotonic() - t0
log(f"r answered after {dt:.3f} s: {r!r}")
pr = parse(r) or {}
check(r is not None and pr.get("id") == 2 and "result" in pr,
      "r (the next client) gets its uptime result", '{"result":...,"id":2}', r)
check(r is not None and dt <= 0.3, f"r is answered within 300 ms (took {dt:.3f} s)",
      "<= 0.3 s, not after fifo.request_timeout_ms", f"{dt:.3f} s")

w2 = read_reply(fds["w2"], 7)
log(f"w2: {w2!r}")
pw2 = parse(w2) or {}
err = rpc_error(pw2)
check(w2 is not None and ((err is not None and err.get("code") in (-32700, -32600))
                          or w2.startswith("400")),
      "the truncated w2 gets a parse error (-32700) / 400", "-32700 or 400", w2)

for fd in fds.values():
    os.close(fd)
assert_alive(d)
# And the stream is clean afterwards: a text request and a JSON request both work.
r = fifo_json_call(d, '{"jsonrpc":"2.0","method":"uptime","id":3}', timeout=1)
check(r is not None and '"id":3' in r and "result" in r, "a later JSON request works", "result",
      r)
grow = (rss_kb(d.pid) - base) / 1024
check(grow < 50 * mem_factor(d), f"RSS growth {grow:.1f} MB < {50 * mem_factor(d):.0f} MB",
      "small", f"{grow:.1f} MB")
finish()
