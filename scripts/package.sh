#!/bin/sh
# package.sh: the Debian package. Sets up (scripts/setup.sh), builds what it installs (the daemon,
# sbctl, the example module, the installed configuration) in build/ (or $SB_BUILD_DIR), then
# `cpack -G DEB` into $SB_PACKAGE_DIR (default build/package) and prints the .deb's path.
# Install it with `apt install ./switchboard_*.deb`, then `systemctl enable --now switchboard`.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${SB_BUILD_DIR:-$top/build}
out=${SB_PACKAGE_DIR:-$build/package}
"$top/scripts/setup.sh"
SB_BUILD_TARGETS="switchboard sbctl example installed_conf man_pages" "$top/scripts/build.sh"
mkdir -p "$out"
(cd "$build" && cpack -G DEB -B "$out" >"$out/cpack.log" 2>&1) || { cat "$out/cpack.log" >&2; exit 1; }
ls "$out"/switchboard_*.deb
