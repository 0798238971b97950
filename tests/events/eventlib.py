"""eventlib.py: shared pieces of the event-interface tests in tests/events/ (import it; not a test).

Each *_test.py starts the REAL daemon (tests/security/seclib.py: start_daemon, check, finish,
wait_for, get_stat) with the SIP engine on a loopback port of its own choosing, subscribes real
receivers to its events and makes the events happen for real: a REGISTER sent over UDP from
Python, a call between virtual ports, a command.

  d = start(["events.queue_size=5"])                    # SIP on, HTTP anonymous admin
  rc, out, err = sbctl(d, "event_subscribe", "E_UL_*", f"udp:127.0.0.1:{r.port}")
  res, err = mi(d, "subscribers_list", {"event": "E_UL_*"})   # JSON-RPC over the FIFO
  r = UdpReceiver(); m = r.wait_method("E_UL_CONTACT_INSERT", 5)   # parsed notification or None
  ua = SipClient(d); status, reply = ua.register("alice", "example.com", password="pw")
  finish_events(d)                                      # events:invalid == 0, then finish()

Receivers run a thread each, record what they get in .messages (parsed JSON; .raw for bytes)
and are closed by close() (and at exit). Python 3 standard library only.
"""
import atexit
import hashlib
import http.server
import json
import os
import random
import socket
import ssl
import string
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "security"))
import seclib  # noqa: E402
from seclib import (check, fail, finish, log, wait_for, get_stat, start_daemon, sip_sets,  # noqa: E402,F401
                    assert_alive, rss_kb, mem_factor, make_tmpdir, post_json, fifo_json_call)

SBCTL = os.path.join(seclib.BIN_DIR, "sbctl")
_closers = []


def _at_exit():
    for c in reversed(_closers):
        try:
            c()
        except Exception:
            pass


atexit.register(_at_exit)


# ---- the daemon --------------------------------------------------------------------------------

def start(extra_sets=(), extra_conf="", must_start=True):
    """The real daemon with SIP on 127.0.0.1:<its port> (d.sip_port) and HTTP callers admin
    (d.http_port; JSON-RPC batches at /mi)."""
    sets = sip_sets() + ["http.anonymous_role=admin"] + list(extra_sets)
    return start_daemon(sets, extra_conf=extra_conf, must_start=must_start)


def sbctl(d, *args, json_mode=False, timeout=15):
    """build/bin/sbctl against the daemon's FIFO, as a shell user types it: (rc, stdout, stderr)."""
    cmd = [SBCTL, "-f", d.fifo, "--reply-dir", d.reply_dir, "--timeout", str(timeout)]
    if json_mode:
        cmd.append("--json")
    p = subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True, timeout=timeout + 5)
    return p.returncode, p.stdout, p.stderr


def sbctl_json(d, *args, timeout=15):
    """sbctl --json: (rc, parsed stdout or None, stdout, stderr)."""
    rc, out, err = sbctl(d, *args, json_mode=True, timeout=timeout)
    try:
        obj = json.loads(out) if out.strip() else None
    except ValueError:
        obj = None
    return rc, obj, out, err


def mi(d, method, params=None, timeout=10.0):
    """One JSON-RPC request over the FIFO (JSON dialect): (result, error); error is the JSON-RPC
    error object (code, message, data) or, when no reply came, {"code": 0, "message": ...}."""
    req = {"jsonrpc": "2.0", "method": method, "id": 1}
    if params is not None:
        req["params"] = params
    text = fifo_json_call(d, json.dumps(req), timeout)
    if text is None:
        return None, {"code": 0, "message": f"no reply to {method} within {timeout} s"}
    try:
        obj = json.loads(text)
    except ValueError:
        return None, {"code": 0, "message": "not JSON: " + text[:300]}
    if isinstance(obj, dict) and "error" in obj:
        return None, obj["error"]
    return (obj.get("result") if isinstance(obj, dict) else obj), None


def mi_ok(d, method, params=None, what=None):
    """mi() that counts a check that it succeeded; returns the result (None on error)."""
    res, err = mi(d, method, params)
    check(err is None, what or f"{method} {json.dumps(params) if params is not None else ''} succeeds",
          "a result", err)
    return res


def http_batch(d, calls):
    """A JSON-RPC batch (list of (method, params)) POSTed to /mi: (status, list of replies)."""
    body = [{"jsonrpc": "2.0", "method": m, "params": p, "id": i + 1} for i, (m, p) in enumerate(calls)]
    status, obj, raw = post_json(d, json.dumps(body))
    return status, obj if isinstance(obj, list) else raw


