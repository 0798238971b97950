#!/bin/sh
# datagram_socat_recipe_test.sh: the socat recipe of README.md and transports/datagram/README.md
# as written (printf piped into socat -b65535 -t1, issue #17): a 20 000-byte request goes out
# as one datagram and its 20 000-byte echo comes back whole over the unix socket and UDP;
# without -b65535 socat's 8 KiB pieces would split it (shown, so the recipe's flag is needed).
# Run by ctest with SB_BIN_DIR and SB_SOURCE_DIR set. POSIX sh.
set -u
. "$SB_SOURCE_DIR/tests/shell/lib.sh"
command -v socat >/dev/null 2>&1 || { echo "FAIL: socat is not installed" >&2; exit 1; }
sb_init datagram_socat_recipe_test
sb_start_daemon --set "datagram.unix=$dir/switchboard.sock" --set "datagram.udp=127.0.0.1:0"
port=$(sb_port udp)
text=$(head -c 20000 /dev/zero | tr '\0' 'x')

printf ':print:\n%s\n' "$text" | socat -b65535 -t1 - "UNIX-SENDTO:$dir/switchboard.sock,bind=$dir/c1.sock" >"$dir/unix.out"
[ "$(sed -n 1p "$dir/unix.out")" = "200 OK" ] || fail "unix: $(head -c 200 "$dir/unix.out")"
[ "$(sed -n 2p "$dir/unix.out" | wc -c)" -eq 20001 ] || fail "unix: the echo is $(sed -n 2p "$dir/unix.out" | wc -c) bytes, not 20000 + newline"
printf ':print:\n%s\n' "$text" | socat -b65535 -t1 - "UDP:127.0.0.1:$port" >"$dir/udp.out"
[ "$(sed -n 1p "$dir/udp.out")" = "200 OK" ] || fail "udp: $(head -c 200 "$dir/udp.out")"
[ "$(sed -n 2p "$dir/udp.out" | wc -c)" -eq 20001 ] || fail "udp: the echo is $(sed -n 2p "$dir/udp.out" | wc -c) bytes"

# Without -b65535 the request leaves in 8 KiB datagrams: no reply carries the whole text.
printf ':print:\n%s\n' "$text" | socat -t1 - "UDP:127.0.0.1:$port" >"$dir/split.out" 2>/dev/null
grep -q "^$text\$" "$dir/split.out" && fail "without -b65535 the 20 000 bytes still came back whole: the recipe's flag is not what makes it work"
rm -f "$dir/c1.sock"
sb_finish
