#!/bin/sh
# run.sh: set up (apt), build, and run the daemon in the foreground with conf/switchboard.conf.
# Extra arguments go to the daemon, e.g. scripts/run.sh --set core.log_level=debug
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
"$top/scripts/build.sh"
cd "$top"
exec "$top/build/bin/switchboard" -c "$top/conf/switchboard.conf" --foreground "$@"
