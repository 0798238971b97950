"""seclib.py: shared pieces of the attack tests in tests/security/ (import it; it is not a test).

Each *_test.py starts the REAL daemon ($SB_BIN_DIR/switchboard) with its FIFO, unix datagram
socket, HTTP and monitor in a private temp dir / on free loopback ports, sends a real attack and
checks that the daemon survives and answers as issue #11 says. Run by ctest with SB_BIN_DIR,
SB_SOURCE_DIR and SB_MODULE_DIR set (see CMakeLists.txt). Python 3 standard library only.

  d = start_daemon(["--set", "http.max_body=4096"])   # waits for ' started; ' (15 s)
  fifo_call(d, ":uptime:\\n\\n")                       # reply text or None (timeout)
  assert_alive(d)                                      # uptime over the FIFO within 1 s
  http(d, "POST", "/mi", body, {"Content-Type": "application/json"}) -> (status, headers, body)
  check(cond, what, expected, got); finish()           # summary, exit 1 on any failure
The client side of each transport (FIFO, HTTP, datagrams, monitor, user nobody) is in
seclib_io.py, re-exported here.
"""
import atexit, os, re, resource, shutil, signal, socket, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seclib_io import *  # noqa: E402,F401,F403  (the client side of every transport)

BIN_DIR = os.environ.get("SB_BIN_DIR", "")


def _built_with_asan():
    """True when the daemon under test is an ASan build (linked with libasan), whatever its
    build directory is called."""
    try:
        out = subprocess.run(["ldd", os.path.join(BIN_DIR, "switchboard")], capture_output=True,
                             text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return "asan" in BIN_DIR.lower()
    return "libasan" in out


ASAN = _built_with_asan()
SOURCE_DIR = os.environ.get("SB_SOURCE_DIR", "")
MODULE_DIR = os.environ.get("SB_MODULE_DIR", "")
if not BIN_DIR or not SOURCE_DIR:
    print("FAIL: set SB_BIN_DIR (the build's bin directory) and SB_SOURCE_DIR (the repository)",
          file=sys.stderr)
    sys.exit(1)
SB = os.path.join(BIN_DIR, "switchboard")
CONF = os.path.join(SOURCE_DIR, "conf", "switchboard.conf")
NAME = os.path.basename(sys.argv[0]).removesuffix(".py")

_failures = 0
_checks = 0
_daemons = []
_tmpdirs = []

# Many sockets per test (slowloris): take every descriptor the hard limit allows.
_soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if _hard == resource.RLIM_INFINITY or _hard > _soft:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(_hard, 65536), _hard))


def log(msg):
    print(f"[{NAME}] {msg}", flush=True)


def check(cond, what, expected=None, got=None):
    """Counts one check; on failure prints what was expected and what came."""
    global _failures, _checks
    _checks += 1
    if cond:
        print(f"ok: {what}", flush=True)
    else:
        _failures += 1
        detail = ""
        if expected is not None:
            detail += f"\n    expected: {expected}"
        if got is not None:
            g = got if isinstance(got, str) else repr(got)
            detail += f"\n    got:      {g[:600]}"
        print(f"FAIL: {what}{detail}", file=sys.stderr, flush=True)
    return bool(cond)


def fail(what, expected=None, got=None):
    return check(False, what, expected, got)


def finish():
    """Prints the summary; exit status 1 when a check failed (or none was made)."""
    # core.validate_replies is on: a reply that broke its command's reply schema was logged.
    for d in _daemons:
        bad = [l for l in d.log_text().splitlines() if "does not match its reply schema" in l]
        check(not bad, "every reply matched its command's reply schema", "none logged", bad[:3])
    if _checks == 0:
        fail("the test made no check")
    if _failures:
        print(f"{NAME}: {_failures} of {_checks} check(s) failed", file=sys.stderr, flush=True)
        sys.exit(1)
    print(f"{NAME}: all {_checks} checks passed", flush=True)
    sys.exit(0)


