"""streamlib.py: shared pieces of the GET /api/v1/events WebSocket tests (stream_*_test.py;
import it, it is not a test).

Each test starts the REAL daemon with tests/security/seclib.py (start_daemon, check, finish,
wait_for, get_stat) and talks to its event stream with two clients:

  s = connect(d)                       # python websockets (asyncio on a thread of its own)
  s.hello                              # {"version", "role", "queue", "ping_s"}
  s.subscribe(["E_UL_*"])              # the server's answer: {"subscribed": [...]} or {"error": ...}
  s.wait_event("E_UL_AOR_INSERT", 5)   # the first such event message (or None)
  status = connect_status(d, headers={"Authorization": ...})  # 101, or the refusal (401, 403, 503)
  r = RawWs(d, rcvbuf=4096)            # a socket client that does the handshake by hand and then
                                       # reads only when asked (the consumer that never reads)
  mi(d, "raise_event", {...})          # JSON-RPC over the FIFO (always admin)
  raise_batch(d, calls, headers)       # a JSON-RPC batch POSTed to /mi (many events fast)
  register(d, "alice")                 # a plain UDP REGISTER to d.sip_port: (status, aor)

Python 3 standard library plus python3-websockets (Debian's /usr/bin/python3).
"""
import asyncio
import base64
import hashlib
import json
import os
import socket
import struct
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "security"))
import seclib  # noqa: E402
from seclib import (check, fail, finish, log, wait_for, get_stat, start_daemon, sip_sets,  # noqa: E402,F401
                    assert_alive, rss_kb, mem_factor, fifo_call, fifo_json_call, post_json, http)
from eventlib import mi, rand_word  # noqa: E402  (shared with the subscription tests)

try:
    import websockets  # noqa: E402
    from websockets.exceptions import ConnectionClosed, InvalidStatusCode  # noqa: E402
except ImportError:  # pragma: no cover - the environment is wrong, not the daemon
    print("FAIL: the websockets package is missing (run the tests with /usr/bin/python3, which has "
          "Debian's python3-websockets)", file=sys.stderr)
    sys.exit(1)

EVENTS = "/api/v1/events"
TICKETS = "/api/v1/events/tickets"


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# ---- MI ------------------------------------------------------------------------------------------

# mi(d, method, params): one JSON-RPC request over the FIFO, from eventlib.


def raise_event(d, event, params):
    """raise_event over the FIFO; counts a check that it succeeded."""
    res, err = mi(d, "raise_event", {"event": event, "params": params})
    return check(err is None, f"raise_event {event} {json.dumps(params)} succeeds", "a result", err)


def raise_batch(d, calls, headers=None):
    """A JSON-RPC batch [(method, params)] POSTed to /mi (needs an admin caller: anonymous admin
    or `headers` with credentials). Returns (status, list of replies or the raw text)."""
    body = [{"jsonrpc": "2.0", "method": m, "params": p, "id": i + 1} for i, (m, p) in enumerate(calls)]
    status, obj, raw = post_json(d, json.dumps(body), headers)
    return status, obj if isinstance(obj, list) else raw


# ---- the python websockets client ------------------------------------------------------------

_loop = None
_loop_lock = threading.Lock()


def _the_loop():
    global _loop
    with _loop_lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, daemon=True, name="websockets").start()
    return _loop


def _run(coro, timeout):
    return asyncio.run_coroutine_threadsafe(coro, _the_loop()).result(timeout)


class Refused(Exception):
    def __init__(self, status, text=""):
        super().__init__(f"HTTP {status} {text}")
        self.status = status


def ws_url(d, path=EVENTS):
    return f"ws://127.0.0.1:{d.http_port}{path}"


