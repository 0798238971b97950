#!/bin/sh
# sip_options_test.sh: the SIP stack's OPTIONS answer against a client we did not write —
# sofia-sip's sip-options (Debian sofia-sip-bin) — over UDP and TCP: exit status 0, a
# "SIP/2.0 200 OK" with our Server header and an Allow header listing OPTIONS and REGISTER, and
# core:rcv_requests (read with sbctl get_statistics) counting the requests.
# Run by ctest with SB_BIN_DIR=<build>/bin and SB_SOURCE_DIR=<repository>. POSIX sh; every
# check runs and reports, then the script exits 1 if any failed. Every external process runs
# under `timeout`.
set -u

. "$SB_SOURCE_DIR/tests/shell/lib.sh"
command -v sip-options >/dev/null 2>&1 || { echo "FAIL: sip-options (sofia-sip-bin) is not installed" >&2; exit 1; }
command -v timeout >/dev/null 2>&1 || { echo "FAIL: timeout (coreutils) is not installed" >&2; exit 1; }
sb_init sip_options_test

sb_start_daemon --set "sip.listen=udp:127.0.0.1:0,tcp:127.0.0.1:0"
uport=$(sb_sip_port 1)
tport=$(sb_sip_port 2)
grep -q "sip: listening on udp:127.0.0.1:$uport" "$dir/daemon.log" ||
  fail "the daemon does not log its SIP listener udp:127.0.0.1:$uport"

sbctl() { timeout 20 "$SBCTL" -f "$dir/fifo" --reply-dir "$dir" "$@"; }
# sb_stat <group:name>: its value, or empty.
sb_stat() {
  sbctl get_statistics "$1" 2>"$dir/sbctl.err" | sed -n "s/^$1:: //p"
}

before=$(sb_stat core:rcv_requests)
case $before in
  '' | *[!0-9]*) fail "core:rcv_requests before: '$before' is not a number ($(cat "$dir/sbctl.err"))"; before=0 ;;
esac

# ask <label> <uri> [sip-options options]: runs sip-options -a (every header of the reply).
ask() {
  label=$1
  uri=$2
  shift 2
  timeout 15 sip-options -a "$@" "$uri" >"$dir/options.out" 2>"$dir/options.err"
  status=$?
  out=$(cat "$dir/options.out")
  what="sip-options $label ($uri)"
  [ "$status" -eq 0 ] || fail "$what: exit $status, expected 0; stdout: $out; stderr: $(cat "$dir/options.err")"
  printf '%s\n' "$out" | grep -q '^SIP/2.0 200 OK' || fail "$what: no 'SIP/2.0 200 OK' line; stdout: $out"
  allow=$(printf '%s\n' "$out" | grep -i '^Allow:')
  [ -n "$allow" ] || fail "$what: no Allow header; stdout: $out"
  case $allow in *REGISTER*) ;; *) fail "$what: Allow lacks REGISTER: $allow" ;; esac
  case $allow in *OPTIONS*) ;; *) fail "$what: Allow lacks OPTIONS: $allow" ;; esac
  printf '%s\n' "$out" | grep -q '^Server: Switchboard ' || fail "$what: no 'Server: Switchboard' header; stdout: $out"
}

ask udp "sip:127.0.0.1:$uport" --bind=sip:127.0.0.1:0
ask "udp, default bind" "sip:127.0.0.1:$uport"
ask tcp "sip:127.0.0.1:$tport;transport=tcp"

after=$(sb_stat core:rcv_requests)
case $after in
  '' | *[!0-9]*) fail "core:rcv_requests after: '$after' is not a number" ;;
  *) [ "$after" -ge $((before + 3)) ] ||
       fail "core:rcv_requests went from $before to $after for 3 OPTIONS requests" ;;
esac
unsupported=$(sb_stat core:unsupported_methods)
[ "$unsupported" = 0 ] || fail "core:unsupported_methods is '$unsupported' after OPTIONS only, expected 0"

# A request to a port where nothing listens fails in sip-options (the negative control: the
# checks above do look at its exit status).
dead=$(free_port udp)
timeout 15 sip-options --bind=sip:127.0.0.1:0 "sip:127.0.0.1:$dead" >"$dir/dead.out" 2>&1
[ $? -ne 0 ] || fail "sip-options to a dead port exited 0: $(cat "$dir/dead.out")"

sb_stop_daemon
if [ "$failures" -ne 0 ]; then
  echo "--- daemon log ---" >&2
  cat "$dir/daemon.log" >&2
fi
sb_finish
