"""seclib_io.py: the client side of every transport for seclib: FIFO (text and JSON dialects),
HTTP (JSON-RPC, mi_json, XML-RPC), datagrams, the monitor, and running code as user nobody.
Imported by seclib.py, which re-exports it: tests only `from seclib import *`."""
import json, os, select, socket, subprocess, sys, time, xmlrpc.client
import http.client as httpclient

SYSTEM_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def _log(msg):
    print(f"[{os.path.basename(sys.argv[0]).removesuffix('.py')}] {msg}", flush=True)


def wait_readable(fd, timeout):
    """poll() for input or hang-up (select() cannot take descriptors over 1023)."""
    p = select.poll()
    p.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    return bool(p.poll(max(0.0, timeout) * 1000))


# --- FIFO -------------------------------------------------------------------------------------

def make_reply_fifo(d, name=None):
    name = name or d.next_name()
    path = os.path.join(d.reply_dir, name)
    if not os.path.exists(path):
        os.mkfifo(path, 0o600)
    return name, path


def open_reply(path):
    return os.open(path, os.O_RDONLY | os.O_NONBLOCK)




def read_reply(fd, timeout):
    """Reads a reply FIFO until its writer closes it. Returns the text, or None on timeout
    (a FIFO reader only sees a hang-up after a writer came, so select() waits for the daemon)."""
    deadline = time.monotonic() + timeout
    data = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        if not wait_readable(fd, left):
            return None
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            continue
        if not chunk:
            return data.decode("utf-8", "replace")
        data += chunk


def fifo_write(d, data, fifo=None):
    """One os.write() of the whole request to the server FIFO (raises OSError when it cannot)."""
    if isinstance(data, str):
        data = data.encode()
    fd = os.open(fifo or d.fifo, os.O_WRONLY | os.O_NONBLOCK)
    try:
        os.set_blocking(fd, True)
        n = os.write(fd, data)
    finally:
        os.close(fd)
    return n


def fifo_call(d, text_request, timeout=5.0, fifo=None):
    """Text dialect: text_request is ':cmd:\\n<params>\\n\\n' without a reply name; the reply
    name is added to the first line. Returns the reply text or None (timeout / no FIFO)."""
    first, sep, rest = text_request.partition("\n")
    name, path = make_reply_fifo(d)
    fd = open_reply(path)
    try:
        try:
            fifo_write(d, first + name + sep + rest, fifo)
        except OSError as e:
            _log(f"fifo_call: cannot write the server FIFO: {e}")
            return None
        return read_reply(fd, timeout)
    finally:
        os.close(fd)
        os.unlink(path)


def fifo_json_call(d, body, timeout=5.0):
    """JSON dialect: writes ':<reply>:' + body in one write; returns the reply text or None."""
    name, path = make_reply_fifo(d)
    fd = open_reply(path)
    try:
        if isinstance(body, str):
            body = body.encode()
        try:
            fifo_write(d, f":{name}:".encode() + body)
        except OSError as e:
            _log(f"fifo_json_call: cannot write the server FIFO: {e}")
            return None
        return read_reply(fd, timeout)
    finally:
        os.close(fd)
        os.unlink(path)


# --- HTTP ---------------------------------------------------------------------------------------

