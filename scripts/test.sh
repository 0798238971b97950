#!/bin/sh
# test.sh: set up (apt), build, and run the whole test suite (ctest: in-process unit tests,
# loopback tests against the real daemon, shell-client tests, fuzz-target replays), then the
# same suite again built with AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/, its
# libraries as unity builds).
# SB_TEST_SANITIZE=0 skips the sanitizer pass. Exit status: 0 when every pass succeeded.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"

status=0
run_suite() {  # run_suite <label> <build dir> [cmake options...]
  label=$1 dir=$2
  shift 2
  t0=$(date +%s)
  SB_BUILD_DIR=$dir "$top/scripts/build.sh" "$@"
  t1=$(date +%s)
  (cd "$dir" && ctest --output-on-failure -j2) || status=1
  echo "test.sh: $label: build $((t1 - t0)) s, tests $(( $(date +%s) - t1 )) s"
}

run_suite "release" "$top/build"
if [ "${SB_TEST_SANITIZE:-1}" != 0 ]; then
  # The libraries as unity builds (8 sources per compilation; the test programs are not): the
  # sanitizer build is the longest step of CI, and this shares its headers' template work.
  run_suite "asan+ubsan" "$top/build-asan" -DSB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=8
fi
[ $status -eq 0 ] && echo "test.sh: all tests passed" || echo "test.sh: FAILURES (see above)" >&2
exit $status
