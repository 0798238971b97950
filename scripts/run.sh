#!/bin/sh
# run.sh: set up (apt, npm), build what it runs — the daemon, sbctl and the example module, not
# the tests — and run the daemon in the foreground with conf/switchboard.conf, saying at each
# step what it does. Extra arguments go to the daemon, e.g. scripts/run.sh --set core.log_level=debug
# (scripts/test.sh builds everything and runs the test suite.)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
step() { printf '\nrun.sh: [%s/3] %s\n' "$1" "$2"; }

step 1 "packages: installing what is missing (apt, npm) and bundling the web panel (scripts/setup.sh)"
"$top/scripts/setup.sh"

step 2 "building switchboard, sbctl and the example module into build/ (CMake + Ninja; the first build takes a few minutes on 2 cores)"
t0=$(date +%s)
SB_BUILD_TARGETS="switchboard sbctl example" "$top/scripts/build.sh"
build=${SB_BUILD_DIR:-$top/build}
echo "run.sh: built in $(( $(date +%s) - t0 )) s: build/bin/switchboard, build/bin/sbctl"

step 3 "starting the daemon in the foreground with conf/switchboard.conf (Ctrl-C stops it)"
cat <<MSG
  It listens on 127.0.0.1 only (conf/switchboard.conf; the log lines below name each endpoint):
    web panel and REST API   http://127.0.0.1:8888/   (log in with the token in var/admin-token,
                                                        created on the first start, mode 0600)
    JSON-RPC / XML-RPC       http://127.0.0.1:8888/mi  and  /RPC2
    management FIFO          var/run/switchboard_fifo   (try: scripts/sbctl uptime)
    SIP                      udp:127.0.0.1:5060
    status monitor           telnet 127.0.0.1 54322
  Data (bindings, subscribers, CDRs) goes to var/switchboard.db.
MSG
cd "$top"
exec "$build/bin/switchboard" -c "$top/conf/switchboard.conf" --foreground "$@"
