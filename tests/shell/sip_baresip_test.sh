#!/bin/sh
# sip_baresip_test.sh: the registrar (digest auth), usrloc and t_uac_dlg against a SIP user agent
# we did not write — baresip (Debian baresip-core), run headless with a minimal config:
#   - alice (right password, UDP) registers through a 401 challenge: ul_show_contact shows her
#     binding (User-agent baresip, Socket, Received), registrar:auth_challenges and
#     accepted_regs grow; sbctl t_uac_dlg MESSAGE to her registered contact → 2xx (exit 0);
#   - carol does the same over TCP (Socket tcp:…, Received …;transport=tcp);
#   - bob (wrong password) gets no binding and registrar:rejected_regs grows;
#   - alice's and carol's baresips, stopped with SIGTERM, unregister: their AORs disappear.
# Run by ctest with SB_BIN_DIR=<build>/bin and SB_SOURCE_DIR=<repository>. POSIX sh; every
# check runs and reports, then the script exits 1 if any failed. Every external process runs
# under `timeout`, every wait is a bounded poll.
set -u

. "$SB_SOURCE_DIR/tests/shell/lib.sh"
command -v timeout >/dev/null 2>&1 || { echo "FAIL: timeout (coreutils) is not installed" >&2; exit 1; }
modules=$(baresip_modules) || exit 1

sb_init sip_baresip_test
alice_pid=
bob_pid=
carol_pid=
cleanup() {
  for p in $alice_pid $bob_pid $carol_pid; do kill "$p" 2>/dev/null; done
  for p in $alice_pid $bob_pid $carol_pid; do wait "$p" 2>/dev/null; done
  sb_cleanup
}
trap cleanup EXIT

# Every baresip here shares 127.0.0.1, and bob's wrong password fails again and again (baresip
# retries at once): the per-IP ban (registrar.auth_fail_limit) would refuse alice's and carol's
# REGISTERs too, so it is raised here; tests/security/digest_replay_test.cpp covers the ban.
sb_start_daemon --set "sip.listen=udp:127.0.0.1:0,tcp:127.0.0.1:0" --set registrar.auth=on \
  --set registrar.auth_fail_limit=100000
port=$(sb_sip_port 1)
tport=$(sb_sip_port 2)

ctl() { timeout 20 "$SBCTL" -f "$dir/fifo" --reply-dir "$dir" "$@"; }
ctl subscriber_add alice example.com secret >"$dir/out" 2>&1 || fail "subscriber_add alice: $(cat "$dir/out")"
ctl subscriber_add bob example.com right >"$dir/out" 2>&1 || fail "subscriber_add bob: $(cat "$dir/out")"
ctl subscriber_add carol example.com pw3 >"$dir/out" 2>&1 || fail "subscriber_add carol: $(cat "$dir/out")"

# start_ua <name> <account line>: a baresip in $dir/<name> (config + accounts), in the background,
# stdin closed, output in $dir/<name>.out; sets $ua_pid. 60 s at most.
start_ua() {
  mkdir -p "$dir/$1"
  cat >"$dir/$1/config" <<EOF
poll_method		epoll
sip_listen		127.0.0.1:0
module_path		$modules
module_tmp		account.so
module_app		menu.so
EOF
  # Port 0: baresip binds free UDP and TCP ports itself (no race with other tests) and puts the
  # real one in its Contact. account.so reads the accounts file; menu.so accepts incoming
  # MESSAGE requests (200 OK).
  # No audio/video/UI modules: baresip runs headless with stdin closed.
  printf '%s\n' "$2" >"$dir/$1/accounts"
  # --foreground: a SIGTERM sent to timeout reaches baresip once. Without it timeout signals
  # baresip and then its own process group, and a second SIGTERM makes baresip exit at once,
  # before its un-REGISTER is answered.
  timeout --foreground -k 5 60 baresip -f "$dir/$1" </dev/null >"$dir/$1.out" 2>&1 &
  ua_pid=$!
}

