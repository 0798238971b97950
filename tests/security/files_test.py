"""Item 14 (issue #11): files the daemon creates (database, WAL, log, pid file).

Attack: another local user reads the database (subscribers' HA1 hashes, account secrets) or
the log, created with the umask's 0644; a local user plants core.pid_file as a symlink to a file
of root's, which the daemon (root) then overwrites with its pid.
Expected: the db, its -wal and the log file are mode 0600 (whatever the umask); a pid file that
is a symlink is refused (or not followed): the victim file is unchanged.
"""
import os, stat, sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seclib import *  # noqa: E402,F401

os.umask(0o022)  # the usual umask: files would be 0644 without the daemon's own care
tmp = make_tmpdir()
logf, pidf = os.path.join(tmp, "sb.log"), os.path.join(tmp, "sb.pid")
d = start_daemon([f"core.log_file={logf}", f"core.pid_file={pidf}"] + sip_sets(), tmp=tmp)
base = rss_kb(d.pid)

r = fifo_call(d, ":subscriber_add:\nalice\nexample.com\nsecret\n\n") or ""
check(r.startswith("200"), "subscriber_add over the FIFO (a database write)", "200 OK", r)
wal = d.db + "-wal"
wait_for(lambda: os.path.exists(wal), 5)


def mode(path):
    try:
        return oct(stat.S_IMODE(os.stat(path).st_mode))
    except OSError as e:
        return f"missing ({e.strerror})"


for what, path in (("database", d.db), ("database -wal", wal), ("log file", logf)):
    got = mode(path)
    check(got == "0o600", f"{what} {os.path.basename(path)} has mode 0600", "0o600", got)
if os.path.exists(pidf):
    got = mode(pidf)
    check(not (os.stat(pidf).st_mode & 0o022), "the pid file is not writable by group/other",
          "0644 or stricter", got)
else:
    fail("the pid file was written", pidf, "missing")
assert_alive(d)
grow = (rss_kb(d.pid) - base) / 1024
check(grow < 50 * mem_factor(d), f"RSS growth {grow:.1f} MB", "small", f"{grow:.1f} MB")
d.stop()

# core.pid_file is a symlink planted by someone else.
tmp2 = make_tmpdir()
victim = os.path.join(tmp2, "victim")
with open(victim, "w") as f:
    f.write("VICTIM CONTENT\n")
link = os.path.join(tmp2, "sb.pid")
os.symlink(victim, link)
rc, out, x = start_expect_exit([f"core.pid_file={link}"], tmp=tmp2)
started = rc is None
log(f"pid file is a symlink: {'started' if started else f'exit {rc}'}; {out.strip()[-300:]!r}")
with open(victim) as f:
    content = f.read()
check(content == "VICTIM CONTENT\n", "the symlink's target is unchanged after the start",
      "VICTIM CONTENT", content)
if started:
    x.stop()
    check(os.path.exists(victim), "the victim still exists after the daemon stopped", "exists",
          "removed")
    if os.path.exists(victim):
        with open(victim) as f:
            content = f.read()
        check(content == "VICTIM CONTENT\n", "the victim is unchanged after the daemon stopped",
              "VICTIM CONTENT", content)
else:
    check(rc != 0 and "pid" in out.lower(), "the refusal is an error that names the pid file",
          "non-zero exit, a message about core.pid_file", f"exit {rc}: {out[-300:]}")
finish()