class Stream:
    """One event stream read by python websockets: every text message, parsed, in .messages
    (.raw: the texts). `delay`: seconds the reader waits after each message (a slow reader).
    .closed (threading.Event) is set when the connection ended; .close_code then holds the
    code (1006 when the TCP connection went without a close frame)."""

    def __init__(self, ws, delay=0.0):
        self.ws = ws
        self.delay = delay
        self.lock = threading.Lock()
        self.messages = []
        self.raw = []
        self.bad = []
        self.counts = {}  # event name -> how many arrived
        self.closed = threading.Event()
        self.close_code = None
        self.close_reason = None
        self.error = None
        asyncio.run_coroutine_threadsafe(self._reader(), _the_loop())
        self.hello = None
        m = self.wait_message(lambda m: "hello" in m, 5)
        if m is not None:
            self.hello = m["hello"]

    async def _reader(self):
        try:
            async for text in self.ws:
                with self.lock:
                    self.raw.append(text)
                    try:
                        m = json.loads(text)
                        self.messages.append(m)
                        if isinstance(m, dict) and "event" in m:
                            self.counts[m["event"]] = self.counts.get(m["event"], 0) + 1
                    except ValueError:
                        self.bad.append(text)
                if self.delay:
                    await asyncio.sleep(self.delay)
        except ConnectionClosed:
            pass
        except Exception as e:  # noqa: BLE001 - recorded for the report
            self.error = repr(e)
        finally:
            self.close_code = self.ws.close_code
            self.close_reason = self.ws.close_reason
            self.closed.set()

    def snapshot(self, start=0):
        with self.lock:
            return list(self.messages[start:])

    def mark(self):
        with self.lock:
            return len(self.messages)

    def wait_message(self, pred, timeout, start=0):
        """The first message (index >= start) with pred(msg) true within `timeout`, or None."""
        found = wait_for(lambda: next((m for m in self.snapshot(start) if pred(m)), None), timeout)
        return found

    def count(self, name):
        """How many `name` events arrived so far (cheap: for tight polling)."""
        with self.lock:
            return self.counts.get(name, 0)

    def events(self, name=None, start=0):
        return [m for m in self.snapshot(start) if "event" in m and (name is None or m["event"] == name)]

    def wait_event(self, name, timeout, pred=None, start=0):
        return self.wait_message(lambda m: m.get("event") == name and (pred is None or pred(m)), timeout, start)

    def send(self, data):
        text = data if isinstance(data, str) else json.dumps(data)
        _run(self.ws.send(text), 5)

    def request(self, data, timeout=5):
        """Sends a message and returns the server's answer (the next "subscribed" or "error" message)."""
        start = self.mark()
        self.send(data)
        return self.wait_message(lambda m: "subscribed" in m or "error" in m, timeout, start)

    def subscribe(self, names, statistics=None, timeout=5):
        msg = {"subscribe": names}
        if statistics is not None:
            msg["statistics"] = statistics
        return self.request(msg, timeout)

    def close(self, timeout=5):
        try:
            _run(self.ws.close(), timeout)
        except Exception:  # noqa: BLE001
            pass
        self.closed.wait(timeout)


def connect(d, path=EVENTS, headers=None, origin=None, timeout=5, delay=0.0, port=None):
    """Opens an event stream (waits for its hello); raises Refused(status) when the upgrade is
    answered with an HTTP status instead of 101."""
    url = f"ws://127.0.0.1:{port or d.http_port}{path}"

    async def go():
        return await websockets.connect(url, extra_headers=headers or {}, origin=origin,
                                        open_timeout=timeout, close_timeout=2, max_size=1 << 24,
                                        max_queue=None)
    try:
        ws = _run(go(), timeout + 2)
    except InvalidStatusCode as e:
        raise Refused(e.status_code) from None
    return Stream(ws, delay)


def connect_status(d, path=EVENTS, headers=None, origin=None, timeout=5):
    """(status, stream): 101 and the open stream, or the HTTP status of the refusal and None
    (0 and None when no HTTP answer came)."""
    try:
        return 101, connect(d, path, headers, origin, timeout)
    except Refused as e:
        return e.status, None
    except Exception as e:  # noqa: BLE001
        log(f"upgrade of {path}: {e!r}")
        return 0, None


