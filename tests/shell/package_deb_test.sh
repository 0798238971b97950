#!/bin/sh
# package_deb_test.sh: the Debian package (issue #17) from this build — cpack into a temp dir,
# its files and their modes (dpkg-deb -c), its control data (Depends from the binaries'
# libraries, postinst/postrm, the configuration a conffile), then the package unpacked into a
# directory tree (dpkg -x) and run from there as the unit runs it: the installed configuration
# (system paths redirected into the test's directory with --set), $NOTIFY_SOCKET answered with
# READY=1, the unpacked web panel served, the unpacked example module loaded, and the unpacked
# sbctl talking to it. Run by ctest with SB_BIN_DIR and SB_SOURCE_DIR set. POSIX sh.
set -u
. "$SB_SOURCE_DIR/tests/shell/lib.sh"
sb_init package_deb_test
build=$(cd "$SB_BIN_DIR/.." && pwd)
command -v cpack >/dev/null || { fail "cpack is not installed"; sb_finish; }
command -v dpkg-deb >/dev/null || { fail "dpkg-deb is not installed"; sb_finish; }

(cd "$build" && cpack -G DEB -B "$dir/pkg") >"$dir/cpack.log" 2>&1 || { fail "cpack: $(tail -5 "$dir/cpack.log")"; sb_finish; }
deb=$(ls "$dir"/pkg/switchboard_*_*.deb 2>/dev/null | head -n 1)
[ -f "$deb" ] || { fail "no .deb in $dir/pkg: $(cat "$dir/cpack.log")"; sb_finish; }

# --- files and modes -------------------------------------------------------------------------
dpkg-deb -c "$deb" | awk '{print $1, $2, $6}' >"$dir/contents"
expect_file() {  # expect_file <mode string> <path>
  grep -qx -e "$1 root/root ./$2" "$dir/contents" || fail "expected $1 root/root ./$2 in the package; it has: $(grep "$2" "$dir/contents")"
}
expect_file -rwxr-xr-x usr/bin/switchboard
expect_file -rwxr-xr-x usr/bin/sbctl
expect_file -rw-r----- etc/switchboard/switchboard.conf
expect_file -rw-r--r-- usr/include/switchboard/module_abi.h
expect_file -rw-r--r-- usr/lib/switchboard/modules/example.so
expect_file -rw-r--r-- usr/lib/systemd/system/switchboard.service
expect_file -rw-r--r-- usr/lib/sysusers.d/switchboard.conf
expect_file -rw-r--r-- usr/share/doc/switchboard/examples/modules/example.c
expect_file -rw-r--r-- usr/share/switchboard/web/dist/index.html
expect_file -rw-r--r-- usr/share/man/man8/switchboard.8.gz
expect_file -rw-r--r-- usr/share/man/man8/sbctl.8.gz
expect_file -rw-r--r-- usr/share/man/man5/switchboard.conf.5.gz
expect_file -rw-r--r-- usr/share/bash-completion/completions/sbctl
expect_file -rw-r--r-- usr/share/zsh/vendor-completions/_sbctl
expect_file -rw-r--r-- usr/share/switchboard/commands
if grep -v '^d' "$dir/contents" | grep -Ev '^-rw[-x]r-[-x]r-[-x] |^-rw-r----- root/root ./etc/' >"$dir/odd"; then
  fail "files with unexpected modes: $(cat "$dir/odd")"
fi

# --- control data ----------------------------------------------------------------------------
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libsofia-sip-ua0 libmicrohttpd12 libsqlite3-0 libsystemd0 libavahi-client3 adduser; do
  case $depends in *"$lib"*) ;; *) fail "Depends lacks $lib: $depends" ;; esac
done
[ "$(dpkg-deb -f "$deb" Suggests)" = avahi-daemon ] || fail "Suggests: '$(dpkg-deb -f "$deb" Suggests)', expected avahi-daemon"
dpkg-deb -e "$deb" "$dir/control"
grep -qx /etc/switchboard/switchboard.conf "$dir/control/conffiles" || fail "the configuration is not a conffile"
[ -x "$dir/control/postinst" ] || fail "no executable postinst"
grep -q 'chgrp switchboard /etc/switchboard/switchboard.conf' "$dir/control/postinst" ||
  fail "postinst does not give the configuration to the switchboard group"
grep -q '^Type=notify$' "$SB_SOURCE_DIR/conf/packaging/switchboard.service" || fail "the unit is not Type=notify"

# --- the unpacked tree, run as the unit runs it ----------------------------------------------
root="$dir/root"
dpkg -x "$deb" "$root"
conf="$root/etc/switchboard/switchboard.conf"
grep -qx 'db = /var/lib/switchboard/switchboard.db' "$conf" || fail "the installed config does not keep data in /var/lib/switchboard"
grep -qx 'path = /run/switchboard/switchboard_fifo' "$conf" || fail "the installed config's FIFO is not in /run/switchboard"
MANWIDTH=100 man -l "$root/usr/share/man/man8/sbctl.8.gz" 2>/dev/null | grep -q '^SBCTL(8)' || fail "man sbctl from the package"
"$root/usr/bin/switchboard" --check-config -c "$conf" >"$dir/check" 2>&1 || fail "--check-config on the installed config: $(cat "$dir/check")"

mkdir -p "$dir/state" "$dir/run"
python3 - "$dir/notify" >"$dir/notified" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); s.settimeout(20)
while True:
    m = s.recv(4096).decode()
    print(m.replace("\n", " | "), flush=True)
    if m.startswith("READY=1"):
        break
PY
listener=$!
# Wait (5 s at most) for the listener's socket: the condition, polled with a deadline.
tries=0
until [ -S "$dir/notify" ]; do
  tries=$((tries + 1))
  [ $tries -lt 100 ] || { fail "the notify listener did not bind $dir/notify"; sb_finish; }
  sleep 0.05
done
NOTIFY_SOCKET="$dir/notify" "$root/usr/bin/switchboard" -c "$conf" --foreground \
  --set "core.db=$dir/state/switchboard.db" --set "fifo.path=$dir/run/switchboard_fifo" \
  --set "fifo.reply_dir=$dir/run" --set "datagram.unix=$dir/run/switchboard.sock" \
  --set http.listen=127.0.0.1:0 --set sip.listen=udp:127.0.0.1:0 --set monitor.listen= \
  --set "http.web_dir=$root/usr/share/switchboard/web" \
  --set "modules.path=$root/usr/lib/switchboard/modules" --set modules.load=example.so \
  >"$dir/daemon.log" 2>&1 &
daemon_pid=$!
wait "$listener" || fail "no READY=1 from the unpacked daemon: $(cat "$dir/notified"; tail -5 "$dir/daemon.log")"
grep -q "^READY=1 | MAINPID=$daemon_pid | STATUS=switchboard " "$dir/notified" || fail "READY message: $(cat "$dir/notified")"
http_port=$(sb_port http)
curl -s "http://127.0.0.1:$http_port/" | grep -q '<title>' || fail "the unpacked web panel is not served"
got=$(SB_FIFO="$dir/run/switchboard_fifo" SB_REPLY_DIR="$dir/run" "$root/usr/bin/sbctl" hello package 2>&1)
[ "$got" = "Hello, package!" ] || fail "sbctl hello through the unpacked module: $got"
kill "$daemon_pid"
wait "$daemon_pid" || fail "the unpacked daemon did not stop cleanly: $(tail -5 "$dir/daemon.log")"
daemon_pid=
sb_finish
