# lib.sh: shared pieces of the shell tests (source it; it is not a test itself).
#   . "$SB_SOURCE_DIR/tests/shell/lib.sh"
#   sb_init <test name>            temp dir $dir (removed on exit), failure counter, traps
#   fail <message>                 counts a failed check and prints it
#   free_port tcp|udp              a free loopback port
#   sb_start_daemon [--set k=v]... starts the real daemon (FIFO in $dir, datagram, HTTP and
#                                  the monitor off, their unauthenticated roles admin: the
#                                  test is the operator; tests/security checks the defaults)
#                                  unless the arguments turn them on), waits until every
#                                  transport is up; $daemon_pid, log in $dir/daemon.log;
#                                  reads $SB_CONF when set, else conf/switchboard.conf
#   sb_finish                      prints the summary and exits 0, or 1 when a check failed
# Run by ctest with SB_BIN_DIR=<build>/bin and SB_SOURCE_DIR=<repository>. POSIX sh.

: "${SB_BIN_DIR:?set SB_BIN_DIR to the bin directory of the build}"
: "${SB_SOURCE_DIR:?set SB_SOURCE_DIR to the repository}"
SB="$SB_BIN_DIR/switchboard"
SBCTL="$SB_BIN_DIR/sbctl"
[ -x "$SB" ] || { echo "FAIL: $SB is not built" >&2; exit 1; }

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

sb_cleanup() {
  if [ -n "${daemon_pid:-}" ]; then
    kill "$daemon_pid" 2>/dev/null
    wait "$daemon_pid" 2>/dev/null
  fi
  rm -rf "$dir"
}

sb_init() {
  test_name=$1
  dir=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || { echo "FAIL: mktemp -d" >&2; exit 1; }
  daemon_pid=
  trap sb_cleanup EXIT
  trap 'exit 1' INT TERM HUP PIPE
}

# free_port udp|tcp: a port free now, for external programs (kamailio) that cannot bind port 0
# and report it; the daemon's own listeners use port 0 (sb_sip_port).
free_port() {
  python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if sys.argv[1] == "tcp" else socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1" || { echo "FAIL: no free $1 port" >&2; exit 1; }
}

sb_start_daemon() {
  # core.log_level=info comes last: readiness is the " started; " line, logged once every
  # transport is up.
  "$SB" -c "${SB_CONF:-$SB_SOURCE_DIR/conf/switchboard.conf}" --foreground \
    --set "fifo.path=$dir/fifo" --set "fifo.reply_dir=$dir" \
    --set datagram.unix= --set datagram.udp= --set http.listen= --set monitor.listen= \
    --set sip.listen= \
    --set "core.db=$dir/switchboard.db" \
    --set datagram.udp_role=admin --set http.anonymous_role=admin \
    --set monitor.anonymous_role=admin "$@" \
    --set core.validate_replies=on --set core.log_level=info >"$dir/daemon.log" 2>&1 &
  daemon_pid=$!
  tries=0
  until grep -q ' started; ' "$dir/daemon.log" 2>/dev/null; do
    if ! kill -0 "$daemon_pid" 2>/dev/null; then
      wait "$daemon_pid"
      echo "FAIL: switchboard exited (status $?) at start; its output:" >&2
      cat "$dir/daemon.log" >&2
      daemon_pid=
      exit 1
    fi
    tries=$((tries + 1))
    if [ "$tries" -gt 200 ]; then
      echo "FAIL: switchboard did not start within 10 s; its output:" >&2
      cat "$dir/daemon.log" >&2
      exit 1
    fi
    sleep 0.05
  done
}

# sb_sip_port <n>: the port the daemon bound for the n-th listener of sip.listen (1-based), read
# from its start-up line ("started; SIP: udp:127.0.0.1:47263, tcp:127.0.0.1:34843; FIFO: …"):
# listeners given as port 0 get a port no other process can take between choosing and binding.
sb_sip_port() {
  sed -n 's/.* started; SIP: \([^;]*\);.*/\1/p' "$dir/daemon.log" | head -n 1 | tr ',' '\n' |
    sed -n "${1}p" | sed 's/.*://; s/[^0-9]//g'
}

