#!/bin/sh
# datagram_socat_test.sh: the datagram transport (spec/wire.md §4) against a client we did not
# write — socat — over UDP and over the unix SOCK_DGRAM socket (socat binds its own path, as
# SER's serunix did): text and JSON-RPC requests, errors, the 413 answer for a reply over
# datagram.max_size, the 400 answer for a request over it, and the socket file's mode and
# removal at SIGTERM.
# Run by ctest with SB_BIN_DIR=<build>/bin and SB_SOURCE_DIR=<repository>. POSIX sh; every
# check runs and reports, then the script exits 1 if any failed.
set -u

. "$SB_SOURCE_DIR/tests/shell/lib.sh"
command -v socat >/dev/null 2>&1 || { echo "FAIL: socat is not installed" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "FAIL: python3 is not installed" >&2; exit 1; }
sb_init sbdgram_test
MAX=1024

# --- the daemon -----------------------------------------------------------------------------
sb_start_daemon --set "datagram.unix=$dir/sock" --set "datagram.udp=127.0.0.1:0" \
  --set "datagram.max_size=$MAX"
port=$(sb_port udp)
[ -n "$port" ] || fail "no datagram UDP port in the start-up log"

# send <udp|unix> <request file>: one datagram with the file's bytes (socat reads a regular file
# in one read, -b bounds it), the reply in $dir/reply and $out. -t1: wait 1 s for the reply.
n=0
send() {
  n=$((n + 1))
  what="$1 request $(head -c 40 "$2" | tr '\n' '|')"
  if [ "$1" = udp ]; then
    socat -b 131072 -t1 - "UDP:127.0.0.1:$port" <"$2" >"$dir/reply" 2>"$dir/socat.err"
  else
    # socat binds its own client path (the daemon replies to the sender's address).
    socat -b 131072 -t1 - "UNIX-SENDTO:$dir/sock,bind=$dir/client$n.sock" <"$2" >"$dir/reply" 2>"$dir/socat.err"
  fi
  [ -s "$dir/socat.err" ] && fail "$what: socat said: $(cat "$dir/socat.err")"
  rm -f "$dir/client$n.sock"
  out=$(cat "$dir/reply")
}
# ask <udp|unix> <printf format> [args]: send the printf output.
ask() {
  via=$1
  shift
  # shellcheck disable=SC2059
  printf "$@" >"$dir/request"
  send "$via" "$dir/request"
}
expect_reply() {  # the exact reply bytes, as a printf format
  # shellcheck disable=SC2059
  printf "$1" >"$dir/expected"
  cmp -s "$dir/expected" "$dir/reply" ||
    fail "$what: reply was '$(od -c "$dir/reply" | head -20)', expected '$(od -c "$dir/expected" | head -20)'"
}
expect_line() {  # a reply line matching the basic regex $1
  printf '%s\n' "$out" | grep -q -- "$1" || fail "$what: no reply line matches '$1'; reply: $out"
}

for via in udp unix; do
  # --- text dialect -------------------------------------------------------------------------
  ask $via ':uptime:\n'
  expect_line '^200 OK$'
  expect_line '^Now:: '
  expect_line '^Up time:: [0-9]* \[sec\]$'
  tail -c 2 "$dir/reply" | od -c | grep -q '\\n  *\\n' || fail "$what: reply does not end with an empty line"

  ask $via ':UpTime:\n'
  expect_line '^Up since:: '

  ask $via ':core:print:\nhello socat\n'
  expect_reply '200 OK\nhello socat\n\n'

  ask $via ':print:ignored_reply_name\nx\n'
  expect_reply '200 OK\nx\n\n'

  ask $via ':nosuch:\n'
  expect_reply "500 command 'nosuch' not available\n"

  ask $via ':print:\n'
  expect_reply '400 Too few or too many arguments\n\n'

  ask $via 'this is not a request\n'
  expect_reply '400 Parse error in command\n'

  # --- JSON-RPC -----------------------------------------------------------------------------
  ask $via '{"jsonrpc":"2.0","method":"uptime","id":1}'
  case $out in
    '{"jsonrpc":"2.0","result":{"Now":'*'"id":1}') ;;
    *) fail "$what: reply was '$out'" ;;
  esac

  ask $via '{"jsonrpc":"2.0","method":"print","params":{"text":"js"},"id":"a"}'
  expect_reply '{"jsonrpc":"2.0","result":"js","id":"a"}'

  ask $via '{"jsonrpc":"2.0","method":"nosuch","id":2}'
  case $out in
    *'"code":-32601'*'"id":2}') ;;
    *) fail "$what: reply was '$out'" ;;
  esac

  ask $via '[{"jsonrpc":"2.0","method":"print","params":["b1"],"id":1},{"jsonrpc":"2.0","method":"print","params":["b2"],"id":2}]'
  case $out in
    '[{'*'"result":"b1"'*'"result":"b2"'*'}]' | '[{'*'"result":"b2"'*'"result":"b1"'*'}]') ;;
    *) fail "$what: batch reply was '$out'" ;;
  esac

  # --- limits: never silence ----------------------------------------------------------------
  # `mi:` (every per-command series too) is far over the datagram reply limit.
  ask $via ':get_statistics:\nmi:\n'
  expect_line "^413 Reply too large ([0-9]* > $MAX bytes): use the FIFO or HTTP\$"

  ask $via '{"jsonrpc":"2.0","method":"get_statistics","params":[["mi:"]],"id":5}'
  case $out in
    '{"jsonrpc":"2.0","error":{"code":413,"message":"Reply too large ('*" > $MAX bytes): use the FIFO or HTTP\"},\"id\":5}") ;;
    *) fail "$what: reply was '$out'" ;;
  esac

  { printf ':print:\n'; head -c 2000 /dev/zero | tr '\0' 'a'; printf '\n'; } >"$dir/big"
  send $via "$dir/big"
  expect_reply "400 Request too large (2009 > $MAX bytes)\n"

  ask $via ':print:\nstill answering\n'
  expect_reply '200 OK\nstill answering\n\n'
done

# --- the socket file ------------------------------------------------------------------------
mode=$(stat -c %a "$dir/sock")
[ "$mode" = 660 ] || fail "the unix socket has mode $mode, expected 660"
leftover=$(cd "$dir" && ls -d client*.sock 2>/dev/null)
[ -z "$leftover" ] || fail "client sockets left behind: $leftover"

sb_stop_daemon
[ "$daemon_status" -eq 0 ] && [ -e "$dir/sock" ] && fail "switchboard left its socket $dir/sock after SIGTERM"

if [ "$failures" -ne 0 ]; then
  echo "datagram_socat_test: $failures check(s) failed; daemon output:" >&2
  cat "$dir/daemon.log" >&2
  exit 1
fi
echo "datagram_socat_test: all checks passed"
