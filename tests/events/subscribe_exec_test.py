"""Issue #14: exec: event sockets — a program run per event, SER exec style.

A configuration subscription (--set events.subscribe=E_UL_CONTACT_INSERT exec:<script>) runs a
shell script that saves its environment and stdin: after a REGISTER sent over UDP it shows
SB_EVENT, SB_EVENT_SEQ, SB_PARAM_* and the REGISTER's SIP_HF_* / SIP_* variables, nothing of the
daemon's own environment, and the JSON notification on stdin. A run-time exec subscription is
refused 403 unless the program is in events.exec_dirs; a program that never ends is killed after
events.exec_timeout_ms (its children too); exit codes are counted per code.
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eventlib import *  # noqa: E402,F401,F403

tmp = make_tmpdir()
out = os.path.join(tmp, "out")
os.mkdir(out)
dump = write_script(os.path.join(tmp, "dump.sh"), f"""
cat > "{out}/$SB_EVENT_SEQ.stdin"
env > "{out}/$SB_EVENT_SEQ.tmp"
mv "{out}/$SB_EVENT_SEQ.tmp" "{out}/$SB_EVENT_SEQ.env"
""")
exit3 = write_script(os.path.join(tmp, "exit3.sh"), "exit 3\n")
sleeper = write_script(os.path.join(tmp, "sleeper.sh"), f"""
sleep 1000 &
echo $! > "{out}/sleep.pid.tmp"
mv "{out}/sleep.pid.tmp" "{out}/sleep.pid"
wait
""")
os.environ["SB_TEST_DAEMON_SECRET"] = "must-not-leak"  # in the daemon's environment only
d = start([f"events.subscribe=E_UL_CONTACT_INSERT,E_REGISTRAR_AUTH_FAILED,E_CALL_STATE exec:{dump}",
           f"events.subscribe=E_DIALPLAN_RELOADED exec:{exit3}",
           f"events.subscribe=E_CORE_SHUTDOWN exec:{sleeper}",
           "events.exec_timeout_ms=300", "registrar.auth=on"])
del os.environ["SB_TEST_DAEMON_SECRET"]

rows = {r["socket"]: r for r in subscriptions(d)}
row = rows.get(f"exec:{dump}")
check(row is not None and row["kind"] == "exec" and row["source"] == "config" and row["expires_in"] is None,
      "the configured exec subscription: kind exec, source config, expires_in null", "config", row)
check(len(rows) == 3, "three configured subscriptions", 3, list(rows))


def read_env(path):
    env = {}
    with open(path) as f:
        for line in f.read().splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                env[k] = v
    return env


def runs(event, pred=None):
    """(env, stdin) of each finished run of dump.sh for `event` (pred(env) to narrow)."""
    found = []
    for name in sorted(os.listdir(out)):
        if not name.endswith(".env"):
            continue
        env = read_env(os.path.join(out, name))
        if env.get("SB_EVENT") == event and (pred is None or pred(env)):
            with open(os.path.join(out, name.replace(".env", ".stdin"))) as f:
                found.append((env, f.read()))
    return found


def wait_run(event, pred=None, timeout=5):
    got = wait_for(lambda: runs(event, pred), timeout)
    return got[0] if got else (None, None)


SHELL_OWN = {"PWD", "SHLVL", "_", "OLDPWD"}


def check_request_env(what, env, request, srcip="127.0.0.1"):
    """The SER exec variables of the SIP request `request` (info from SipClient) in `env`."""
    check(env.get("SIP_HF_CALL_ID") == request["call_id"], f"{what}: SIP_HF_CALL_ID is the Call-ID header",
          request["call_id"], env.get("SIP_HF_CALL_ID"))
    check(env.get("SIP_HF_USER_AGENT") == "eventlib-test", f"{what}: SIP_HF_USER_AGENT ('-' as '_')", "eventlib-test",
          env.get("SIP_HF_USER_AGENT"))
    check(env.get("SIP_SRCIP") == srcip, f"{what}: SIP_SRCIP", srcip, env.get("SIP_SRCIP"))
    check(env.get("SIP_RURI") == request["ruri"] and env.get("SIP_ORURI") == request["ruri"],
          f"{what}: SIP_RURI and SIP_ORURI are the Request-URI", request["ruri"], (env.get("SIP_RURI"), env.get("SIP_ORURI")))
    user = request["ruri"][4:].split("@")[0] if "@" in request["ruri"] else ""
    check("SIP_USER" in env and env["SIP_USER"] == user and env.get("SIP_OUSER") == user,
          f"{what}: SIP_USER / SIP_OUSER are the Request-URI's user part ({user or 'none'})", user,
          (env.get("SIP_USER"), env.get("SIP_OUSER")))
    check(env.get("SIP_TID") == request["branch"], f"{what}: SIP_TID is the Via branch", request["branch"],
          env.get("SIP_TID"))
    check("SIP_DID" in env and env["SIP_DID"] == "", f"{what}: SIP_DID is the To tag (none in this request)", "",
          env.get("SIP_DID"))
    check(env.get("PATH") == "/usr/local/bin:/usr/bin:/bin", f"{what}: PATH", "/usr/local/bin:/usr/bin:/bin",
          env.get("PATH"))
    extra = sorted(k for k in env if not (k.startswith(("SB_", "SIP_")) or k == "PATH" or k in SHELL_OWN))
    check(not extra and "SB_TEST_DAEMON_SECRET" not in env,
          f"{what}: nothing of the daemon's environment (HOME, …) is passed", [], extra +
          [k for k in env if k == "SB_TEST_DAEMON_SECRET"])


res, e = mi(d, "subscriber_add", {"username": "alice", "domain": "example.com", "password": "alice-pw"})
check(e is None, "subscriber_add alice (registrar.auth=on)", "OK", e)

# ---- a REGISTER runs the program with the event and the request in its environment -------------
ua = SipClient(d)
status, _, _, reg = ua.register("alice", "example.com", expires=120, password="alice-pw")
check(status == 200, "REGISTER alice (digest): 200", 200, status)
env, stdin = wait_run("E_UL_CONTACT_INSERT")
check(env is not None, "the program ran for E_UL_CONTACT_INSERT", "a run", os.listdir(out))
if env:
    check(env.get("SB_EVENT_SEQ", "").isdigit(), "SB_EVENT_SEQ is the seq", "digits", env.get("SB_EVENT_SEQ"))
    check(env.get("SB_DROPPED") == "0", "SB_DROPPED=0", "0", env.get("SB_DROPPED"))
    try:
        float(env.get("SB_EVENT_TIME", "x"))
        ok = True
    except ValueError:
        ok = False
    check(ok, "SB_EVENT_TIME is the unix time", "a number", env.get("SB_EVENT_TIME"))
    check(env.get("SB_PARAM_AOR") == "alice@example.com", "SB_PARAM_AOR (a string param, as is)", "alice@example.com",
          env.get("SB_PARAM_AOR"))
    check(env.get("SB_PARAM_URI") == reg["contact"], "SB_PARAM_URI", reg["contact"], env.get("SB_PARAM_URI"))
    check(env.get("SB_PARAM_CALLID") == reg["call_id"], "SB_PARAM_CALLID", reg["call_id"], env.get("SB_PARAM_CALLID"))
    check(env.get("SB_PARAM_Q") == "null" and env.get("SB_PARAM_CSEQ") == str(ua.cseq),
          "non-string params as JSON (q null, cseq a number)", ("null", str(ua.cseq)),
          (env.get("SB_PARAM_Q"), env.get("SB_PARAM_CSEQ")))
    check(env.get("SIP_HF_CSEQ") == f"{ua.cseq} REGISTER", "SIP_HF_CSEQ", f"{ua.cseq} REGISTER", env.get("SIP_HF_CSEQ"))
    check(env.get("SIP_HF_TO") == "<sip:alice@example.com>", "SIP_HF_TO", "<sip:alice@example.com>",
          env.get("SIP_HF_TO"))
    check_request_env("E_UL_CONTACT_INSERT", env, reg)
    try:
        j = json.loads(stdin)
    except ValueError:
        j = {}
    check(stdin.endswith("\n") and j.get("method") == "E_UL_CONTACT_INSERT" and j.get("params", {}).get("aor") ==
          "alice@example.com" and str(j.get("seq")) == env.get("SB_EVENT_SEQ"), "stdin is the JSON notification (one line)",
          "E_UL_CONTACT_INSERT", stdin)

row = wait_for(lambda: (lambda r: r if r and r["state"].get("exits", {}).get("0") == 1 else None)(
    subscription(d, f"exec:{dump}")), 5)
check(row is not None and row["delivered"] == 1 and row["state"].get("started") == 1 and row["state"].get("running") == 0,
      "subscribers_list (no further event): started 1, running 0, exits {'0': 1}", {"exits": {"0": 1}},
      subscription(d, f"exec:{dump}"))

# ---- a wrong password: E_REGISTRAR_AUTH_FAILED with the request ---------------------------------
status, _, _, bad = ua.register("alice", "example.com", expires=120, password="wrong-pw")
check(status == 401, "REGISTER alice with a wrong password: 401", 401, status)
env, _ = wait_run("E_REGISTRAR_AUTH_FAILED")
check(env is not None, "the program ran for E_REGISTRAR_AUTH_FAILED", "a run", os.listdir(out))
if env:
    check(env.get("SB_PARAM_USER") == "alice" and env.get("SB_PARAM_METHOD") == "REGISTER"
          and env.get("SB_PARAM_BANNED") == "false" and env.get("SB_PARAM_SOURCE") == "127.0.0.1",
          "SB_PARAM_USER/METHOD/SOURCE, SB_PARAM_BANNED=false (JSON)", "alice/REGISTER/false", env)
    sip_vars = sorted(k for k in env if k.startswith("SIP_"))
    if check(sip_vars, "E_REGISTRAR_AUTH_FAILED (caused by a REGISTER) carries the request's SIP_* variables",
             "SIP_HF_*, SIP_TID, SIP_SRCIP, SIP_RURI …", sorted(env)):
        check_request_env("E_REGISTRAR_AUTH_FAILED", env, bad)

# ---- an INVITE: E_CALL_STATE new with the request --------------------------------------------------
check(mi(d, "port_add", {"port": 2, "driver": "virtual", "channels": 1,
                         "options": {"mode": "answer", "answer_after_ms": 100}})[1] is None, "port_add 2 virtual")
check(mi(d, "port_group_add", {"name": "lines", "ports": "2"})[1] is None, "port_group_add lines 2")
check(mi(d, "dp_rule_add", {"src": "any", "dest_match": "^0", "dest_rewrite": "", "target": "group:lines"})[1] is None,
      "dp_rule_add any ^0 → group:lines")
status, _, _, inv = ua.invite("alice", "0301", "example.com", password="alice-pw")
check(status == 200, "INVITE sip:0301@example.com from alice (407, then with credentials): 200", 200, status)
env, _ = wait_run("E_CALL_STATE", lambda e: e.get("SB_PARAM_STATE") == "new")
check(env is not None, "the program ran for E_CALL_STATE new", "a run", os.listdir(out))
if env:
    check(env.get("SB_PARAM_SOURCE") == "subscriber:alice@example.com" and env.get("SB_PARAM_CALLED") == "0301",
          "SB_PARAM_SOURCE subscriber:alice@example.com, SB_PARAM_CALLED 0301", "subscriber:alice@example.com", env)
    check(env.get("SIP_HF_CONTENT_TYPE") == "application/sdp", "SIP_HF_CONTENT_TYPE of the INVITE", "application/sdp",
          env.get("SIP_HF_CONTENT_TYPE"))
    check_request_env("E_CALL_STATE new", env, inv)
if status == 200:
    st, _, _ = ua.bye(inv)
    check(st == 200, "BYE: 200", 200, st)
    env, _ = wait_run("E_CALL_STATE", lambda e: e.get("SB_PARAM_STATE") == "ended")
    check(env is not None and env.get("SB_PARAM_STATUS", "").isdigit(), "…and the program ran for E_CALL_STATE ended",
          "a run", env)

# ---- exit codes are counted -----------------------------------------------------------------------
# (The dialplan's load at start-up may already have run it once: count from what it shows now.)
base = (subscription(d, f"exec:{exit3}") or {"delivered": 0, "state": {}})
started0 = base["state"].get("started", 0)
for n in (1, 2):
    res, e = mi(d, "raise_event", {"event": "E_DIALPLAN_RELOADED", "params": {"rules": n}})
    check(e is None, "raise_event E_DIALPLAN_RELOADED", "OK", e)
row = wait_for(lambda: (lambda r: r if r and r["state"].get("exits", {}).get("3") == started0 + 2
                        and r["state"].get("running") == 0 else None)(subscription(d, f"exec:{exit3}")), 5)
check(row is not None, f"a program exiting 3, run {started0 + 2} times: state.exits['3'] == {started0 + 2}, running 0",
      {"3": started0 + 2}, (subscription(d, f"exec:{exit3}") or {}).get("state"))
row = subscription(d, f"exec:{exit3}")
check(row is not None and row["delivered"] == base["delivered"] + 2 and row["failed"] == 0,
      "a program that ran is delivered (its exit code is counted, not a failure)", base["delivered"] + 2, row)

# ---- a program that never ends is killed after events.exec_timeout_ms, its children too -----------
res, e = mi(d, "raise_event", {"event": "E_CORE_SHUTDOWN", "params": {"reason": "test: not a real shutdown"}})
check(e is None, "raise_event E_CORE_SHUTDOWN (runs the sleeping program)", "OK", e)
pid_file = os.path.join(out, "sleep.pid")
check(wait_for(lambda: os.path.exists(pid_file), 5), "the sleeping program started (wrote its child's pid)")
row = wait_for(lambda: (lambda r: r if r and r["state"].get("killed", 0) >= 1 else None)(
    subscription(d, f"exec:{sleeper}")), 5)
check(row is not None, "it is killed after 300 ms: state.killed >= 1", ">= 1",
      (subscription(d, f"exec:{sleeper}") or {}).get("state"))
check(row is not None and row["state"].get("running") == 0, "…and no longer running", 0, row and row["state"])


def gone(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] == "Z"  # a zombie waiting for init: dead
    except OSError:
        return True


if os.path.exists(pid_file):
    with open(pid_file) as f:
        child = int(f.read().strip() or 0)
    check(child > 0 and wait_for(lambda: gone(child), 3), "its child (sleep 1000) is killed with its process group",
          "dead", child)
assert_alive(d, when="after killing a hung program")

# ---- run-time exec: only from events.exec_dirs ------------------------------------------------------
res, e = mi(d, "event_subscribe", {"event": "E_CDR", "socket": f"exec:{exit3}"})
check(e is not None and e.get("code") == 403, "run-time exec without events.exec_dirs: 403", 403, res or e)
check(e is not None and "exec_dirs" in json.dumps(e), "…the refusal names events.exec_dirs", "exec_dirs", e)
res, e = mi(d, "event_subscribe", {"event": "E_DIALPLAN_RELOADED", "socket": "exec:/tmp/x.sh"})
check(e is not None and e.get("code") == 403, "event_subscribe … exec:/tmp/x.sh: 403", 403, res or e)

allowed = os.path.join(tmp, "allowed")
os.mkdir(allowed)
ran = os.path.join(out, "allowed.ran")
ok_prog = write_script(os.path.join(allowed, "ok.sh"), f'echo "$SB_EVENT $SB_PARAM_RULES" > "{ran}.tmp"; mv "{ran}.tmp" "{ran}"\n')
os.symlink(exit3, os.path.join(allowed, "link.sh"))
d2 = start([f"events.exec_dirs=/nonexistent,{allowed}"])
res, e = mi(d2, "event_subscribe", {"event": "E_DIALPLAN_RELOADED", "socket": f"exec:{ok_prog}", "expire": 60})
check(e is None and isinstance(res, dict) and res.get("kind") == "exec" and res.get("source") == "runtime",
      "a program in events.exec_dirs is accepted at run time", "kind exec", res or e)
res, e = mi(d2, "event_subscribe", {"event": "E_DIALPLAN_RELOADED", "socket": f"exec:{exit3}"})
check(e is not None and e.get("code") == 403, "a program outside events.exec_dirs: 403", 403, res or e)
res, e = mi(d2, "event_subscribe", {"event": "E_DIALPLAN_RELOADED", "socket": f"exec:{allowed}/link.sh"})
check(e is not None and e.get("code") == 403, "a symlink in events.exec_dirs to a program outside: 403", 403, res or e)
res, e = mi(d2, "event_subscribe", {"event": "E_DIALPLAN_RELOADED", "socket": f"exec:{allowed}/../exit3.sh"})
check(e is not None and e.get("code") == 403, "…and exec_dirs/../program: 403", 403, res or e)
res, e = mi(d2, "event_subscribe", {"event": "E_DIALPLAN_RELOADED", "socket": "exec:relative.sh"})
check(e is not None and e.get("code") in (400, 403), "a relative program path is refused", "400/403", res or e)
res, e = mi(d2, "raise_event", {"event": "E_DIALPLAN_RELOADED", "params": {"rules": 42}})
check(wait_for(lambda: os.path.exists(ran), 5), "the accepted run-time program runs for the event")
if os.path.exists(ran):
    with open(ran) as f:
        text = f.read().strip()
    check(text == "E_DIALPLAN_RELOADED 42", "…with SB_EVENT and SB_PARAM_RULES (a number as JSON)",
          "E_DIALPLAN_RELOADED 42", text)

finish_events(d, d2)
