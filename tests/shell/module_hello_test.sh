#!/bin/sh
# module_hello_test.sh: the README's third-party module, end to end. Extracts hello.c from
# gateway/modules/README.md, compiles it with plain gcc (C99, -pedantic: the ABI is C) against
# mi/module_abi.h only, edits the two [modules] lines of a copy of conf/switchboard.conf, starts
# the daemon on it and calls `hello` with sbctl over the FIFO, UDP and HTTP.
# Run by ctest with SB_BIN_DIR and SB_SOURCE_DIR set. POSIX sh.
set -u
. "$SB_SOURCE_DIR/tests/shell/lib.sh"
sb_init module_hello_test

# --- hello.c, exactly as documented ---------------------------------------------------------
awk '/<!-- hello.c/ { want = 1; next }
     want && /^```c$/ { inside = 1; next }
     inside && /^```$/ { exit }
     inside { print }' "$SB_SOURCE_DIR/gateway/modules/README.md" >"$dir/hello.c"
grep -q 'SB_MODULE_EXPORTS' "$dir/hello.c" || { fail "no hello.c block in gateway/modules/README.md"; sb_finish; }
command -v gcc >/dev/null || { fail "gcc is not installed"; sb_finish; }
mkdir "$dir/modules"
gcc -std=c99 -Wall -Wextra -pedantic -Werror -shared -fPIC -I"$SB_SOURCE_DIR/mi" \
  -o "$dir/modules/hello.so" "$dir/hello.c" 2>"$dir/gcc.err" ||
  { fail "gcc could not build hello.c: $(cat "$dir/gcc.err")"; sb_finish; }

# --- two config lines -----------------------------------------------------------------------
sed -e "s|^path =\$|path = $dir/modules|" -e 's|^load =$|load = hello.so|' \
  "$SB_SOURCE_DIR/conf/switchboard.conf" >"$dir/switchboard.conf"
changed=$(diff "$SB_SOURCE_DIR/conf/switchboard.conf" "$dir/switchboard.conf" | grep -c '^>')
[ "$changed" -eq 2 ] || fail "expected to change 2 config lines, changed $changed"

SB_CONF="$dir/switchboard.conf" sb_start_daemon --set "datagram.udp=127.0.0.1:0" \
  --set "http.listen=127.0.0.1:0"
udp_port=$(sb_port udp)
http_port=$(sb_port http)
export SB_FIFO="$dir/fifo" SB_REPLY_DIR="$dir" SB_UDP="127.0.0.1:$udp_port" \
  SB_URL="http://127.0.0.1:$http_port/mi"

# expect <output> <sbctl args...>: exit 0 and exactly that output.
expect() {
  want=$1
  shift
  got=$("$SBCTL" "$@" 2>"$dir/err")
  rc=$?
  [ "$rc" -eq 0 ] || fail "sbctl $*: exit $rc: $(cat "$dir/err")"
  [ "$got" = "$want" ] || fail "sbctl $*: printed '$got', expected '$want'"
}
expect "Hello, world!" hello
expect "Hello, Ann!" hello Ann
expect "Hello, Bob!" hello:hello Bob
expect "Hello, UDP!" -t udp hello UDP
expect "Hello, HTTP!" -t http hello HTTP
"$SBCTL" which >"$dir/which" 2>&1 && grep -qx 'hello:hello' "$dir/which" ||
  fail "which does not list hello:hello: $(cat "$dir/which")"
"$SBCTL" help hello >"$dir/help" 2>&1 && grep -qx 'Exported by:: hello' "$dir/help" ||
  fail "help hello does not name the module: $(cat "$dir/help")"
"$SBCTL" module_list >"$dir/list" 2>&1 && grep -q "file:: $dir/modules/hello.so" "$dir/list" ||
  fail "module_list does not show hello.so: $(cat "$dir/list")"
"$SBCTL" hello a b >/dev/null 2>"$dir/err" && fail "hello a b: expected exit 1"
grep -q '^400 Too few or too many arguments' "$dir/err" || fail "hello a b: stderr '$(cat "$dir/err")'"

sb_stop_daemon
sb_finish