def wait_for(cond, timeout, interval=0.02):
    """Polls cond() until it is truthy (returns its value) or the deadline passes (None)."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def make_tmpdir():
    d = tempfile.mkdtemp(prefix=f"sec_{NAME}.")
    os.chmod(d, 0o755)  # the "nobody" attacker must reach the FIFO and socket paths
    _tmpdirs.append(d)
    return d


class Daemon:
    def __init__(self, tmp, argv, log_file=None):
        self.tmp = tmp
        self.argv = argv
        self.stderr_path = os.path.join(tmp, "daemon.log")
        self.log_file = log_file
        self.fifo = os.path.join(tmp, "fifo")
        self.reply_dir = tmp
        self.sock = os.path.join(tmp, "sock")
        self.db = os.path.join(tmp, "switchboard.db")
        self.http_port = 0
        self.monitor_port = 0
        self.proc = None
        self.pid = 0
        self.asan = ASAN
        self._seq = 0

    def log_text(self):
        """The daemon's standard output/error plus its core.log_file, if one was set."""
        text = ""
        for p in (self.stderr_path, self.log_file):
            if p and os.path.exists(p):
                with open(p, "rb") as f:
                    text += f.read().decode("utf-8", "replace")
        return text

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def read_ports(self):
        """The ports really bound (listeners on port 0: no free-port race), from the started
        line: "... started; SIP: udp:127.0.0.1:N, ...; FIFO: ...; HTTP: port N; monitor: port N"
        and the datagram line "udp 127.0.0.1:0 (port N)"."""
        text = self.log_text()
        started = next((l for l in text.splitlines() if " started; " in l), "")
        m = re.search(r"; HTTP: port (\d+)", started)
        self.http_port = int(m.group(1)) if m else 0
        m = re.search(r"; monitor: port (\d+)", started)
        self.monitor_port = int(m.group(1)) if m else 0
        m = re.search(r"; SIP: udp:[^,;\s]*:(\d+)", started)
        self.sip_port = int(m.group(1)) if m else 0
        m = re.search(r"datagram: listening on .*udp [^;]*?\(port (\d+)\)", text)
        self.udp_port = int(m.group(1)) if m else 0

    def next_name(self, prefix="r"):
        self._seq += 1
        return f"{prefix}{os.getpid()}_{self._seq}"

    def stop(self, timeout=10):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode
        self.proc = None
        return rc


def mem_factor(d):
    """ASan roughly doubles memory: RSS bounds are multiplied by this for an ASan build."""
    if not d.asan and d.pid:
        try:
            with open(f"/proc/{d.pid}/maps") as f:
                d.asan = "libasan" in f.read()
        except OSError:
            pass
    return 2.5 if d.asan else 1.0


def _argv(tmp, extra_sets, conf):
    return [SB, "-c", conf, "--foreground",
            "--set", f"fifo.path={tmp}/fifo", "--set", f"fifo.reply_dir={tmp}",
            "--set", f"datagram.unix={tmp}/sock", "--set", "datagram.udp=",
            "--set", "http.listen=127.0.0.1:0", "--set", "monitor.listen=127.0.0.1:0",
            "--set", "sip.listen=", "--set", f"core.db={tmp}/switchboard.db",
            *extra_sets, "--set", "core.validate_replies=on", "--set", "core.log_level=info"]


def _log_file_of(extra_sets):
    path = None
    for a in extra_sets:
        if a.startswith("core.log_file="):
            path = a.split("=", 1)[1] or None
    return path


def launch(extra_sets, extra_conf="", tmp=None, drop=()):
    """Starts the daemon without waiting; returns the Daemon (see start_daemon). `drop`: keys
    whose default --set is left out (the configuration file's value applies)."""
    tmp = tmp or make_tmpdir()
    conf = CONF
    if extra_conf:
        conf = os.path.join(tmp, "switchboard.conf")
        with open(CONF) as src, open(conf, "w") as dst:
            dst.write(src.read() + "\n" + extra_conf + "\n")
    argv = _argv(tmp, list(extra_sets), conf)
    for key in drop:
        i = argv.index(next(a for a in argv if a.startswith(key + "=")))
        del argv[i - 1:i + 1]
    d = Daemon(tmp, argv, _log_file_of(extra_sets))
    out = open(d.stderr_path, "ab")
    # Under ASan, freed blocks wait in a 256 MB quarantine before reuse: RSS after an attack
    # would measure ASan's quarantine, not what the daemon keeps. A small one keeps the memory
    # bounds meaningful (use-after-free detection stays on, with a shorter window).
    env = dict(os.environ)
    if ASAN:
        env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS", ""), "quarantine_size_mb=16"]))
    d.proc = subprocess.Popen(d.argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              env=env)
    out.close()
    d.pid = d.proc.pid
    _daemons.append(d)
    return d


