#!/bin/sh
# sip_baresip_call_test.sh: real calls through the call engine between SIP user agents we did not
# write — two baresips (Debian baresip-core) registered with digest auth:
#   - alice calls bob through the dialplan (rule ^bob$ → user ${dest}), answering the INVITE's
#     407 challenge (registrar.auth on) with her credentials; bob's baresip answers by
#     itself (answermode=auto); call_list shows the call answered, subscriber:alice → user:bob;
#     alice hangs up; the call is gone and cdr_list has it with cause 16;
#   - alice calls 9123 (rule ^9(\d+)$ → \1 to port group lab, a virtual line that answers);
#     call_list shows new_called 123 and target port:1; port_list shows the channel in use;
#   - alice calls 0123 out through a SIP account (trunk) whose peer is a third baresip (carol,
#     AOR 123, not registered anywhere): rule ^0(\d+)$ → \1 to account:carrier; carol answers;
#   - bob's baresip is stopped: a call to bob fails 480 (no registered contact).
# baresip is driven through its ctrl_tcp module (netstring JSON commands: dial, hangup).
# Run by ctest with SB_BIN_DIR=<build>/bin and SB_SOURCE_DIR=<repository>. POSIX sh; every check
# runs and reports, then the script exits 1 if any failed; every wait is a bounded poll.
set -u

. "$SB_SOURCE_DIR/tests/shell/lib.sh"
command -v socat >/dev/null 2>&1 || { echo "FAIL: socat is not installed" >&2; exit 1; }
modules=$(baresip_modules) || exit 1

sb_init sip_baresip_call_test
alice_pid=
bob_pid=
carol_pid=
cleanup() {
  for p in $alice_pid $bob_pid $carol_pid; do kill "$p" 2>/dev/null; done
  for p in $alice_pid $bob_pid $carol_pid; do wait "$p" 2>/dev/null; done
  sb_cleanup
}
trap cleanup EXIT

sb_start_daemon --set "sip.listen=udp:127.0.0.1:0" --set registrar.auth=on
port=$(sb_sip_port 1)
ctl() { timeout 20 "$SBCTL" -f "$dir/fifo" --reply-dir "$dir" "$@"; }

ctl subscriber_add alice example.com secret >"$dir/out" 2>&1 || fail "subscriber_add alice: $(cat "$dir/out")"
ctl subscriber_add bob example.com pw2 >"$dir/out" 2>&1 || fail "subscriber_add bob: $(cat "$dir/out")"
ctl port_add 1 virtual 1 '{"mode":"answer","answer_after_ms":200}' 'lab line' >"$dir/out" 2>&1 ||
  fail "port_add: $(cat "$dir/out")"
ctl port_group_add lab 1 >"$dir/out" 2>&1 || fail "port_group_add: $(cat "$dir/out")"
# shellcheck disable=SC2016
ctl dp_rule_add subscriber '^bob$' bob 'user:${dest}' >"$dir/out" 2>&1 || fail "dp_rule_add bob: $(cat "$dir/out")"
ctl dp_rule_add subscriber '^9(\d+)$' '\1' group:lab >"$dir/out" 2>&1 || fail "dp_rule_add 9: $(cat "$dir/out")"

