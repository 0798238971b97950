#!/bin/sh
# sip_kamailio_registrar_test.sh: outbound registration of SIP accounts (the accounts module) to
# a registrar we did not write — Kamailio (Debian kamailio 5.6: registrar + usrloc, digest auth
# with qop=auth checked by auth's pv_www_authenticate() against a fixed password), loopback only:
#   - an account over UDP registers: reg_list says `registered` with Kamailio's granted expiry,
#     and Kamailio's own `ul.dump` (kamcmd over its ctl socket) shows the binding;
#   - an account over TCP registers as well (Contact ;transport=tcp, binding in ul.dump);
#   - an account with a wrong secret ends `failed` with "401 Unauthorized (wrong credentials?)"
#     and leaves no binding;
#   - account_rm unregisters (Expires: 0): the binding leaves ul.dump;
#   - accounts:registered and accounts:auth_challenges count it;
#   - each state change is an E_ACCOUNT_REG_STATE event, received by socat on a udp: subscription
#     made in the configuration (registering → registered; the wrong secret: → failed + error).
# Run by ctest with SB_BIN_DIR=<build>/bin and SB_SOURCE_DIR=<repository>. POSIX sh; every
# check runs and reports, then the script exits 1 if any failed. Every external process runs
# under `timeout`, every wait is a bounded poll.
set -u

. "$SB_SOURCE_DIR/tests/shell/lib.sh"
for tool in kamailio kamcmd timeout python3; do
  command -v $tool >/dev/null 2>&1 || { echo "FAIL: $tool is not installed" >&2; exit 1; }
done
kmods=$(kamailio_modules registrar.so auth.so) || exit 1

sb_init sip_kamailio_registrar_test
kam_pid=
cleanup() {
  if [ -n "$kam_pid" ]; then
    kill "$kam_pid" 2>/dev/null
    wait "$kam_pid" 2>/dev/null
  fi
  sb_cleanup
}
trap cleanup EXIT

# --- Kamailio: registrar with digest authentication ------------------------------------------
kport=$(free_port udp)
while port_bound tcp "$kport"; do kport=$(free_port udp); done
mkdir -p "$dir/kamrun"
kctl="unix:$dir/kamctl.sock"
cat >"$dir/kamailio.cfg" <<EOF
#!KAMAILIO
debug=2
log_stderror=yes
fork=yes
children=1
tcp_children=1
auto_aliases=no
dns=no
rev_dns=no
use_dns_cache=no
disable_sctp=yes
disable_tls=yes
listen=udp:127.0.0.1:$kport
listen=tcp:127.0.0.1:$kport
mpath="$kmods"

loadmodule "kex.so"
loadmodule "corex.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "ctl.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"

modparam("ctl", "binrpc", "$kctl")
modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", 60)
modparam("registrar", "max_expires", 90)
modparam("auth", "qop", "auth")
modparam("auth", "secret", "switchboard-test-secret")

request_route {
	if (method != "REGISTER") {
		sl_send_reply("404", "Not here");
		exit;
	}
	# Every subscriber of realm example.com has the password kam-secret.
	if (!pv_www_authenticate("example.com", "kam-secret", "0")) {
		www_challenge("example.com", "0");
		exit;
	}
	save("location");
	exit;
}
EOF
timeout 90 kamailio -f "$dir/kamailio.cfg" -DD -E -Y "$dir/kamrun" -w "$dir/kamrun" >"$dir/kamailio.log" 2>&1 &
kam_pid=$!
tries=0
until port_bound udp "$kport" && port_bound tcp "$kport" && [ -S "$dir/kamctl.sock" ]; do
  if ! kill -0 "$kam_pid" 2>/dev/null; then
    fail "kamailio exited at start"
    dump "kamailio log" "$dir/kamailio.log"
    exit 1
  fi
  tries=$((tries + 1))
  if [ "$tries" -gt 200 ]; then
    fail "kamailio did not bind udp+tcp 127.0.0.1:$kport and its ctl socket within 20 s"
    dump "kamailio log" "$dir/kamailio.log"
    exit 1
  fi
  sleep 0.1
done
kam_dump() { timeout 10 kamcmd -s "$kctl" ul.dump 2>&1; }

# --- the daemon, its account events going to socat ----------------------------------------
evport=$(free_port udp)
timeout 60 socat -u "UDP-RECV:$evport" STDOUT >"$dir/events.json" 2>"$dir/socat.err" &
socat_pid=$!
sb_start_daemon --set "sip.listen=udp:127.0.0.1:0,tcp:127.0.0.1:0" \
  --set accounts.retry_min_s=1 --set accounts.retry_max_s=2 \
  --set "events.subscribe=E_ACCOUNT_REG_STATE udp:127.0.0.1:$evport"
port=$(sb_sip_port 1)
tport=$(sb_sip_port 2)
[ -n "$port" ] && [ -n "$tport" ] || fail "no SIP ports in the start-up line: $(grep ' started; ' "$dir/daemon.log")"

ctl() { timeout 30 "$SBCTL" -f "$dir/fifo" --reply-dir "$dir" "$@"; }
# reg_field <account> <field>: one field of the account's reg_list entry ("" when absent).
reg_field() {
  ctl --json reg_list 2>/dev/null | python3 -c 'import json, sys
try:
    regs = json.load(sys.stdin)["Registrations"]
except Exception:
    sys.exit(0)
for e in regs:
    if e["name"] == sys.argv[1]:
        print(e[sys.argv[2]])' "$1" "$2"
}
# wait_state <account> <state> <seconds>: polls reg_list; true once the state is reached.
wait_state() {
  n=0
  while [ "$n" -lt $(($3 * 10)) ]; do
    [ "$(reg_field "$1" state)" = "$2" ] && return 0
    n=$((n + 1))
    sleep 0.1
  done
  return 1
}
read_stat() {  # read_stat <group:name> <var>
  v=$(ctl get_statistics "$1" 2>"$dir/sbctl.err" | sed -n "s/^$1:: //p")
  case $v in
    '' | *[!0-9]*) fail "cannot read $1: '$v' $(cat "$dir/sbctl.err")"; v=0 ;;
  esac
  eval "$2=\$v"
}

