#!/bin/sh
# fuzz.sh: coverage-guided fuzzing of every decoder with libFuzzer (clang + ASan/UBSan).
# Usage: scripts/fuzz.sh [seconds per target, default 60] [target...]
# Targets: text_request jsonrpc fifo_framer binding xmlrpc (tests/fuzz/fuzz_<target>.cpp).
# New inputs are written to build-fuzz/corpus/<target>; crashes to build-fuzz/crash-*.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-"text_request jsonrpc fifo_framer binding xmlrpc"}
"$top/scripts/setup.sh"
for p in clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$p"
done
build=$top/build-fuzz
CC=clang CXX=clang++ cmake -S "$top" -B "$build" -G Ninja -DSB_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
for t in $targets; do
  ninja -C "$build" "fuzz_$t"
  mkdir -p "$build/corpus/$t"
  echo "fuzz.sh: $t for $secs s"
  (cd "$build" && "./bin/fuzz_$t" -max_total_time="$secs" -max_len=8192 \
     "corpus/$t" "$top/tests/fuzz/corpus/$t")
done