# ---- a WebSocket client by hand ------------------------------------------------------------------

class RawWs:
    """A TCP socket that does the upgrade by hand (Sec-WebSocket-Key, masked client frames) and
    then reads only when asked: the consumer that never reads. rcvbuf: SO_RCVBUF before connect
    (a small one makes the kernel stop absorbing the server's writes early)."""

    def __init__(self, d, path=EVENTS, headers=None, rcvbuf=None, timeout=5.0):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.settimeout(timeout)
        self.s.connect(("127.0.0.1", d.http_port))
        self.local_port = self.s.getsockname()[1]
        key = base64.b64encode(os.urandom(16)).decode()
        h = {"Host": f"127.0.0.1:{d.http_port}", "Upgrade": "websocket", "Connection": "Upgrade",
             "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13"}
        h.update(headers or {})
        req = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n"
        self.s.sendall(req.encode())
        self.buf = b""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf and time.monotonic() < deadline:
            chunk = self.s.recv(4096)
            if not chunk:
                break
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        self.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        self.headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                self.headers[k.strip().lower()] = v.strip()
        want = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        self.accept_ok = self.headers.get("sec-websocket-accept") == want
        self.eof = False

    def send_frame(self, opcode, payload, fin=True):
        if isinstance(payload, str):
            payload = payload.encode()
        n = len(payload)
        head = bytes([(0x80 if fin else 0) | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.s.sendall(head + mask + body)

    def send_text(self, text):
        self.send_frame(0x1, text if isinstance(text, str) else json.dumps(text))

    def _fill(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            self.s.settimeout(left)
            chunk = self.s.recv(65536)  # socket.timeout is TimeoutError; ECONNRESET: OSError
            if not chunk:
                self.eof = True
                raise EOFError
            self.buf += chunk

    def read_frame(self, timeout=5.0):
        """One frame: (opcode, payload bytes), its FIN bit in .last_fin; raises TimeoutError,
        EOFError (the peer closed without a whole frame) or OSError (reset)."""
        deadline = time.monotonic() + timeout
        self._fill(2, deadline)
        b0, b1 = self.buf[0], self.buf[1]
        n, off = b1 & 0x7F, 2
        if n == 126:
            self._fill(4, deadline)
            n, off = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._fill(10, deadline)
            n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
        if b1 & 0x80:
            off += 4  # a server must not mask; tolerated here, checked by the caller if needed
        self._fill(off + n, deadline)
        payload = self.buf[off:off + n]
        self.buf = self.buf[off + n:]
        self.last_fin = bool(b0 & 0x80)
        return b0 & 0x0F, payload

    def read_message(self, timeout=5.0):
        """One whole message: (opcode, payload), fragments joined (a large message may come as
        a text frame and continuation frames); control frames between them are returned alone."""
        deadline = time.monotonic() + timeout
        op, payload = self.read_frame(timeout)
        if op >= 0x8 or self.last_fin:
            return op, payload
        while True:
            cop, more = self.read_frame(max(0.0, deadline - time.monotonic()))
            if cop == 0x9:
                self.send_frame(0xA, more)
                continue
            if cop >= 0x8:
                return cop, more  # a close in the middle of a message: the message is lost
            payload += more
            if self.last_fin:
                return op, payload

    def drain(self, timeout):
        """Reads messages until the connection ends or `timeout`. Returns (texts, how) where how is
        "close:<code>" (a close frame came), "eof", "reset" or "timeout" (a message cut short by
        the end is not in texts)."""
        texts = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                op, payload = self.read_message(max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                return texts, "timeout"
            except EOFError:
                return texts, "eof"
            except OSError:
                return texts, "reset"
            if op == 0x1:
                texts.append(payload.decode("utf-8", "replace"))
            elif op == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                self.close_reason = payload[2:].decode("utf-8", "replace")
                return texts, f"close:{code}"
            elif op == 0x9:
                self.send_frame(0xA, payload)

    def close_handshake(self, code=1000, timeout=3.0):
        """Sends a close frame and reads until the daemon's close frame and the end of the
        connection. Returns how it ended ("close:<code>" then "eof" → "close:<code>,eof")."""
        try:
            self.send_frame(0x8, struct.pack("!H", code))
        except OSError:
            return "reset"
        _, how = self.drain(timeout)
        if how.startswith("close:"):
            _, end = self.drain(timeout)
            how += "," + end
        return how

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def tcp_state(sock):
    """The kernel's TCP state of a socket (TCP_INFO tcpi_state): 1 ESTABLISHED, 7 CLOSE,
    8 CLOSE_WAIT (the peer sent FIN)."""
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)
    return info[0]


def _daemon_side_sockets(d, client_port):
    """[(state, inode)] of the daemon's end of the connection from 127.0.0.1:client_port to its
    HTTP port, from /proc/net/tcp (state: 1 ESTABLISHED, 4 FIN_WAIT1, 7 CLOSE, 8 CLOSE_WAIT...;
    inode "0" once the daemon closed its descriptors and the kernel finishes it alone)."""
    out = []
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            p = line.split()
            local_port = int(p[1].rsplit(":", 1)[1], 16)
            remote_port = int(p[2].rsplit(":", 1)[1], 16)
            if local_port == d.http_port and remote_port == client_port:
                out.append((int(p[3], 16), p[9]))
    return out


def daemon_side_established(d, client_port):
    """True while the daemon's end of that connection is ESTABLISHED (not shut down, not closed)."""
    return any(state == 1 for state, _ in _daemon_side_sockets(d, client_port))


def daemon_holds_connection(d, client_port):
    """True while the daemon has a descriptor on the TCP connection from 127.0.0.1:client_port to
    its HTTP port (found in /proc/net/tcp by the two ports, then among /proc/<pid>/fd)."""
    inodes = {inode for _, inode in _daemon_side_sockets(d, client_port)}
    inodes.discard("0")  # an orphaned socket (closed by its owner, still sending) has inode 0
    if not inodes:
        return False
    try:
        for fd in os.listdir(f"/proc/{d.pid}/fd"):
            try:
                t = os.readlink(f"/proc/{d.pid}/fd/{fd}")
            except OSError:
                continue
            if t.startswith("socket:[") and t[8:-1] in inodes:
                return True
    except OSError:
        return False
    return False


# ---- SIP: a REGISTER over UDP --------------------------------------------------------------------

def register(d, user, domain="example.com", expires=120, timeout=5.0):
    """A plain REGISTER of sip:user@domain with a Contact on a fresh UDP socket (registrar.auth is
    off by default). Returns (final status or 0, the AOR "user@domain")."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        branch = "z9hG4bK" + rand_word(16)
        text = (f"REGISTER sip:{domain} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch={branch};rport\r\n"
                f"Max-Forwards: 70\r\n"
                f"From: <sip:{user}@{domain}>;tag={rand_word(6)}\r\n"
                f"To: <sip:{user}@{domain}>\r\n"
                f"Call-ID: {rand_word(12)}@127.0.0.1\r\n"
                f"CSeq: 1 REGISTER\r\n"
                f"Contact: <sip:{user}@127.0.0.1:{port}>\r\n"
                f"Expires: {expires}\r\n"
                f"Content-Length: 0\r\n\r\n")
        s.sendto(text.encode(), ("127.0.0.1", d.sip_port))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return 0, f"{user}@{domain}"
            s.settimeout(left)
            try:
                data = s.recv(65536).decode("utf-8", "replace")
            except socket.timeout:
                return 0, f"{user}@{domain}"
            first = data.split("\r\n", 1)[0].split(" ")
            if len(first) > 1 and first[0] == "SIP/2.0" and first[1].isdigit() and int(first[1]) >= 200 \
                    and branch in data:
                return int(first[1]), f"{user}@{domain}"
    finally:
        s.close()
