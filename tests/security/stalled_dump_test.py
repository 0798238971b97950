"""Issue #16: stalled readers of streamed dumps.

Attack: with 8 000 bindings (long user agents: ~4 MB of ul_dump text), 8 FIFO clients ask for
ul_dump and open their reply FIFOs but never read them, and 8 HTTP clients POST ul_dump to /mi
with a 4 kB receive buffer and never read the response. Before replies were streamed, each dump
was built whole (a Value tree, then a ~4 MB string) before a byte went out: 16 such replies held
at once are ~100 MB in the daemon.
Expected: a streamed reply holds one piece per client, so the daemon's RSS grows by less than
40 MB in all while every dump is stuck; other clients are answered meanwhile (FIFO uptime, a
REGISTER); each stuck FIFO reply is given up after fifo.reply_timeout_ms (1000) and counted in
fifo:reply_failures; closing the HTTP connections frees them; the daemon stays up.
"""
import os, socket, sys, time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seclib import *  # noqa: E402,F401

AORS, STUCK = 8000, 8
d = start_daemon(sip_sets() + ["fifo.reply_timeout_ms=1000"])

# Bindings: REGISTERs over UDP, 32 in flight.
sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sip.bind(("127.0.0.1", 0))
sip.settimeout(5)
me = sip.getsockname()[1]
ua = "stalled-dump-test/" + "x" * 300


def register(i):
    msg = (f"REGISTER sip:example.com SIP/2.0\r\n"
           f"Via: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bK-sd{i}\r\n"
           f"From: <sip:u{i}@example.com>;tag=f{i}\r\nTo: <sip:u{i}@example.com>\r\n"
           f"Call-ID: sd-{i}@test\r\nCSeq: 1 REGISTER\r\nMax-Forwards: 70\r\n"
           f"Contact: <sip:u{i}@127.0.0.1:{me}>;expires=600\r\nUser-Agent: {ua}\r\nContent-Length: 0\r\n\r\n")
    sip.sendto(msg.encode(), ("127.0.0.1", d.sip_port))


sent = answered = ok = 0
while sent < min(32, AORS):
    register(sent)
    sent += 1
while answered < AORS:
    data = sip.recv(65536).decode("utf-8", "replace")
    if not data.startswith("SIP/2.0 "):
        continue
    code = int(data.split()[1])
    if code < 200:
        continue
    answered += 1
    ok += code == 200
    if sent < AORS:
        register(sent)
        sent += 1
check(ok == AORS, f"{AORS} bindings registered", AORS, ok)

failures0 = get_stat(d, "fifo:reply_failures")
base = rss_kb(d.pid)

# 8 FIFO dumps whose reply FIFOs are open but never read.
stuck_fds = []
for i in range(STUCK):
    name, path = make_reply_fifo(d, f"stuck{os.getpid()}_{i}")
    stuck_fds.append(open_reply(path))
    fifo_write(d, f":ul_dump:{name}\n\n")

# 8 HTTP dumps on connections that never read.
body = b'{"jsonrpc":"2.0","method":"ul_dump","id":1}'
conns = []
for i in range(STUCK):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    c.connect(("127.0.0.1", d.http_port))
    c.sendall(b"POST /mi HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    conns.append(c)

peak = peak_rss_during(d.pid, 0.8)
growth = peak - base
log(f"RSS before {base} kB, peak while {2 * STUCK} dumps are stuck {peak} kB (+{growth} kB)")
check(growth < 40 * 1024 * mem_factor(d), "RSS grows by less than 40 MB with 16 dumps stuck",
      f"< {40 * 1024 * mem_factor(d)} kB", f"{growth} kB")

# Others are served meanwhile.
t0 = time.monotonic()
r = fifo_call(d, ":uptime:\n\n", timeout=3.0)
check(r is not None and r.startswith("200"), "a FIFO uptime is answered while the dumps are stuck",
      "200 …", r)
register(AORS + 1)
reply = ""
try:
    while not reply.startswith("SIP/2.0 200"):
        reply = sip.recv(65536).decode("utf-8", "replace")
except socket.timeout:
    pass
check(reply.startswith("SIP/2.0 200"), "a REGISTER is answered while the dumps are stuck", "SIP/2.0 200", reply[:40])

# The stuck FIFO replies are given up (reply_timeout per piece) and counted.
gave_up = wait_for(lambda: get_stat(d, "fifo:reply_failures") - failures0 >= STUCK, timeout=15)
check(gave_up, f"the {STUCK} stuck FIFO replies are given up and counted in fifo:reply_failures",
      STUCK, get_stat(d, "fifo:reply_failures") - failures0)
for fd in stuck_fds:
    os.close(fd)
for c in conns:
    c.close()
assert_alive(d)
after = wait_for(lambda: rss_kb(d.pid) - base < 40 * 1024 * mem_factor(d), timeout=5)
check(after, "RSS stays within the bound once the clients are gone", None, rss_kb(d.pid) - base)
r = fifo_call(d, ":uptime:\n\n", timeout=3.0)
check(r is not None and r.startswith("200"), "the daemon answers after the attack", "200 …", r)
d.stop()
finish()