# start_ua <name> <account line> [sip port]: a headless baresip in $dir/<name> with a ctrl_tcp
# port ($ctrl_port), listening on the given UDP port (default: any); sets $ua_pid.
start_ua() {
  mkdir -p "$dir/$1"
  ctrl_port=$(free_port tcp)
  cat >"$dir/$1/config" <<CONF
poll_method		epoll
sip_listen		127.0.0.1:${3:-0}
module_path		$modules
module			g711.so
module			aubridge.so
audio_source		aubridge,nil
audio_player		aubridge,nil
audio_alert		aubridge,nil
module_tmp		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		127.0.0.1:$ctrl_port
CONF
  printf '%s\n' "$2" >"$dir/$1/accounts"
  timeout --foreground -k 5 90 baresip -f "$dir/$1" </dev/null >"$dir/$1.out" 2>&1 &
  ua_pid=$!
}
# ua_cmd <ctrl port> <command> [params]: one ctrl_tcp netstring command; the reply in $dir/ctrl.out.
ua_cmd() {
  json=$(printf '{"command":"%s","params":"%s","token":"t"}' "$2" "${3:-}")
  printf '%s:%s,' "${#json}" "$json" | timeout 5 socat -t 1 - "TCP:127.0.0.1:$1" >"$dir/ctrl.out" 2>&1 ||
    fail "ctrl_tcp $2 to port $1: $(cat "$dir/ctrl.out")"
}
wait_binding() {  # wait_binding <aor>
  tries=0
  while [ "$tries" -lt 75 ]; do
    ctl ul_show_contact location "$1" >"$dir/ul.out" 2>&1 && grep -q 'Contact::' "$dir/ul.out" && return
    tries=$((tries + 1))
    sleep 0.2
  done
  fail "no binding for $1 within 15 s: $(cat "$dir/ul.out")"
}
# wait_call_state <state>: polls call_list (10 s) until a call is in <state>; output in $dir/calls.out.
wait_call_state() {
  tries=0
  while [ "$tries" -lt 50 ]; do
    ctl call_list >"$dir/calls.out" 2>&1
    grep -q "state:: $1\$" "$dir/calls.out" && return 0
    tries=$((tries + 1))
    sleep 0.2
  done
  fail "no call in state $1 within 10 s; call_list: $(cat "$dir/calls.out")"
  return 1
}
wait_no_calls() {
  tries=0
  while [ "$tries" -lt 50 ]; do
    ctl call_list >"$dir/calls.out" 2>&1
    grep -q '^count:: 0$' "$dir/calls.out" && return 0
    tries=$((tries + 1))
    sleep 0.2
  done
  fail "calls still up after 10 s: $(cat "$dir/calls.out")"
}

start_ua bob "<sip:bob@example.com>;auth_pass=pw2;outbound=\"sip:127.0.0.1:$port;transport=udp\";regint=600;answermode=auto"
bob_pid=$ua_pid
start_ua alice "<sip:alice@example.com>;auth_pass=secret;outbound=\"sip:127.0.0.1:$port;transport=udp\";regint=600"
alice_pid=$ua_pid
alice_ctrl=$ctrl_port
wait_binding bob@example.com
wait_binding alice@example.com

# --- alice calls bob ----------------------------------------------------------------------------
ua_cmd "$alice_ctrl" dial sip:bob@example.com
if wait_call_state answered; then
  echo "--- call_list during alice -> bob ---"
  cat "$dir/calls.out"
  grep -q '^[[:space:]]*source:: subscriber:alice@example.com$' "$dir/calls.out" || fail "source: $(cat "$dir/calls.out")"
  grep -q '^[[:space:]]*target:: user:bob@example.com$' "$dir/calls.out" || fail "target: $(cat "$dir/calls.out")"
  ctl call_durations >"$dir/out" 2>&1
  grep -q 'count:: 1' "$dir/out" || fail "call_durations: $(cat "$dir/out")"
  # registrar.auth is on: alice's baresip answered a 407 with her credentials.
  read_stat calls:auth_challenges invite_challenges
  [ "$invite_challenges" -ge 1 ] || fail "alice's INVITE was not challenged (calls:auth_challenges $invite_challenges)"
fi
ua_cmd "$alice_ctrl" hangup
wait_no_calls
ctl cdr_list 1 >"$dir/cdr.out" 2>&1
grep -q 'target:: user:bob@example.com' "$dir/cdr.out" || fail "cdr_list: $(cat "$dir/cdr.out")"
grep -q 'sip_code:: 200' "$dir/cdr.out" || fail "cdr_list sip_code: $(cat "$dir/cdr.out")"
grep -q 'reason:: caller hung up' "$dir/cdr.out" || fail "cdr_list reason: $(cat "$dir/cdr.out")"

# --- alice calls the virtual line ---------------------------------------------------------------
ua_cmd "$alice_ctrl" dial sip:9123@example.com
if wait_call_state answered; then
  echo "--- call_list during alice -> 9123 ---"
  cat "$dir/calls.out"
  grep -q '^[[:space:]]*new_called:: 123$' "$dir/calls.out" || fail "new_called: $(cat "$dir/calls.out")"
  grep -q '^[[:space:]]*target:: port:1$' "$dir/calls.out" || fail "target: $(cat "$dir/calls.out")"
  ctl port_list >"$dir/out" 2>&1
  grep -q 'in_use:: 1' "$dir/out" || fail "port_list in_use: $(cat "$dir/out")"