# wait_binding <aor> <pid>: polls ul_show_contact (15 s at most) until the AOR has a contact;
# sets $contact (empty when none came) and leaves the last output in $dir/ul.out.
wait_binding() {
  contact=
  tries=0
  while [ "$tries" -lt 75 ]; do
    if ctl ul_show_contact location "$1" >"$dir/ul.out" 2>&1; then
      contact=$(sed -n 's/^[[:space:]]*Contact:: //p' "$dir/ul.out" | head -1)
      [ -n "$contact" ] && return
    fi
    kill -0 "$2" 2>/dev/null || { fail "baresip for $1 exited"; return; }
    tries=$((tries + 1))
    sleep 0.2
  done
  fail "no binding for $1 within 15 s; last ul_show_contact: $(cat "$dir/ul.out")"
}
# expect_binding <who> <Socket value> <Received pattern (shell case)>: checks $dir/ul.out.
expect_binding() {
  grep -q 'User-agent:: baresip' "$dir/ul.out" || fail "$1's binding has no baresip User-agent: $(cat "$dir/ul.out")"
  grep -q "Socket:: $2\$" "$dir/ul.out" || fail "$1's binding has no 'Socket:: $2': $(cat "$dir/ul.out")"
  received=$(sed -n 's/^[[:space:]]*Received:: //p' "$dir/ul.out" | head -1)
  # shellcheck disable=SC2254
  case $received in $3) ;; *) fail "$1's binding: Received '$received' does not match $3" ;; esac
  case $contact in
    sip:*@127.0.0.1:*) ;;
    *) fail "$1's contact '$contact' is not a loopback sip: URI" ;;
  esac
}
# send_message <aor> <contact>: t_uac_dlg MESSAGE to the registered contact; baresip must answer
# 200 OK. baresip answers MESSAGE through the menu module's message handler (without menu.so:
# 501 Not Implemented, "unhandeled request").
send_message() {
  ctl t_uac_dlg MESSAGE "$2" . "From: <sip:daemon@example.com>
To: <sip:$1>
Content-Type: text/plain" "hello from sbctl" >"$dir/msg.out" 2>&1
  status=$?
  [ "$status" -eq 0 ] || fail "t_uac_dlg MESSAGE to $2: exit $status: $(cat "$dir/msg.out")"
  # (exit 0: the SIP final status, the text reply's status line, is 2xx)
  grep -q 'Server: baresip' "$dir/msg.out" || fail "the MESSAGE reply does not come from baresip: $(cat "$dir/msg.out")"
}
# stop_ua_and_expect_unregistered <aor> <pid>: SIGTERM to baresip (through timeout --foreground),
# then its AOR must disappear (baresip sends REGISTER Expires: 0, challenged like any other) ≤ 5 s.
stop_ua_and_expect_unregistered() {
  kill "$2" 2>/dev/null
  wait "$2" 2>/dev/null
  tries=0
  while [ "$tries" -lt 50 ]; do
    if ! ctl ul_show_contact location "$1" >"$dir/ul.out" 2>&1; then
      grep -q '404 AOR not found' "$dir/ul.out" && return
    fi
    tries=$((tries + 1))
    sleep 0.1
  done
  fail "the binding of $1 is still there after its baresip stopped: $(cat "$dir/ul.out")"
}

# --- alice: the right password, over UDP --------------------------------------------------------
read_stat registrar:auth_challenges challenges0
read_stat registrar:accepted_regs accepted0
start_ua alice "<sip:alice@example.com>;auth_pass=secret;outbound=\"sip:127.0.0.1:$port;transport=udp\";regint=600"
alice_pid=$ua_pid
wait_binding alice@example.com "$alice_pid"
alice_contact=$contact
if [ -n "$contact" ]; then
  expect_binding alice "udp:127.0.0.1:$port" 'sip:127.0.0.1:[0-9]*'
  send_message alice@example.com "$contact"
fi
read_stat registrar:auth_challenges challenges
read_stat registrar:accepted_regs accepted
[ "$challenges" -ge $((challenges0 + 1)) ] || fail "registrar:auth_challenges $challenges0 -> $challenges, expected +1 at least"
[ "$accepted" -ge $((accepted0 + 1)) ] || fail "registrar:accepted_regs $accepted0 -> $accepted, expected +1 at least"

# --- carol: the right password, over TCP --------------------------------------------------------
start_ua carol "<sip:carol@example.com>;auth_pass=pw3;outbound=\"sip:127.0.0.1:$tport;transport=tcp\";regint=600"
carol_pid=$ua_pid
wait_binding carol@example.com "$carol_pid"
if [ -n "$contact" ]; then
  expect_binding carol "tcp:127.0.0.1:$tport" 'sip:127.0.0.1:[0-9]*;transport=tcp'
  send_message carol@example.com "$contact"
fi

# --- bob: a wrong password ----------------------------------------------------------------------
read_stat registrar:rejected_regs rejected0
start_ua bob "<sip:bob@example.com>;auth_pass=wrong;outbound=\"sip:127.0.0.1:$port;transport=udp\";regint=600"
bob_pid=$ua_pid
rejected=$rejected0
tries=0
while [ "$rejected" -le "$rejected0" ] && [ "$tries" -lt 75 ]; do  # 15 s
  kill -0 "$bob_pid" 2>/dev/null || break
  tries=$((tries + 1))
  sleep 0.2
  read_stat registrar:rejected_regs rejected
done
[ "$rejected" -gt "$rejected0" ] || fail "registrar:rejected_regs stayed at $rejected0 for bob's wrong password"
sleep 1  # let bob's baresip finish its retries
if ctl ul_show_contact location bob@example.com >"$dir/ul.out" 2>&1; then
  fail "bob registered with a wrong password: $(cat "$dir/ul.out")"
else
  grep -q '404 AOR not found' "$dir/ul.out" || fail "ul_show_contact bob: expected '404 AOR not found', got: $(cat "$dir/ul.out")"
fi
kill "$bob_pid" 2>/dev/null
wait "$bob_pid" 2>/dev/null
bob_pid=

# --- the baresips stop: they unregister ---------------------------------------------------------
if [ -n "$alice_contact" ]; then
  stop_ua_and_expect_unregistered alice@example.com "$alice_pid"
  alice_pid=
fi
stop_ua_and_expect_unregistered carol@example.com "$carol_pid"
carol_pid=

sb_stop_daemon
if [ "$failures" -ne 0 ]; then
  dump "daemon log" "$dir/daemon.log"
  dump "baresip alice" "$dir/alice.out"
  dump "baresip bob" "$dir/bob.out"
  dump "baresip carol" "$dir/carol.out"
fi
sb_finish
