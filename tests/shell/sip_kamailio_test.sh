#!/bin/sh
# sip_kamailio_test.sh: t_uac_dlg (the tm module) against a SIP server we did not write —
# Kamailio (Debian kamailio), stateless, loopback only, with a minimal config written here:
#   - OPTIONS → "Status:: 200 OK from kamailio" (the reply's phrase is passed through);
#   - MESSAGE with a body → 200; Kamailio echoes the Content-Length and Content-Type it got;
#   - a request routed by next_hop (Request-URI host that does not resolve) reaches Kamailio;
#   - `!!` in a header is our own address (Kamailio echoes the Contact it got);
#   - the socket param picks which of our two listeners the request leaves from (Kamailio
#     echoes the source address), an unknown socket is "404 Local socket not found";
#   - a method Kamailio refuses → "Status:: 404 Not here", tm:4xx_transactions grows;
#   - a request Kamailio ignores → "Status:: 408 Request Timeout" after 64*T1 (T1 = 50 ms here),
#     counted in tm:local_replies.
# Run by ctest with SB_BIN_DIR=<build>/bin and SB_SOURCE_DIR=<repository>. POSIX sh; every
# check runs and reports, then the script exits 1 if any failed. Every external process runs
# under `timeout`, every wait is a bounded poll.
set -u

. "$SB_SOURCE_DIR/tests/shell/lib.sh"
command -v kamailio >/dev/null 2>&1 || { echo "FAIL: kamailio is not installed" >&2; exit 1; }
command -v timeout >/dev/null 2>&1 || { echo "FAIL: timeout (coreutils) is not installed" >&2; exit 1; }
kmods=$(kamailio_modules sl.so) || exit 1

sb_init sip_kamailio_test
kam_pid=
cleanup() {
  if [ -n "$kam_pid" ]; then
    kill "$kam_pid" 2>/dev/null
    wait "$kam_pid" 2>/dev/null
  fi
  sb_cleanup
}
trap cleanup EXIT

# --- Kamailio ---------------------------------------------------------------------------------
kport=$(free_port udp)
mkdir -p "$dir/kamrun"
cat >"$dir/kamailio.cfg" <<EOF
#!KAMAILIO
debug=2
log_stderror=yes
fork=yes
children=1
auto_aliases=no
dns=no
rev_dns=no
use_dns_cache=no
disable_sctp=yes
disable_tls=yes
disable_tcp=yes
listen=udp:127.0.0.1:$kport
mpath="$kmods"

loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "textops.so"

request_route {
	if (is_method("OPTIONS")) {
		sl_send_reply("200", "OK from kamailio");
		exit;
	}
	if (is_method("MESSAGE")) {
		sl_send_reply("200", "OK from kamailio, body \$cl bytes of \$cT");
		exit;
	}
	if (is_method("PUBLISH")) {
		sl_send_reply("200", "contact \$ct");
		exit;
	}
	if (is_method("UPDATE")) {
		sl_send_reply("200", "from \$si:\$sp");
		exit;
	}
	if (is_method("NOTIFY")) {
		exit;  # no reply at all
	}
	sl_send_reply("404", "Not here");
	exit;
}
EOF
timeout 60 kamailio -f "$dir/kamailio.cfg" -DD -E -Y "$dir/kamrun" -w "$dir/kamrun" >"$dir/kamailio.log" 2>&1 &
kam_pid=$!
tries=0
until port_bound udp "$kport"; do
  if ! kill -0 "$kam_pid" 2>/dev/null; then
    fail "kamailio exited at start"
    dump "kamailio log" "$dir/kamailio.log"
    exit 1
  fi
  tries=$((tries + 1))
  if [ "$tries" -gt 200 ]; then
    fail "kamailio did not bind udp 127.0.0.1:$kport within 20 s"
    dump "kamailio log" "$dir/kamailio.log"
    exit 1
  fi
  sleep 0.1
done

# --- the daemon -------------------------------------------------------------------------------
sb_start_daemon --set "sip.listen=udp:127.0.0.1:0,udp:127.0.0.1:0" --set sip.t1_ms=50
port=$(sb_sip_port 1)
port2=$(sb_sip_port 2)
[ -n "$port" ] && [ -n "$port2" ] || fail "no SIP ports in the start-up line: $(grep ' started; ' "$dir/daemon.log")"

