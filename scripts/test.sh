#!/bin/sh
# test.sh: set up (apt), build, and run the whole test suite (ctest: in-process unit tests,
# loopback tests against the real daemon, shell-client tests). Exit status is ctest's.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
start=$(date +%s)
"$top/scripts/build.sh"
built=$(date +%s)
cd "$top/build"
status=0
ctest --output-on-failure -j2 || status=$?
echo "test.sh: build $((built - start)) s, tests $(( $(date +%s) - built )) s"
exit $status