read_stat accounts:auth_challenges challenges0

# An account over UDP with the right secret.
ctl --json account_add good "127.0.0.1:$kport" alice kam-secret udp "" "Alice" example.com on 600 >"$dir/add.out" 2>&1 ||
  fail "account_add good: $(cat "$dir/add.out")"
if wait_state good registered 10; then
  granted=$(reg_field good expires)
  [ "$granted" = 90 ] || fail "good: granted expires '$granted', expected Kamailio's max_expires 90"
  [ -z "$(reg_field good last_error)" ] || fail "good: last_error '$(reg_field good last_error)'"
else
  fail "good: not registered within 10 s: state '$(reg_field good state)', last_error '$(reg_field good last_error)'"
fi
kam_dump >"$dir/uldump1.txt"
grep -q "sip:alice@127.0.0.1:$port" "$dir/uldump1.txt" ||
  fail "Kamailio's ul.dump does not show the binding sip:alice@127.0.0.1:$port: $(cat "$dir/uldump1.txt")"

# An account over TCP.
ctl --json account_add overtcp "127.0.0.1:$kport" carol kam-secret tcp "" "" example.com on 600 >"$dir/add2.out" 2>&1 ||
  fail "account_add overtcp: $(cat "$dir/add2.out")"
wait_state overtcp registered 10 ||
  fail "overtcp: not registered within 10 s: state '$(reg_field overtcp state)', last_error '$(reg_field overtcp last_error)'"
kam_dump >"$dir/uldump2.txt"
grep -q "sip:carol@127.0.0.1:$tport;transport=tcp" "$dir/uldump2.txt" ||
  fail "Kamailio's ul.dump does not show the TCP binding of carol: $(cat "$dir/uldump2.txt")"

# An account with a wrong secret.
ctl --json account_add bad "127.0.0.1:$kport" mallory wrong-secret udp "" "" example.com on 600 >"$dir/add3.out" 2>&1 ||
  fail "account_add bad: $(cat "$dir/add3.out")"
if wait_state bad failed 10; then
  err=$(reg_field bad last_error)
  [ "$err" = "401 Unauthorized (wrong credentials?)" ] || fail "bad: last_error '$err'"
else
  fail "bad: not failed within 10 s: state '$(reg_field bad state)', last_error '$(reg_field bad last_error)'"
fi
kam_dump >"$dir/uldump3.txt"
if grep -q "mallory" "$dir/uldump3.txt"; then fail "a binding for the wrong secret: $(cat "$dir/uldump3.txt")"; fi

# The events of those state changes, as socat received them (one JSON-RPC notification each).
has_event() { grep -q "$1" "$dir/events.json"; }
n=0
until has_event '"account":"bad","state":"failed"' || [ "$n" -gt 50 ]; do n=$((n + 1)); sleep 0.1; done
has_event '"method":"E_ACCOUNT_REG_STATE","params":{"account":"good","state":"registering","previous":"disabled"' ||
  fail "no E_ACCOUNT_REG_STATE good: disabled -> registering: $(cat "$dir/events.json")"
has_event '"account":"good","state":"registered","previous":"registering"' ||
  fail "no E_ACCOUNT_REG_STATE good: registering -> registered: $(cat "$dir/events.json")"
has_event '"account":"overtcp","state":"registered"' || fail "no E_ACCOUNT_REG_STATE overtcp registered"
has_event '"account":"bad","state":"failed","previous":"registering",.*"error":"401 Unauthorized (wrong credentials?)"' ||
  fail "no E_ACCOUNT_REG_STATE bad: failed with the 401: $(cat "$dir/events.json")"
kill "$socat_pid" 2>/dev/null

read_stat accounts:registered registered
[ "$registered" -eq 2 ] || fail "accounts:registered is $registered, expected 2"
read_stat accounts:auth_challenges challenges
[ "$challenges" -ge $((challenges0 + 3)) ] || fail "accounts:auth_challenges $challenges0 -> $challenges, expected +3 at least"
ctl account_list >"$dir/list.out" 2>&1
if grep -q "kam-secret\|wrong-secret" "$dir/list.out"; then fail "account_list prints a secret: $(cat "$dir/list.out")"; fi

# account_rm unregisters: the binding leaves Kamailio.
ctl account_rm good >"$dir/rm.out" 2>&1 || fail "account_rm good: $(cat "$dir/rm.out")"
n=0
while kam_dump | grep -q "sip:alice@127.0.0.1:$port" && [ "$n" -lt 50 ]; do
  n=$((n + 1))
  sleep 0.1
done
if kam_dump | grep -q "sip:alice@127.0.0.1:$port"; then fail "the binding of alice is still in ul.dump after account_rm"; fi

sb_stop_daemon
# A graceful stop removes the remaining binding (carol over TCP).
n=0
while kam_dump | grep -q "sip:carol@" && [ "$n" -lt 30 ]; do
  n=$((n + 1))
  sleep 0.1
done
if kam_dump | grep -q "sip:carol@"; then fail "the TCP binding of carol is still in ul.dump after the daemon stopped"; fi

kill "$kam_pid" 2>/dev/null
wait "$kam_pid" 2>/dev/null
kam_pid=

if [ "$failures" -ne 0 ]; then
  dump "daemon log" "$dir/daemon.log"
  dump "kamailio log" "$dir/kamailio.log"
fi
sb_finish