ctl() { timeout 30 "$SBCTL" -f "$dir/fifo" --reply-dir "$dir" "$@"; }
read_stat() {  # read_stat <group:name> <var>
  v=$(ctl get_statistics "$1" 2>"$dir/sbctl.err" | sed -n "s/^$1:: //p")
  case $v in
    '' | *[!0-9]*) fail "cannot read $1: '$v' $(cat "$dir/sbctl.err")"; v=0 ;;
  esac
  eval "$2=\$v"
}
# uac <label> <expected Status line, or "" for an MI error> <sbctl t_uac_dlg params...>
uac() {
  label=$1
  want=$2
  shift 2
  # JSON dialect: the result {Status, Message} whatever the SIP status (the text dialect's
  # status line is the SIP status itself: checked by uac_text below).
  ctl --json t_uac_dlg "$@" >"$dir/uac.out" 2>&1
  status=$?
  out=$(cat "$dir/uac.out")
  if [ -z "$want" ]; then
    [ "$status" -ne 0 ] || fail "$label: sbctl exit 0, expected an MI error; output: $out"
    return
  fi
  [ "$status" -eq 0 ] || fail "$label: sbctl exit $status: $out"
  first=$(printf '%s\n' "$out" | sed -n 's/^ *"Status": "\(.*\)",\{0,1\}$/\1/p' | head -1)
  [ "$first" = "$want" ] || fail "$label: Status '$first', expected '$want'; output: $out"
}
# uac_text <label> <expected exit> <expected status line on stderr, or "" for 2xx> <params...>:
# the SER text dialect puts the SIP final status on the status line (SER 0.9), so a script's
# `sbctl t_uac_dlg ... || echo failed` sees a failed request.
uac_text() {
  label=$1 want_exit=$2 want_status=$3
  shift 3
  ctl t_uac_dlg "$@" >"$dir/uac.out" 2>"$dir/uac.err"
  status=$?
  [ "$status" -eq "$want_exit" ] ||
    fail "$label (text): sbctl exit $status, expected $want_exit; $(cat "$dir/uac.out" "$dir/uac.err")"
  if [ -n "$want_status" ]; then
    grep -qx "$want_status" "$dir/uac.err" ||
      fail "$label (text): no status line '$want_status' on stderr: $(cat "$dir/uac.err")"
  fi
}
HDRS="From: <sip:daemon@example.com>
To: <sip:kam@127.0.0.1>"

read_stat tm:2xx_transactions ok0
read_stat tm:4xx_transactions nok0
read_stat tm:local_replies local0

uac "OPTIONS" "200 OK from kamailio" OPTIONS "sip:kam@127.0.0.1:$kport" . "$HDRS"
case $out in *"Server: kamailio"*) ;; *) fail "OPTIONS: the reply is not Kamailio's (no Server: kamailio): $out" ;; esac

uac "MESSAGE with a body" "200 OK from kamailio, body 16 bytes of text/plain" \
  MESSAGE "sip:kam@127.0.0.1:$kport" . "$HDRS
Content-Type: text/plain" "hello from sbctl"

uac "OPTIONS via next_hop" "200 OK from kamailio" \
  OPTIONS "sip:kam@kamailio.invalid" "sip:127.0.0.1:$kport" "From: <sip:daemon@example.com>
To: <sip:kam@kamailio.invalid>"

uac "PUBLISH with !! in Contact" "200 contact <sip:daemon@127.0.0.1:$port>" \
  PUBLISH "sip:kam@127.0.0.1:$kport" . "$HDRS
Contact: <sip:daemon@!!>"

# The socket param picks the listener the request leaves from (Kamailio echoes the source).
uac "UPDATE from the first listener" "200 from 127.0.0.1:$port" \
  UPDATE "sip:kam@127.0.0.1:$kport" . "$HDRS" "" "udp:127.0.0.1:$port"
uac "UPDATE from the second listener (socket param)" "200 from 127.0.0.1:$port2" \
  UPDATE "sip:kam@127.0.0.1:$kport" . "$HDRS" "" "udp:127.0.0.1:$port2"
uac "UPDATE from a socket we do not have" "" \
  UPDATE "sip:kam@127.0.0.1:$kport" . "$HDRS" "" "udp:127.0.0.1:1"
case $out in *"404 Local socket not found"*) ;; *) fail "unknown socket: expected '404 Local socket not found', got: $out" ;; esac

uac "INFO (refused)" "404 Not here" INFO "sip:kam@127.0.0.1:$kport" . "$HDRS"
uac_text "INFO (refused)" 1 "404 Not here" INFO "sip:kam@127.0.0.1:$kport" . "$HDRS"
uac_text "OPTIONS" 0 "" OPTIONS "sip:kam@127.0.0.1:$kport" . "$HDRS"
grep -q "Server: kamailio" "$dir/uac.out" || fail "OPTIONS (text): no Server: kamailio in $(cat "$dir/uac.out")"

t0=$(date +%s)
uac "NOTIFY (ignored)" "408 Request Timeout" NOTIFY "sip:kam@127.0.0.1:$kport" . "$HDRS
Event: dialog"
took=$(( $(date +%s) - t0 ))
[ "$took" -le 15 ] || fail "NOTIFY: the 408 took $took s with T1 = 50 ms (64*T1 = 3.2 s)"

read_stat tm:2xx_transactions ok
read_stat tm:4xx_transactions nok
read_stat tm:local_replies local
read_stat tm:inuse_transactions inuse
[ "$ok" -ge $((ok0 + 6)) ] || fail "tm:2xx_transactions $ok0 -> $ok, expected +6"
[ "$nok" -ge $((nok0 + 2)) ] || fail "tm:4xx_transactions $nok0 -> $nok, expected +2 (the 404 and the 408)"
[ "$local" -ge $((local0 + 1)) ] || fail "tm:local_replies $local0 -> $local, expected +1 (the 408)"
[ "$inuse" -eq 0 ] || fail "tm:inuse_transactions is $inuse after every transaction completed"

kill "$kam_pid" 2>/dev/null
wait "$kam_pid" 2>/dev/null
kam_pid=

sb_stop_daemon
if [ "$failures" -ne 0 ]; then
  dump "daemon log" "$dir/daemon.log"
  dump "kamailio log" "$dir/kamailio.log"
fi
sb_finish
