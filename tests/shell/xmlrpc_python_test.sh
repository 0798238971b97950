#!/bin/sh
# xmlrpc_python_test.sh: POST /RPC2 of the real daemon against Python's xmlrpc.client.ServerProxy
# (tests/shell/xmlrpc_client.py, standard library only): plain calls, named params, coercion,
# introspection, faults, system.multicall, raw <i8> and malformed requests.
# Run by ctest with SB_BIN_DIR=<build>/bin and SB_SOURCE_DIR=<repository>. POSIX sh.
set -u

: "${SB_BIN_DIR:?set SB_BIN_DIR to the bin directory of the build}"
: "${SB_SOURCE_DIR:?set SB_SOURCE_DIR to the repository}"
[ -x "$SB_BIN_DIR/switchboard" ] || { echo "FAIL: $SB_BIN_DIR/switchboard is not built" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "FAIL: python3 is not installed" >&2; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/xmlrpc_test.XXXXXX") || { echo "FAIL: mktemp -d" >&2; exit 1; }
daemon_pid=
cleanup() {
  if [ -n "$daemon_pid" ]; then
    kill "$daemon_pid" 2>/dev/null
    wait "$daemon_pid" 2>/dev/null
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

# A free loopback port (a small race with other tests is possible; the daemon then fails to
# start and the log says so).
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') ||
  { echo "FAIL: could not pick a free port" >&2; exit 1; }

# The datagram endpoints are not under test; the FIFO lives in our temporary directory.
"$SB_BIN_DIR/switchboard" -c "$SB_SOURCE_DIR/conf/switchboard.conf" --foreground \
  --set "http.listen=127.0.0.1:$port" --set datagram.unix= --set datagram.udp= \
  --set "fifo.path=$dir/fifo" --set "fifo.reply_dir=$dir" --set core.log_level=warn \
  >"$dir/daemon.log" 2>&1 &
daemon_pid=$!

# Wait (at most 10 s) until the port accepts connections.
tries=0
until python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.5).close()' "$port" 2>/dev/null; do
  if ! kill -0 "$daemon_pid" 2>/dev/null; then
    wait "$daemon_pid"
    echo "FAIL: switchboard exited (status $?) before listening on 127.0.0.1:$port; its output:" >&2
    cat "$dir/daemon.log" >&2
    daemon_pid=
    exit 1
  fi
  tries=$((tries + 1))
  if [ "$tries" -gt 100 ]; then
    echo "FAIL: switchboard did not listen on 127.0.0.1:$port within 10 s; its output:" >&2
    cat "$dir/daemon.log" >&2
    exit 1
  fi
  sleep 0.1
done

failures=0
python3 "$SB_SOURCE_DIR/tests/shell/xmlrpc_client.py" "http://127.0.0.1:$port/RPC2" || failures=1

kill -TERM "$daemon_pid"
tries=0
while kill -0 "$daemon_pid" 2>/dev/null && [ "$tries" -lt 100 ]; do
  tries=$((tries + 1))
  sleep 0.1
done
if kill -0 "$daemon_pid" 2>/dev/null; then
  echo "FAIL: switchboard still runs 10 s after SIGTERM" >&2
  failures=1
else
  wait "$daemon_pid"
  status=$?
  daemon_pid=
  [ "$status" -eq 0 ] || { echo "FAIL: switchboard exited with status $status after SIGTERM" >&2; failures=1; }
fi

if [ "$failures" -ne 0 ]; then
  echo "xmlrpc_python_test: failed; daemon output:" >&2
  cat "$dir/daemon.log" >&2
  exit 1
fi
echo "xmlrpc_python_test: all checks passed"