fi
ua_cmd "$alice_ctrl" hangup
wait_no_calls

# --- alice calls out through a trunk: a SIP account whose peer is carol's baresip -----------------
# baresip listens on UDP and TCP at its port and TLS at the next one: a port free for UDP can be
# taken for TCP by another test running alongside. Such a start fails at once ("Address already
# in use"); carol is then started again on another port. Her baresip must be up and bound before
# the INVITE reaches it (a loaded CI machine can take seconds to start it; a fixed sleep was not
# enough).
carol_ready=
for attempt in 1 2 3 4 5; do
  carol_port=$(free_port udp)
  while port_bound tcp "$carol_port" || port_bound tcp $((carol_port + 1)); do carol_port=$(free_port udp); done
  start_ua carol "<sip:123@127.0.0.1>;regint=0;answermode=auto" "$carol_port"
  carol_pid=$ua_pid
  tries=0
  until grep -q 'baresip is ready' "$dir/carol.out" 2>/dev/null && port_bound udp "$carol_port"; do
    if grep -q 'Address already in use' "$dir/carol.out" 2>/dev/null || ! kill -0 "$carol_pid" 2>/dev/null; then
      echo "carol's baresip could not bind port $carol_port (attempt $attempt): another port"
      kill "$carol_pid" 2>/dev/null; wait "$carol_pid" 2>/dev/null
      carol_pid=
      break
    fi
    tries=$((tries + 1))
    [ "$tries" -lt 150 ] || break
    sleep 0.1
  done
  [ -n "$carol_pid" ] && { carol_ready=1; break; }
done
[ -n "$carol_ready" ] && [ "$tries" -lt 150 ] || fail "carol's baresip not ready on udp $carol_port within 15 s"
ctl account_add carrier "127.0.0.1:$carol_port" gw gwsecret udp . . . 0 >"$dir/out" 2>&1 ||
  fail "account_add: $(cat "$dir/out")"
ctl dp_rule_add subscriber '^0(\d+)$' '\1' account:carrier >"$dir/out" 2>&1 || fail "dp_rule_add 0: $(cat "$dir/out")"
ua_cmd "$alice_ctrl" dial sip:0123@example.com
if wait_call_state answered; then
  echo "--- call_list during alice -> 0123 (trunk) ---"
  cat "$dir/calls.out"
  grep -q '^[[:space:]]*target:: account:carrier$' "$dir/calls.out" || fail "target: $(cat "$dir/calls.out")"
  grep -q '^[[:space:]]*new_called:: 123$' "$dir/calls.out" || fail "new_called: $(cat "$dir/calls.out")"
fi
ua_cmd "$alice_ctrl" hangup
wait_no_calls
grep -q 'Call established' "$dir/carol.out" || fail "carol's baresip did not establish the call"

# --- bob is gone: 480 ---------------------------------------------------------------------------
kill "$bob_pid" 2>/dev/null
wait "$bob_pid" 2>/dev/null
bob_pid=
tries=0
while [ "$tries" -lt 50 ] && ctl ul_show_contact location bob@example.com >/dev/null 2>&1; do
  tries=$((tries + 1))
  sleep 0.1
done
ua_cmd "$alice_ctrl" dial sip:bob@example.com
tries=0
while [ "$tries" -lt 50 ]; do
  ctl cdr_list 1 >"$dir/cdr.out" 2>&1
  grep -q 'sip_code:: 480' "$dir/cdr.out" && break
  tries=$((tries + 1))
  sleep 0.2
done
grep -q 'sip_code:: 480' "$dir/cdr.out" || fail "a call to an unregistered bob: $(cat "$dir/cdr.out")"

for p in $alice_pid $carol_pid; do kill "$p" 2>/dev/null; done
for p in $alice_pid $carol_pid; do wait "$p" 2>/dev/null; done
alice_pid=
carol_pid=
sb_stop_daemon
if [ "$failures" -ne 0 ]; then
  dump "daemon log" "$dir/daemon.log"
  dump "baresip alice" "$dir/alice.out"
  dump "baresip bob" "$dir/bob.out"
  dump "baresip carol" "$dir/carol.out"
fi
sb_finish
