#!/bin/sh
# xmlrpc_python_test.sh: POST /RPC2 of the real daemon against Python's xmlrpc.client.ServerProxy
# (tests/shell/xmlrpc_client.py, standard library only): plain calls, named params, coercion,
# introspection, faults, system.multicall, raw <i8> and malformed requests.
# Run by ctest with SB_BIN_DIR=<build>/bin and SB_SOURCE_DIR=<repository>. POSIX sh.
set -u

. "$SB_SOURCE_DIR/tests/shell/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "FAIL: python3 is not installed" >&2; exit 1; }
sb_init xmlrpc_test
sb_start_daemon --set "http.listen=127.0.0.1:0"
port=$(sb_port http)

python3 "$SB_SOURCE_DIR/tests/shell/xmlrpc_client.py" "http://127.0.0.1:$port/RPC2" || 
sb_stop_daemon

if [ "$failures" -ne 0 ]; then
  echo "xmlrpc_python_test: failed; daemon output:" >&2
  cat "$dir/daemon.log" >&2
  exit 1
fi
echo "xmlrpc_python_test: all checks passed"
