#!/bin/sh
# setup.sh: install what Switchboard needs to build and test on Debian 12 (bookworm), as root.
# Idempotent: packages already installed are skipped; nothing is vendored.
# Usage: scripts/setup.sh            (runs apt-get update, then installs the missing packages)
set -eu

PACKAGES="cmake ninja-build pkg-config g++ make dpkg-dev help2man
  libmicrohttpd-dev libgnutls28-dev libxmlrpc-c++8-dev libxmlrpc-core-c3-dev nlohmann-json3-dev
  libboost-dev libsofia-sip-ua-dev libsqlite3-dev sqlite3 libgtest-dev libgmock-dev
  libcli11-dev libspdlog-dev libfmt-dev libinih-dev libssl-dev libsystemd-dev libavahi-client-dev
  socat telnet python3 python3-jsonschema python3-websockets openssl curl nodejs
  sofia-sip-bin baresip-core kamailio chromium avahi-daemon avahi-utils dbus-daemon zsh"

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

# valijson (JSON Schema validation of command replies) is header-only; Debian's libvalijson-dev
# depends on every JSON library it has an adapter for (Qt 5, Poco, …: ~70 packages), of which we
# use one (nlohmann). So its .deb is downloaded from the Debian archive and unpacked into
# build-deps/ (not committed, not installed system-wide); CMake looks there and in /usr/include.
top=$(cd "$(dirname "$0")/.." && pwd)
fetch_valijson() {
  [ -f /usr/include/valijson/validator.hpp ] && return 0
  [ -f "$top/build-deps/valijson/usr/include/valijson/validator.hpp" ] && return 0
  tmp=$(mktemp -d)
  chmod 755 "$tmp"  # apt-get download runs as _apt when it can
  # Without package lists (a fresh image where everything else was preinstalled) the download
  # fails: refresh them once (root) and retry.
  if ! (cd "$tmp" && apt-get download -q libvalijson-dev >/dev/null 2>&1); then
    [ "$(id -u)" -eq 0 ] && apt-get update -q >/dev/null 2>&1
    (cd "$tmp" && apt-get download -q libvalijson-dev) || {
      echo "setup: could not download libvalijson-dev from the Debian archive" >&2
      rm -rf "$tmp"
      exit 1
    }
  fi
  mkdir -p "$top/build-deps/valijson"
  dpkg -x "$tmp"/libvalijson-dev_*.deb "$top/build-deps/valijson"
  rm -rf "$tmp"
  echo "setup: valijson headers unpacked into build-deps/valijson"
}

# web/: the web panel's libraries and bundler (Preact, wouter, uPlot, esbuild), the REST reference
# page (Redoc), the OpenAPI linter and the browser-test tools (playwright-core, axe-core), pinned by
# web/package-lock.json and installed with `npm ci` (no install scripts run); refreshed when the
# lock file changes. Then the panel is bundled into web/dist (about a second), which the daemon
# serves at /.
npm_packages() {
  if ! command -v npm >/dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] || { echo "setup: npm is missing: run as root" >&2; exit 1; }
    apt-get install -y -q --no-install-recommends npm  # Debian's nodejs comes without npm
  fi
  stamp="$top/web/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$top/web/package-lock.json" -nt "$stamp" ]; then
    echo "setup: npm ci in web/"
    (cd "$top/web" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
  fi
  echo "setup: building the web panel (web/panel -> web/dist)"
  (cd "$top/web" && npm run build --silent)
}

if [ -z "$missing" ]; then
  echo "setup: all build and test dependencies are installed"
  fetch_valijson
  npm_packages
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages:$missing" >&2
  echo "setup: run as root (or install them with apt-get) and retry" >&2
  exit 1
fi

echo "setup: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
fetch_valijson
npm_packages
