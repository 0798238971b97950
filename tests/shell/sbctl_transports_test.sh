#!/bin/sh
# sbctl_transports_test.sh: sbctl prints the same stdout and stderr and exits with the same
# status over every transport (fifo, dgram, udp, http), in the text and JSON dialects; HTTP
# credentials are sent and a missing one is reported.
# Run by ctest with SB_BIN_DIR and SB_SOURCE_DIR set.
set -u
. "$SB_SOURCE_DIR/tests/shell/lib.sh"
sb_init sbctl_transports_test
sb_start_daemon --set "datagram.unix=$dir/sock" --set "datagram.udp=127.0.0.1:0" \
  --set "http.listen=127.0.0.1:0" --set "http.basic_auth=ops:s3cret:admin"
udp_port=$(sb_port udp)
http_port=$(sb_port http)

export SB_FIFO="$dir/fifo" SB_REPLY_DIR="$dir" SB_SOCKET="$dir/sock" \
  SB_UDP="127.0.0.1:$udp_port" SB_URL="http://127.0.0.1:$http_port/mi" SB_USER="ops:s3cret"

# same <label> <sbctl args...>: runs sbctl over each transport; all must match the FIFO's run.
same() {
  label=$1
  shift
  for t in fifo dgram udp http; do
    "$SBCTL" -t "$t" "$@" >"$dir/out.$t" 2>"$dir/err.$t"
    echo $? >"$dir/rc.$t"
  done
  for t in dgram udp http; do
    for f in out err rc; do
      cmp -s "$dir/$f.fifo" "$dir/$f.$t" ||
        fail "$label: $f over $t differs from fifo: '$(cat "$dir/$f.$t")' vs '$(cat "$dir/$f.fifo")'"
    done
  done
  echo "$(cat "$dir/rc.fifo")"
}

[ "$(same print print 'hello world')" = 0 ] || fail "print: expected exit 0"
grep -qx 'hello world' "$dir/out.fifo" || fail "print: output '$(cat "$dir/out.fifo")'"
[ "$(same which which log_level)" = 0 ] || fail "which log_level: expected exit 0"
[ "$(same help help print)" = 0 ] || fail "help print: expected exit 0"
grep -q 'Exported by:: core' "$dir/out.http" || fail "help print over http: '$(cat "$dir/out.http")'"
[ "$(same unknown nosuch)" = 1 ] || fail "nosuch: expected exit 1"
grep -qx "500 command 'nosuch' not available" "$dir/err.http" || fail "nosuch over http: '$(cat "$dir/err.http")'"
[ "$(same arity print a b)" = 1 ] || fail "arity: expected exit 1"
grep -qx "400 Too few or too many arguments" "$dir/err.udp" || fail "arity over udp: '$(cat "$dir/err.udp")'"
[ "$(same badtype log_level info abc)" = 1 ] || fail "bad type: expected exit 1"
grep -qx "400 Bad parameter 'pid': expected an integer, got 'abc'" "$dir/err.dgram" ||
  fail "bad type over dgram: '$(cat "$dir/err.dgram")'"
[ "$(same handler help nosuch)" = 1 ] || fail "help nosuch: expected exit 1"
[ "$(same json --json print hello)" = 0 ] || fail "--json print: expected exit 0"
grep -qx '"hello"' "$dir/out.fifo" || fail "--json print output '$(cat "$dir/out.fifo")'"
[ "$(same jsonerr --json nosuch)" = 1 ] || fail "--json nosuch: expected exit 1"
grep -q -- '-32601 Method not found' "$dir/err.http" || fail "--json nosuch over http: '$(cat "$dir/err.http")'"

# HTTP credentials: none → 401 reported, exit 1; a wrong one too.
SB_USER= "$SBCTL" -t http uptime >"$dir/out" 2>"$dir/err"
[ $? -eq 1 ] || fail "http without credentials: expected exit 1"
grep -q '401 Unauthorized' "$dir/err" || fail "http without credentials: '$(cat "$dir/err")'"
"$SBCTL" -t http --user ops:wrong uptime >"$dir/out" 2>"$dir/err"
[ $? -eq 1 ] || fail "http with a wrong password: expected exit 1"
"$SBCTL" -t bogus uptime >"$dir/out" 2>"$dir/err"
[ $? -eq 1 ] && grep -q "unknown transport 'bogus'" "$dir/err" || fail "bogus transport: '$(cat "$dir/err")'"
# No client sockets or reply FIFOs left behind.
leftovers=$(find "$dir" -mindepth 1 -name 'sbctl_*' | head -3)
[ -z "$leftovers" ] || fail "left behind: $leftovers"

sb_finish
