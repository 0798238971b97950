#!/bin/sh
# gen-conf.sh: regenerate conf/switchboard.conf from the components' key declarations (the
# KeySpec tables next to each component's code). A unit test fails while the committed file
# differs, so run this after adding or documenting a key, and commit the result.
set -eu
top="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$top/build}"
ninja -C "$build" switchboard >/dev/null
"$build/bin/switchboard" --print-config > "$top/conf/switchboard.conf.new"
mv "$top/conf/switchboard.conf.new" "$top/conf/switchboard.conf"
echo "gen-conf: wrote conf/switchboard.conf"