# sb_port http|monitor|udp: the port the daemon bound for that listener (port 0 in the config),
# from its start-up log ("HTTP: port 35313", "monitor: port 45917", "udp 127.0.0.1:0 (port N)").
sb_port() {
  case $1 in
    http) sed -n 's/.* started; .*; HTTP: port \([0-9]*\).*/\1/p' "$dir/daemon.log" | head -n 1 ;;
    monitor) sed -n 's/.* started; .*; monitor: port \([0-9]*\).*/\1/p' "$dir/daemon.log" | head -n 1 ;;
    udp) sed -n 's/.*datagram: listening on .*udp [^;]*(port \([0-9]*\)).*/\1/p' "$dir/daemon.log" | head -n 1 ;;
  esac
}

sb_finish() {
  # core.validate_replies is on: a reply that broke its command's reply schema was logged.
  if [ -f "$dir/daemon.log" ] && grep -q 'does not match its reply schema' "$dir/daemon.log"; then
    fail "the daemon sent replies that do not match their reply schemas:"
    grep 'does not match its reply schema' "$dir/daemon.log" >&2
  fi
  if [ "$failures" -ne 0 ]; then
    echo "$test_name: $failures check(s) failed" >&2
    exit 1
  fi
  echo "$test_name: all checks passed"
  exit 0
}

# sb_stop_daemon: SIGTERM, then waits (10 s at most); a daemon still running, or a non-zero exit
# status, is a failed check. Sets $daemon_status.
sb_stop_daemon() {
  kill -TERM "$daemon_pid"
  tries=0
  while kill -0 "$daemon_pid" 2>/dev/null && [ "$tries" -lt 100 ]; do
    tries=$((tries + 1))
    sleep 0.1
  done
  if kill -0 "$daemon_pid" 2>/dev/null; then
    fail "switchboard still runs 10 s after SIGTERM"
    daemon_status=-1
    return
  fi
  wait "$daemon_pid"
  daemon_status=$?
  daemon_pid=
  [ "$daemon_status" -eq 0 ] || fail "switchboard exited with status $daemon_status after SIGTERM, expected 0"
}

# baresip_modules: prints baresip's module directory (the Debian path, or wherever the
# baresip-core package put account.so); exits the test with FAIL when baresip or its modules are
# missing. Usage: modules=$(baresip_modules) || exit 1
baresip_modules() {
  command -v baresip >/dev/null 2>&1 || { echo "FAIL: baresip (baresip-core) is not installed" >&2; return 1; }
  for d in /usr/lib/baresip/modules /usr/lib/x86_64-linux-gnu/baresip/modules /usr/local/lib/baresip/modules; do
    [ -f "$d/account.so" ] && { echo "$d"; return 0; }
  done
  if command -v dpkg >/dev/null 2>&1; then
    d=$(dpkg -L baresip-core 2>/dev/null | sed -n 's|/account\.so$||p' | head -1)
    [ -n "$d" ] && { echo "$d"; return 0; }
  fi
  echo "FAIL: cannot find baresip's account.so module" >&2
  return 1
}

# dump <label> <file>: shows a log on stderr (after failures).
dump() {
  echo "--- $1 ---" >&2
  cat "$2" >&2 2>/dev/null
}

# port_bound <udp|tcp> <port>: true when something has bound 127.0.0.1:<port>.
port_bound() {
  python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if sys.argv[1] == "tcp" else socket.SOCK_DGRAM)
try:
    s.bind(("127.0.0.1", int(sys.argv[2])))
except OSError:
    sys.exit(0)
sys.exit(1)' "$1" "$2"
}

# kamailio_modules <module.so>...: prints Kamailio's module directory holding every named
# module; FAIL (return 1) when there is none. Usage: kmods=$(kamailio_modules sl.so) || exit 1
kamailio_modules() {
  for d in /usr/lib/x86_64-linux-gnu/kamailio/modules /usr/lib/kamailio/modules /usr/local/lib64/kamailio/modules \
           /usr/local/lib/kamailio/modules; do
    _km_ok=1
    for m in "$@"; do [ -f "$d/$m" ] || _km_ok=0; done
    [ "$_km_ok" = 1 ] && { echo "$d"; return 0; }
  done
  echo "FAIL: cannot find Kamailio's $* module(s)" >&2
  return 1
}

# read_stat <group:name> <var>: sets <var> to the statistic's value, read with the test's own
# `ctl` function (sbctl on its daemon); 0, and a failed check, when it cannot be read.
read_stat() {
  v=$(ctl get_statistics "$1" 2>"$dir/sbctl.err" | sed -n "s/^$1:: //p")
  case $v in
    '' | *[!0-9]*) fail "cannot read $1: '$v' $(cat "$dir/sbctl.err")"; v=0 ;;
  esac
  eval "$2=\$v"
}