def subscriptions(d, event=None, socket_=None):
    """subscribers_list rows (a list; [] on error)."""
    params = {}
    if event is not None:
        params["event"] = event
    if socket_ is not None:
        params["socket"] = socket_
    res, err = mi(d, "subscribers_list", params or None)
    return res if isinstance(res, list) else []


def subscription(d, socket_):
    """The subscribers_list row of the subscription on `socket_` (None when none)."""
    for row in subscriptions(d):
        if row.get("socket") == socket_:
            return row
    return None


def finish_events(*daemons):
    """The end of every events test: events:invalid (params that broke their declaration) is
    0 on each running daemon, then seclib.finish()."""
    for d in daemons:
        if d is not None and d.alive():
            v = get_stat(d, "events:invalid")
            check(v == 0, "events:invalid is 0: every raised event matched its declaration", 0, v)
    finish()


def rand_word(n=8):
    return "".join(random.choice(string.ascii_lowercase) for _ in range(n))


# ---- receivers ---------------------------------------------------------------------------------

class _Receiver:
    """Common part: .messages (parsed JSON-RPC notifications), .raw (bytes as received)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []
        self.raw = []
        self.bad = []  # what did not parse as JSON
        self.stopped = False
        _closers.append(self.close)

    def _got(self, data):
        with self.lock:
            self.raw.append(data)
            try:
                obj = json.loads(data)
                self.messages.append(obj)
            except ValueError:
                self.bad.append(data)

    def snapshot(self):
        with self.lock:
            return list(self.messages)

    def methods(self):
        return [m.get("method") for m in self.snapshot()]

    def find(self, method, pred=None):
        return [m for m in self.snapshot() if m.get("method") == method and (pred is None or pred(m))]

    def wait_method(self, method, timeout=5.0, pred=None):
        """The first notification of `method` (matching pred(msg)) within `timeout`, or None."""
        found = wait_for(lambda: self.find(method, pred), timeout)
        return found[0] if found else None

    def wait_count(self, n, timeout=5.0):
        return wait_for(lambda: len(self.snapshot()) >= n, timeout)

    def clear(self):
        with self.lock:
            self.messages.clear()
            self.raw.clear()

    def close(self):
        self.stopped = True


class _DatagramReceiver(_Receiver):
    """A bound datagram socket read by a thread: one notification per datagram."""

    def _start(self, sock, socket_text):
        self.s = sock
        self.s.settimeout(0.2)
        self.socket = socket_text
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self.stopped:
            try:
                data = self.s.recv(1 << 20)
            except socket.timeout:
                continue
            except OSError:
                break
            self._got(data)

    def close(self):
        if not self.stopped:
            self.stopped = True
            self.t.join(2)
            self.s.close()


class UdpReceiver(_DatagramReceiver):
    """A UDP socket on 127.0.0.1:<free port>."""

    def __init__(self):
        super().__init__()
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        self._start(s, f"udp:127.0.0.1:{self.port}")


class UnixReceiver(_DatagramReceiver):
    """A unix datagram socket at `path`."""

    def __init__(self, path):
        super().__init__()
        self.path = path
        if os.path.exists(path):
            os.unlink(path)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(path)
        self._start(s, f"unix:{path}")

    def close(self):
        was_open = not self.stopped
        super().close()
        if was_open:
            try:
                os.unlink(self.path)
            except OSError:
                pass


class TcpReceiver(_Receiver):
    """A TCP listener on 127.0.0.1:`port` (0: a free one): accepts connections and reads
    newline-delimited JSON. reading=False: accepts but never reads (a stuck peer) until
    resume(); rcvbuf: a small receive buffer makes such a peer fill up soon. stop_listening()
    closes the listener and every connection; listen() again reopens the same port. .accepted
    counts connections."""

    def __init__(self, port=0, reading=True, rcvbuf=None):
        super().__init__()
        self.rcvbuf = rcvbuf
        self.reading = threading.Event()
        if reading:
            self.reading.set()
        self.accepted = 0
        self.conns = []
        self.ls = None
        self.port = port
        self.threads = []
        self.listen()
        self.socket = f"tcp:127.0.0.1:{self.port}"

    def listen(self):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.rcvbuf:
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)  # accepted ones inherit it
        ls.bind(("127.0.0.1", self.port))
        ls.listen(16)
        ls.settimeout(0.2)
        self.port = ls.getsockname()[1]
        self.ls = ls
        self.listening = True
        t = threading.Thread(target=self._accept, args=(ls,), daemon=True)
        t.start()
        self.threads.append(t)

    def _accept(self, ls):
        while self.listening and not self.stopped:
            try:
                c, _ = ls.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            with self.lock:
                self.accepted += 1
                self.conns.append(c)
            t = threading.Thread(target=self._read, args=(c,), daemon=True)
            t.start()
            self.threads.append(t)

    def _read(self, c):
        buf = b""
        c.settimeout(0.2)
        while not self.stopped:
            if not self.reading.wait(0.2):
                continue
            try:
                chunk = c.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if line:
                    self._got(line)
        if buf:
            with self.lock:
                self.bad.append(buf)  # a line without its '\n'

    def resume(self):
        self.reading.set()

    def stop_listening(self):
        """Closes the listener and every accepted connection (the receiver 'goes away')."""
        self.listening = False
        if self.ls is not None:
            self.ls.close()
            self.ls = None
        with self.lock:
            conns, self.conns = self.conns, []
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()
        for t in list(self.threads):
            t.join(2)
        self.threads = [t for t in self.threads if t.is_alive()]

    def close(self):
        if not self.stopped:
            self.stop_listening()
            self.stopped = True
            self.reading.set()
            for t in self.threads:
                t.join(2)


class WebhookReceiver:
    """A threaded http.server on 127.0.0.1:<free port> recording every POST (.requests: dicts with
    path, headers (lower-case names), body bytes, json). statuses: the answers to give first, in
    order (e.g. [500, 500]); then `default` (200). tls: an ssl.SSLContext for https."""

    def __init__(self, statuses=(), default=200, tls=None):
        self.lock = threading.Lock()
        self.requests = []
        self.statuses = list(statuses)
        self.default = default
        self.answered = []
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = None
                with rec.lock:
                    status = rec.statuses.pop(0) if rec.statuses else rec.default
                    rec.requests.append({"path": self.path, "body": body, "json": parsed,
                                         "headers": {k.lower(): v for k, v in self.headers.items()},
                                         "status": status})
                    rec.answered.append(status)
                reply = b'{"ok":true}' if status < 300 else b'{"error":"test"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(reply)
                self.close_connection = True

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.tls_errors = []
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True,
                                                 do_handshake_on_connect=False)
            # A failed handshake (the client refused the certificate) must not kill the server.
            orig = self.server.get_request

            def get_request():
                conn, addr = orig()
                try:
                    conn.settimeout(5)
                    conn.do_handshake()
                except (ssl.SSLError, OSError) as e:
                    self.tls_errors.append(str(e))
                    conn.close()
                    raise OSError("handshake failed") from e
                return conn, addr
            self.server.get_request = get_request
        self.port = self.server.server_address[1]
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}/hook"
        self.t = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.t.start()
        self.closed = False
        _closers.append(self.close)

    def snapshot(self):
        with self.lock:
            return list(self.requests)

    def wait_requests(self, n, timeout=5.0):
        return wait_for(lambda: len(self.snapshot()) >= n, timeout)

    def close(self):
        if not self.closed:
            self.closed = True
            self.server.shutdown()
            self.server.server_close()


def make_tls_ca(tmp, ip="127.0.0.1"):
    """A CA and a server certificate for `ip` (subjectAltName IP) made with the openssl CLI.
    Returns (ca.pem, server.pem, server.key)."""
    ca_key, ca_pem = os.path.join(tmp, "ca.key"), os.path.join(tmp, "ca.pem")
    key, csr, pem = os.path.join(tmp, "server.key"), os.path.join(tmp, "server.csr"), os.path.join(tmp, "server.pem")
    ext = os.path.join(tmp, "server.ext")
    with open(ext, "w") as f:
        f.write(f"subjectAltName=IP:{ip}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n")

    def run(*a):
        subprocess.run(["openssl", *a], check=True, capture_output=True, timeout=60)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca_pem, "-days", "2",
        "-subj", "/CN=switchboard events test CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", f"/CN={ip}")
    run("x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-CAcreateserial", "-out", pem,
        "-days", "2", "-extfile", ext)
    return ca_pem, pem, key


def write_script(path, text):
    """An executable /bin/sh program at `path`."""
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + text)
    os.chmod(path, 0o755)
    return path


# ---- a SIP user agent over UDP ------------------------------------------------------------------

def _md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def parse_sip(data):
    """(status, reason, {lower-case header name: [values]}) of a SIP response; status 0 if not one."""
    text = data.decode("utf-8", "replace")
    head = text.split("\r\n\r\n", 1)[0]
    lines = head.split("\r\n")
    status, reason = 0, ""
    parts = lines[0].split(" ", 2)
    if len(parts) >= 2 and parts[0] == "SIP/2.0" and parts[1].isdigit():
        status, reason = int(parts[1]), parts[2] if len(parts) > 2 else ""
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers.setdefault(k.strip().lower(), []).append(v.strip())
    return status, reason, headers


def _auth_params(value):
    """Digest realm="x", nonce="y", qop="auth" -> dict."""
    out = {}
    rest = value.split(" ", 1)[1] if " " in value else ""
    i = 0
    while i < len(rest):
        while i < len(rest) and rest[i] in " ,":
            i += 1
        eq = rest.find("=", i)
        if eq < 0:
            break
        k = rest[i:eq].strip()
        i = eq + 1
        if i < len(rest) and rest[i] == '"':
            end = rest.find('"', i + 1)
            out[k] = rest[i + 1:end]
            i = end + 1
        else:
            end = rest.find(",", i)
            end = len(rest) if end < 0 else end
            out[k] = rest[i:end].strip()
            i = end
    return out


class SipClient:
    """A SIP UA on a UDP socket of its own: REGISTERs to the daemon's SIP port (d.sip_port)."""

    def __init__(self, d):
        self.d = d
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", 0))
        self.port = self.s.getsockname()[1]
        self.cseq = 0
        self.last_request = ""
        _closers.append(self.s.close)

    def request(self, text, branch, timeout=5.0):
        """Sends one request; returns the final response (status, reason, headers) to `branch`."""
        self.last_request = text
        self.s.sendto(text.encode(), ("127.0.0.1", self.d.sip_port))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return 0, "no answer", {}
            self.s.settimeout(left)
            try:
                data = self.s.recv(65536)
            except socket.timeout:
                return 0, "no answer", {}
            status, reason, headers = parse_sip(data)
            via = " ".join(headers.get("via", []) + headers.get("v", []))
            if status >= 200 and branch in via:
                return status, reason, headers

    def _credentials(self, challenge, method, ruri, user, password, proxy):
        """The Authorization (or Proxy-Authorization) header answering `challenge`."""
        ch = _auth_params(challenge)
        realm, nonce = ch.get("realm", ""), ch.get("nonce", "")
        ha1 = _md5(f"{user}:{realm}:{password}")
        ha2 = _md5(f"{method}:{ruri}")
        name = "Proxy-Authorization" if proxy else "Authorization"
        nc, cnonce = "00000001", rand_word(10)
        if ch.get("qop"):
            resp = _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
            return (f'{name}: Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{ruri}", '
                    f'response="{resp}", algorithm=MD5, qop=auth, nc={nc}, cnonce="{cnonce}"\r\n')
        resp = _md5(f"{ha1}:{nonce}:{ha2}")
        return (f'{name}: Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{ruri}", '
                f'response="{resp}", algorithm=MD5\r\n')

    def register(self, user, domain="example.com", expires=120, call_id=None, password=None,
                 contact_user=None, auth_user=None, extra_headers="", ruri=None, user_agent="eventlib-test"):
        """REGISTER <sip:user@domain> with Contact <sip:contact_user@127.0.0.1:<our port>>.
        With `password`, answers a 401 challenge once (auth_user: the digest user name).
        Returns (status, reason, headers, info) where info has branch, call_id, ruri, contact."""
        call_id = call_id or f"{rand_word(12)}@127.0.0.1"
        contact = f"sip:{contact_user or user}@127.0.0.1:{self.port}"
        ruri = ruri or f"sip:{domain}"
        from_tag = rand_word(6)
        auth = ""
        for attempt in range(2):
            self.cseq += 1
            branch = "z9hG4bK" + rand_word(16)
            text = (f"REGISTER {ruri} SIP/2.0\r\n"
                    f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch={branch};rport\r\n"
                    f"Max-Forwards: 70\r\n"
                    f"From: <sip:{user}@{domain}>;tag={from_tag}\r\n"
                    f"To: <sip:{user}@{domain}>\r\n"
                    f"Call-ID: {call_id}\r\n"
                    f"CSeq: {self.cseq} REGISTER\r\n"
                    f"Contact: <{contact}>\r\n"
                    f"Expires: {expires}\r\n"
                    f"User-Agent: {user_agent}\r\n"
                    f"{extra_headers}{auth}"
                    f"Content-Length: 0\r\n\r\n")
            status, reason, headers = self.request(text, branch)
            info = {"branch": branch, "call_id": call_id, "ruri": ruri, "contact": contact}
            if status != 401 or password is None or attempt == 1:
                return status, reason, headers, info
            auth = self._credentials((headers.get("www-authenticate") or [""])[0], "REGISTER", ruri,
                                     auth_user or user, password, proxy=False)
        return status, reason, headers, info

    SDP = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")

    def invite(self, user, number, domain="example.com", password=None, timeout=10.0):
        """INVITE sip:<number>@<domain> from <sip:user@domain> with an SDP offer; answers one
        401/407 challenge when `password` is given; ACKs the final response. Returns (status,
        reason, headers, info); info: branch, call_id, ruri, from_tag, to_tag, remote (the
        Contact URI to send BYE to), cseq."""
        ruri = f"sip:{number}@{domain}"
        call_id = f"{rand_word(12)}@127.0.0.1"
        from_tag = rand_word(6)
        auth = ""
        for attempt in range(2):
            self.cseq += 1
            branch = "z9hG4bK" + rand_word(16)
            head = (f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch={branch};rport\r\n"
                    f"Max-Forwards: 70\r\n"
                    f"From: <sip:{user}@{domain}>;tag={from_tag}\r\n"
                    f"To: <{ruri}>\r\n"
                    f"Call-ID: {call_id}\r\n")
            text = (f"INVITE {ruri} SIP/2.0\r\n{head}CSeq: {self.cseq} INVITE\r\n"
                    f"Contact: <sip:{user}@127.0.0.1:{self.port}>\r\nUser-Agent: eventlib-test\r\n"
                    f"{auth}Content-Type: application/sdp\r\nContent-Length: {len(self.SDP)}\r\n\r\n{self.SDP}")
            status, reason, headers = self.request(text, branch, timeout)
            to = (headers.get("to") or headers.get("t") or [""])[0]
            to_tag = to.split("tag=", 1)[1].split(";")[0] if "tag=" in to else ""
            contact = (headers.get("contact") or headers.get("m") or [""])[0]
            remote = contact[contact.find("<") + 1:contact.find(">")] if "<" in contact else contact or ruri
            info = {"branch": branch, "call_id": call_id, "ruri": ruri, "from_tag": from_tag, "to_tag": to_tag,
                    "remote": remote, "cseq": self.cseq, "user": user, "domain": domain}
            if status >= 300:  # a non-2xx final response is ACKed in its transaction (same branch)
                self.s.sendto((f"ACK {ruri} SIP/2.0\r\n{head.replace(f'To: <{ruri}>', f'To: {to}')}"
                               f"CSeq: {self.cseq} ACK\r\nContent-Length: 0\r\n\r\n").encode(),
                              ("127.0.0.1", self.d.sip_port))
            elif status >= 200:
                self._in_dialog("ACK", info, self.cseq)
            if status not in (401, 407) or password is None or attempt == 1:
                return status, reason, headers, info
            proxy = status == 407
            challenge = (headers.get("proxy-authenticate" if proxy else "www-authenticate") or [""])[0]
            auth = self._credentials(challenge, "INVITE", ruri, user, password, proxy)
        return status, reason, headers, info

    def _in_dialog(self, method, info, cseq):
        branch = "z9hG4bK" + rand_word(16)
        text = (f"{method} {info['remote']} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch={branch};rport\r\n"
                f"Max-Forwards: 70\r\n"
                f"From: <sip:{info['user']}@{info['domain']}>;tag={info['from_tag']}\r\n"
                f"To: <{info['ruri']}>;tag={info['to_tag']}\r\n"
                f"Call-ID: {info['call_id']}\r\nCSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n")
        if method == "ACK":
            self.s.sendto(text.encode(), ("127.0.0.1", self.d.sip_port))
            return 0, "", {}
        return self.request(text, branch)

    def bye(self, info):
        """BYE in the dialog of an answered invite(); returns (status, reason, headers)."""
        self.cseq += 1
        return self._in_dialog("BYE", info, self.cseq)