def http(d, method, path, body=None, headers=None, timeout=10.0):
    """One request on a fresh connection: (status, {lower-case header: value}, body bytes);
    (0, {}, b'<error>') when no complete response came."""
    if isinstance(body, str):
        body = body.encode()
    conn = httpclient.HTTPConnection("127.0.0.1", d.http_port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    except (OSError, httpclient.HTTPException) as e:
        return 0, {}, f"<{type(e).__name__}: {e}>".encode()
    finally:
        conn.close()


JSON_CT = {"Content-Type": "application/json"}
XML_CT = {"Content-Type": "text/xml"}


def jsonrpc(d, method, params=None, rid=1, headers=None):
    """POST /mi with one request; returns (status, parsed JSON or None, raw body text)."""
    req = {"jsonrpc": "2.0", "method": method, "id": rid}
    if params is not None:
        req["params"] = params
    return post_json(d, json.dumps(req), headers)


def post_json(d, body, headers=None):
    h = dict(JSON_CT)
    h.update(headers or {})
    status, _, raw = http(d, "POST", "/mi", body, h, timeout=30)
    text = raw.decode("utf-8", "replace")
    try:
        return status, json.loads(text), text
    except ValueError:
        return status, None, text


def rpc_error(obj):
    """The JSON-RPC error object of a reply (dict), or None."""
    if isinstance(obj, dict) and isinstance(obj.get("error"), dict):
        return obj["error"]
    return None


def post_xml(d, body, headers=None, timeout=30):
    """POST /RPC2; returns (status, ('fault', code, string) | ('ok', value) | ('bad', text))."""
    h = dict(XML_CT)
    h.update(headers or {})
    status, _, raw = http(d, "POST", "/RPC2", body, h, timeout=timeout)
    try:
        params, _ = xmlrpc.client.loads(raw)
        return status, ("ok", params[0] if params else None)
    except xmlrpc.client.Fault as f:
        return status, ("fault", f.faultCode, f.faultString)
    except Exception:
        return status, ("bad", raw.decode("utf-8", "replace")[:400])


# --- datagram, monitor, other users ---------------------------------------------------------

def unix_dgram_call(d, payload, timeout=5.0):
    """One datagram to the unix socket from a bound client path; the reply text or None."""
    if isinstance(payload, str):
        payload = payload.encode()
    cpath = os.path.join(d.tmp, d.next_name("c") + ".sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.bind(cpath)
        s.settimeout(timeout)
        s.sendto(payload, d.sock)
        return s.recv(1 << 17).decode("utf-8", "replace")
    except OSError as e:
        _log(f"unix datagram: {e}")
        return None
    finally:
        s.close()
        if os.path.exists(cpath):
            os.unlink(cpath)


def udp_call(port, payload, timeout=3.0, host="127.0.0.1"):
    if isinstance(payload, str):
        payload = payload.encode()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        s.sendto(payload, (host, port))
        return s.recv(1 << 17).decode("utf-8", "replace")
    except OSError as e:
        _log(f"udp: {e}")
        return None
    finally:
        s.close()


class Monitor:
    """A telnet-monitor client: connect, read up to the prompt, send lines."""

    def __init__(self, d, timeout=5.0):
        self.s = socket.create_connection(("127.0.0.1", d.monitor_port), timeout=timeout)
        self.buf = b""
        self.greeting = self.until(b"\n> ", timeout)

    def until(self, marker, timeout=5.0):
        """Reads until `marker` (returns the text before and including it), EOF or timeout."""
        deadline = time.monotonic() + timeout
        while marker not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            if not wait_readable(self.s.fileno(), left):
                break
            try:
                chunk = self.s.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            self.buf += chunk
        i = self.buf.find(marker)
        cut = len(self.buf) if i < 0 else i + len(marker)
        out, self.buf = self.buf[:cut], self.buf[cut:]
        return out.decode("utf-8", "replace")

    def cmd(self, line, timeout=5.0):
        self.s.sendall(line.encode() + b"\r\n")
        return self.until(b"\n> ", timeout)

    def close(self):
        self.s.close()


def run_as_nobody(code, timeout=20):
    """Runs python code as user nobody (setpriv); returns (exit status, stdout + stderr)."""
    cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
           SYSTEM_PYTHON, "-c", code]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout + p.stderr


def err_text(obj):
    """The whole JSON-RPC error object as text (message and data), for key-word checks."""
    return json.dumps(obj) if obj is not None else ""


def is_forbidden(err):
    """A role refusal: code 403 (the error table's 'not allowed for this caller') or its words."""
    t = err_text(err).lower()
    return err is not None and (err.get("code") == 403 or "forbidden" in t or "role" in t)






def udp_ports_of(pid):
    """Local (address, port) of every UDP socket the process holds (from /proc/net/udp{,6})."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                t = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if t.startswith("socket:["):
                inodes.add(t[8:-1])
    except OSError:
        return []
    out = []
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if len(parts) > 9 and parts[9] in inodes:
                        addr, port = parts[1].rsplit(":", 1)
                        out.append((addr, int(port, 16)))
        except OSError:
            pass
    return out
