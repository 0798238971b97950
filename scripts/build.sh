#!/bin/sh
# build.sh: configure and build Switchboard with CMake + Ninja into ./build (or $SB_BUILD_DIR).
# Usage: scripts/build.sh [extra cmake -D options]
# Env: SB_BUILD_TARGETS (space separated, e.g. "switchboard sbctl"; default: everything,
# tests and fuzz targets included).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${SB_BUILD_DIR:-$top/build}
cmake -S "$top" -B "$build" -G Ninja "$@" >"$build.configure.log" 2>&1 || {
  cat "$build.configure.log" >&2
  exit 1
}
# shellcheck disable=SC2086  # the targets are words
ninja -C "$build" ${SB_BUILD_TARGETS:-}