def start_daemon(extra_sets, extra_conf="", tmp=None, must_start=True, drop=()):
    """Starts the real daemon (see the module doc) and waits up to 15 s for ' started; '.
    extra_sets: raw arguments (["--set", "k=v", ...]) or bare "k=v" items; extra_conf: text
    appended to a copy of conf/switchboard.conf. If it does not start: a failed check, then the
    test ends (must_start) or None is returned (the test goes on with its other parts)."""
    d = launch(_sets(extra_sets), extra_conf, tmp, drop)
    ok = wait_for(lambda: " started; " in d.log_text() or not d.alive(), 15, 0.02)
    if ok and d.alive():
        d.read_ports()
    if not d.alive() or not ok:
        rc = d.proc.poll() if d.proc else "?"
        fail(f"switchboard did not start (exit status {rc}); argv: {' '.join(d.argv[3:])}",
             "a ' started; ' log line within 15 s", d.log_text()[-2000:])
        d.stop(5)
        if must_start:
            finish()
        return None
    mem_factor(d)
    return d


def start_expect_exit(extra_sets, timeout=15, tmp=None):
    """Starts the daemon and waits for it to exit or to log ' started; '.
    Returns (exit status or None if it started, its output)."""
    d = launch(_sets(extra_sets), "", tmp)
    wait_for(lambda: not d.alive() or " started; " in d.log_text(), timeout, 0.02)
    rc = d.proc.poll()
    return rc, d.log_text(), d


def _sets(items):
    out = []
    it = list(items)
    i = 0
    while i < len(it):
        if it[i] == "--set" and i + 1 < len(it):
            out += ["--set", it[i + 1]]
            i += 2
        else:
            out += ["--set", it[i]]
            i += 1
    return out


def _stop_all():
    for d in _daemons:
        try:
            d.stop(5)
        except Exception:
            pass
    for t in _tmpdirs:
        shutil.rmtree(t, ignore_errors=True)


atexit.register(_stop_all)


def assert_alive(d, within=1.0, when="after the attack"):
    """Checks that `uptime` over the FIFO is answered 200 within `within` seconds."""
    t0 = time.monotonic()
    r = fifo_call(d, ":uptime:\n\n", timeout=within) if d.alive() else None
    dt = time.monotonic() - t0
    return check(r is not None and r.startswith("200"),
                 f"daemon alive {when}: uptime over the FIFO answered 200 in {dt:.2f} s",
                 f"'200 OK' within {within} s (daemon running: {d.alive()})",
                 r if r is not None else "no reply")


def get_stat(d, name, timeout=3.0):
    """A statistic (group:name) read with get_statistics over the FIFO (`name:: N`); None if absent."""
    r = fifo_call(d, f":get_statistics:\n{name}\n\n", timeout) or ""
    for line in r.splitlines():
        if line.startswith(name + "::"):
            try:
                return int(line.split("::", 1)[1].strip())
            except ValueError:
                return None
    return None


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0

def sip_sets():
    """--set items that turn the SIP engine on (loopback UDP, port 0: the port bound is read from
    the start-up log into d.sip_port): engine commands (cdr_flush, subscriber_add) answer 503
    without it."""
    return ["sip.listen=udp:127.0.0.1:0"]


def peak_rss_during(pid, seconds, every=0.1):
    """Samples VmRSS for `seconds`; returns the largest value (kB)."""
    peak = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            peak = max(peak, rss_kb(pid))
        except OSError:
            break
        time.sleep(every)
    return peak


