#!/bin/sh
# setup.sh: install what Switchboard needs to build and test on Debian 12 (bookworm), as root.
# Idempotent: packages already installed are skipped; nothing is vendored.
# Usage: scripts/setup.sh            (runs apt-get update, then installs the missing packages)
set -eu

PACKAGES="cmake ninja-build pkg-config g++ make
  libmicrohttpd-dev libgnutls28-dev libxmlrpc-c++8-dev libxmlrpc-core-c3-dev nlohmann-json3-dev
  libboost-dev libsofia-sip-ua-dev libsqlite3-dev sqlite3 libgtest-dev libgmock-dev
  libcli11-dev libspdlog-dev libfmt-dev libinih-dev
  socat telnet python3
  sofia-sip-bin baresip-core kamailio"

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  echo "setup: all build and test dependencies are installed"
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
