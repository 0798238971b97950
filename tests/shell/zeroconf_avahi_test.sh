#!/bin/sh
# zeroconf_avahi_test.sh: [zeroconf] (gateway/zeroconf/) against a real Avahi daemon on a private
# system bus: the daemon's announcements seen by avahi-browse (name, port, TXT, loopback only),
# browsing a service avahi-publish announces, zeroconf_publish/unpublish (replace, collision,
# limits, bad input, roles over HTTP), Avahi going away and coming back, withdrawal at shutdown,
# and a start without any bus.
# The test runs in a mount namespace of its own (unshare) with a tmpfs on /run/avahi-daemon:
# avahi-daemon keeps its pid file and socket there and refuses to start when a system Avahi
# runs. Its Avahi uses the loopback interface only (allow-interfaces=lo): nothing leaves the
# host; it publishes no AAAA records over IPv4 (else a resolved address is 127.0.0.1 or ::1 by
# chance). Needs root (avahi-daemon, mount), as CI runs.
# Run by ctest with SB_BIN_DIR=<build>/bin and SB_SOURCE_DIR=<repository>. POSIX sh.
set -u
if [ -z "${SB_ZEROCONF_NS:-}" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "FAIL: needs root (avahi-daemon and a private mount); CI runs as root" >&2; exit 1; }
  SB_ZEROCONF_NS=1 exec unshare --mount --propagation private sh "$0" "$@"
fi
. "$SB_SOURCE_DIR/tests/shell/lib.sh"
sb_init zeroconf_avahi
for p in avahi-daemon avahi-browse avahi-publish dbus-daemon; do
  command -v $p >/dev/null 2>&1 || { echo "FAIL: $p is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
done

bus_pid= avahi_pid= publish_pid=
cleanup_all() {
  for p in $publish_pid $avahi_pid $bus_pid; do kill "$p" 2>/dev/null; done
  sb_cleanup
}
trap cleanup_all EXIT

# until_true <seconds> <command...>: runs the command every 0.1 s until it succeeds; false when
# it never did within the deadline.
until_true() {
  _limit=$(($1 * 10))
  shift
  _n=0
  until "$@"; do
    _n=$((_n + 1))
    [ "$_n" -ge "$_limit" ] && return 1
    sleep 0.1
  done
}

mkdir -p /run/avahi-daemon && mount -t tmpfs tmpfs /run/avahi-daemon || { echo "FAIL: cannot mount a tmpfs on /run/avahi-daemon" >&2; exit 1; }

cat >"$dir/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$dir/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
EOF
cat >"$dir/avahi.conf" <<EOF
[server]
host-name=sbzeroconf
use-ipv4=yes
use-ipv6=no
allow-interfaces=lo
ratelimit-interval-usec=0
enable-dbus=yes
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
publish-aaaa-on-ipv4=no
EOF
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$dir/bus"
dbus-daemon --config-file="$dir/bus.conf" --nofork >"$dir/bus.log" 2>&1 &
bus_pid=$!
until_true 10 test -S "$dir/bus" || { dump bus "$dir/bus.log"; echo "FAIL: the private bus did not start" >&2; exit 1; }

start_avahi() {
  avahi-daemon -f "$dir/avahi.conf" --no-drop-root --no-chroot --no-rlimits >"$dir/avahi.log" 2>&1 &
  avahi_pid=$!
  until_true 10 grep -q 'Server startup complete' "$dir/avahi.log" ||
    { dump avahi "$dir/avahi.log"; echo "FAIL: avahi-daemon did not start" >&2; exit 1; }
}
start_avahi

# browse <type>: avahi-browse's resolved lines (=;lo;IPv4;name;type;domain;host;address;port;txt).
browse() { avahi-browse -rtpk "$1" 2>/dev/null | grep '^='; }
# browse_has <type> <pattern>: a resolved line of <type> matches the extended regex.
browse_has() { browse "$1" | grep -Eq -- "$2"; }

sip_udp=$(free_port udp)
sb_start_daemon --set zeroconf.enabled=on --set zeroconf.max_published=3 --set http.listen=127.0.0.1:0 \
  --set "sip.listen=udp:127.0.0.1:$sip_udp"
http_port=$(sb_port http)
export SB_FIFO="$dir/fifo" SB_REPLY_DIR="$dir"
ctl() { "$SBCTL" --json "$@"; }
# json <python expression over `r`>: evaluates it on the JSON read from stdin, prints the result.
json() { python3 -c 'import json, sys; r = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

version=$("$SB" --version | sed 's/^switchboard //')
name="Switchboard on sbzeroconf"
esc=$(printf '%s' "$name" | sed 's/ /\\\\032/g')  # avahi-browse -p escapes spaces as \032

# 1. The daemon's own services, as a real mDNS client sees them: on lo only, IPv4 (bound to 127.0.0.1).
until_true 15 browse_has _switchboard-mi._tcp "^=;lo;IPv4;$esc;" ||
  { fail "avahi-browse never saw _switchboard-mi._tcp '$name'"; browse _switchboard-mi._tcp >&2; dump daemon "$dir/daemon.log"; }
line=$(browse _switchboard-mi._tcp | grep "^=;lo;IPv4;$esc;")
case $line in  # avahi-browse prints TXT items last first
  *";sbzeroconf.local;127.0.0.1;$http_port;\"mi=/mi\" \"tls=0\" \"api=/api/v1\" \"version=$version\"") ;;
  *) fail "the management API's record: $line (expected port $http_port, TXT version=$version api=/api/v1 tls=0 mi=/mi)" ;;
esac
# The TXT record itself, as on the wire: the items in the daemon's order.
txt=$(/usr/bin/python3 "$SB_SOURCE_DIR/tests/shell/mdns_txt.py" "$name._switchboard-mi._tcp.local" | tr '\n' ' ')
[ "$txt" = "version=$version api=/api/v1 tls=0 mi=/mi " ] || fail "the TXT record on the wire: '$txt'"
until_true 10 browse_has _http._tcp "^=;lo;IPv4;$esc;.*;127\.0\.0\.1;$http_port;\"path=/\"\$" ||
  fail "the panel's _http._tcp record: $(browse _http._tcp)"
until_true 10 browse_has _sip._udp "^=;lo;IPv4;$esc;.*;127\.0\.0\.1;$sip_udp;" ||
  fail "the SIP listener's _sip._udp record: $(browse _sip._udp)"
[ -z "$(avahi-browse -rtpk _switchboard-mi._tcp 2>/dev/null | grep -v ';lo;')" ] ||
  fail "a loopback listener was announced beyond lo: $(avahi-browse -rtpk _switchboard-mi._tcp)"

# 2. zeroconf_list: state, the three announcements established, itself among the browsed.
list_ok() {
  ctl zeroconf_list >"$dir/list.json" 2>&1 &&
    [ "$(json 'r["state"] == "running" and len(r["announced"]) == 3 and all(a["state"] == "established" for a in r["announced"]) and any(b["ours"] and b["resolved"] and b["type"] == "_switchboard-mi._tcp" for b in r["browsed"])' <"$dir/list.json")" = True ]
}
until_true 10 list_ok || fail "zeroconf_list: $(cat "$dir/list.json")"
[ "$(json '[(a["origin"], a["type"], a["interface"], a["protocol"]) for a in r["announced"]]' <"$dir/list.json")" = \
  "[('sip', '_sip._udp', 'lo', 'ipv4'), ('mi', '_switchboard-mi._tcp', 'lo', 'ipv4'), ('panel', '_http._tcp', 'lo', 'ipv4')]" ] ||
  fail "zeroconf_list announced: $(json 'r["announced"]' <"$dir/list.json")"
[ "$(json 'r["host"]' <"$dir/list.json")" = sbzeroconf.local ] || fail "zeroconf_list host: $(cat "$dir/list.json")"
# Avahi's thread is named: in `ps` (the command) and for the kernel (top -H, ps -L).
"$SBCTL" ps | grep -q 'zeroconf' || fail "ps does not list the zeroconf thread: $("$SBCTL" ps)"
grep -qx zeroconf /proc/"$daemon_pid"/task/*/comm || fail "no thread is called zeroconf: $(cat /proc/"$daemon_pid"/task/*/comm)"

# 3. Browsing: a service another program announces (avahi-publish, a real client).
avahi-publish -s "Foreign printer" _ipp._tcp 631 "note=hello" "paper=a4" >"$dir/publish.log" 2>&1 &
publish_pid=$!
foreign_ok() {
  ctl zeroconf_list type=_ipp._tcp >"$dir/ipp.json" 2>&1 &&
    [ "$(json '[(b["name"], b["port"], b["txt"], b["ours"], b["local"], b["host"]) for b in r["browsed"] if b["resolved"]]' <"$dir/ipp.json")" = \
      "[('Foreign printer', 631, ['note=hello', 'paper=a4'], False, True, 'sbzeroconf.local')]" ]
}
until_true 10 foreign_ok || fail "zeroconf_list never showed avahi-publish's service: $(cat "$dir/ipp.json")"
[ "$(json 'len(r["announced"])' <"$dir/ipp.json")" = 0 ] || fail "type=_ipp._tcp did not filter: $(cat "$dir/ipp.json")"

# 4. zeroconf_publish (as beroAvahi-update-service add), then upd, then rem.
ctl zeroconf_publish name="Script %h" type=_ftp._tcp port=2121 txt=path=/pub txt=u=anon >"$dir/pub.json" 2>"$dir/err" ||
  fail "zeroconf_publish: $(cat "$dir/err")"
[ "$(json '(r["name"], r["origin"], r["txt"])' <"$dir/pub.json")" = "('Script sbzeroconf', 'user', ['path=/pub', 'u=anon'])" ] ||
  fail "zeroconf_publish reply: $(cat "$dir/pub.json")"
until_true 10 browse_has _ftp._tcp '^=;lo;IPv4;Script\\032sbzeroconf;.*;2121;"u=anon" "path=/pub"$' ||
  fail "avahi-browse never saw the published _ftp._tcp: $(browse _ftp._tcp)"
ctl zeroconf_publish name="Script %h" type=_ftp._tcp port=2122 >/dev/null 2>"$dir/err" || fail "republish: $(cat "$dir/err")"
until_true 10 browse_has _ftp._tcp ';2122;' || fail "the replaced service's port: $(browse _ftp._tcp)"
browse _ftp._tcp | grep -q ';2121;' && fail "the replaced service is still announced on 2121: $(browse _ftp._tcp)"
ctl zeroconf_unpublish name="Script sbzeroconf" type=_ftp._tcp >/dev/null 2>"$dir/err" || fail "zeroconf_unpublish: $(cat "$dir/err")"
until_true 10 sh -c '! avahi-browse -tpk _ftp._tcp 2>/dev/null | grep -q Script' || fail "zeroconf_unpublish: still announced: $(browse _ftp._tcp)"

# %h makes a name longer than a DNS label: it is cut to 63 bytes, never inside a UTF-8 character.
long=$(/usr/bin/python3 -c 'print("%h" + "é" * 30)')
want=$(/usr/bin/python3 -c 'print("sbzeroconf" + "é" * 26)')
ctl zeroconf_publish name="$long" type=_x-long._tcp port=7 >"$dir/long.json" 2>"$dir/err" || fail "publish a long name: $(cat "$dir/err")"
[ "$(json 'r["name"]' <"$dir/long.json")" = "$want" ] || fail "the long name was cut as: $(json 'r["name"]' <"$dir/long.json")"
long_ok() {
  ctl zeroconf_list type=_x-long._tcp 2>/dev/null | json 'r["announced"][0]["state"]' | grep -qx established
}
until_true 10 long_ok || fail "the cut name was not announced: $(ctl zeroconf_list type=_x-long._tcp 2>&1)"
ctl zeroconf_unpublish name="$long" type=_x-long._tcp >/dev/null 2>&1 || fail "unpublish the long name"

# A name the network has already: renamed as Avahi does.
ctl zeroconf_publish name="Foreign printer" type=_ipp._tcp port=632 >/dev/null 2>"$dir/err" || fail "publish a taken name: $(cat "$dir/err")"
until_true 10 browse_has _ipp._tcp '^=;lo;IPv4;Foreign\\032printer\\032\\0352;.*;632;' ||
  fail "a taken name was not renamed 'Foreign printer #2': $(browse _ipp._tcp)"

# 5. Bad input and limits: clear errors (sbctl prints the status line and exits 1).
expect_error() {  # <stderr's start> <what> <sbctl args...>
  _want=$1 _what=$2
  shift 2
  if "$SBCTL" "$@" >"$dir/out" 2>"$dir/err"; then fail "$_what: accepted"; return; fi
  grep -q "^$_want" "$dir/err" || fail "$_what: expected '$_want…', got: $(cat "$dir/err")"
}
invalid="sbctl: -32602 Invalid params (Bad parameter"  # the JSON-RPC dialect's 400
expect_error "400 " "a bad type" zeroconf_publish x _ftp 21
expect_error "400 " "port 0" zeroconf_publish x _ftp._tcp 0
expect_error "400 " "a 64-byte name" zeroconf_publish "$(printf '%064d' 0)" _ftp._tcp 21
expect_error "$invalid 'interface'" "an unknown interface" --json zeroconf_publish name=x type=_ftp._tcp port=21 interface=nosuch0
expect_error "$invalid 'txt'" "a 256-byte TXT item" --json zeroconf_publish name=x type=_ftp._tcp port=21 "txt=k=$(printf '%0254d' 0)"
expect_error "$invalid 'txt'" "a TXT item without a key" --json zeroconf_publish name=x type=_ftp._tcp port=21 txt==v
expect_error "404 " "unpublish an unknown service" zeroconf_unpublish nothing _ftp._tcp
expect_error "400 " "unpublish the daemon's own" zeroconf_unpublish "$name" _http._tcp
# zeroconf.max_published = 3 (below): Foreign printer #2 is one, two more fit, the fourth not.
ctl zeroconf_publish name=a type=_x-a._tcp port=1 >/dev/null 2>&1 || fail "publish a"
ctl zeroconf_publish name=b type=_x-a._tcp port=2 >/dev/null 2>&1 || fail "publish b"
expect_error "503 " "a fourth user service" zeroconf_publish c _x-a._tcp 3
ctl zeroconf_publish name=b type=_x-a._tcp port=3 >/dev/null 2>&1 || fail "replacing one at the limit"

# 6. Over HTTP: REST, and a read-only caller may list but not publish.
code=$(curl -s -o "$dir/rest.json" -w '%{http_code}' "http://127.0.0.1:$http_port/api/v1/zeroconf?type=_ipp._tcp")
[ "$code" = 200 ] && [ "$(json 'len(r["browsed"]) >= 1' <"$dir/rest.json")" = True ] || fail "GET /api/v1/zeroconf: $code $(cat "$dir/rest.json")"
code=$(curl -s -o "$dir/rest.json" -w '%{http_code}' -X DELETE "http://127.0.0.1:$http_port/api/v1/zeroconf/services/_x-a._tcp/a")
[ "$code" = 204 ] || fail "DELETE /api/v1/zeroconf/services/_x-a._tcp/a: $code $(cat "$dir/rest.json")"

# 7. Avahi goes away and comes back: the services are announced again.
kill "$avahi_pid"
wait "$avahi_pid" 2>/dev/null
state_is() { [ "$(ctl zeroconf_list 2>/dev/null | json 'r["state"]')" = "$1" ]; }
until_true 10 state_is connecting || fail "without Avahi, zeroconf_list state: $(ctl zeroconf_list 2>&1 | head -5)"
start_avahi
until_true 15 browse_has _switchboard-mi._tcp "^=;lo;IPv4;$esc;" || fail "not announced again after Avahi came back"
until_true 10 browse_has _x-a._tcp '^=;lo;IPv4;b;' || fail "a user service was not announced again: $(browse _x-a._tcp)"

# 8. Shutdown withdraws everything at once.
sb_stop_daemon
# Goodbye packets: peers drop the records within a second (RFC 6762 10.1), this host's Avahi too.
gone() { ! avahi-browse -tpk "$1" 2>/dev/null | grep -q -- "$2"; }
until_true 5 gone _switchboard-mi._tcp "$esc" || fail "still announced after shutdown: $(browse _switchboard-mi._tcp)"
until_true 5 gone _x-a._tcp ';b;' || fail "a user service is still announced after shutdown"
grep -q 'zeroconf: announcements withdrawn' "$dir/daemon.log" || fail "no withdrawal in the log"

# 9. A read-only HTTP caller, and a network that announces more than zeroconf.max_browsed (16
# here): what is kept stays bounded, the rest is counted.
sb_start_daemon --set zeroconf.enabled=on --set http.listen=127.0.0.1:0 --set http.anonymous_role=read_only \
  --set zeroconf.max_browsed=16 --set zeroconf.max_published=64 --set zeroconf.announce=
http_port=$(sb_port http)
n=0
while [ "$n" -lt 24 ]; do
  n=$((n + 1))
  ctl zeroconf_publish name="flood $n" type=_x-flood._tcp port=$((4000 + n)) >/dev/null 2>"$dir/err" ||
    fail "publish flood $n: $(cat "$dir/err")"
done
bounded() {
  ctl zeroconf_list >"$dir/flood.json" 2>&1 &&
    [ "$(json 'len(r["browsed"]) == 16 and r["browse_dropped"] >= 8 and len(r["announced"]) == 24' <"$dir/flood.json")" = True ]
}
until_true 15 bounded ||
  fail "browsing 24 services with max_browsed=16: $(json '(len(r["browsed"]), r["browse_dropped"], len(r["announced"]))' <"$dir/flood.json")"
code=$(curl -s -o "$dir/rest.json" -w '%{http_code}' -H 'Content-Type: application/json' \
  -d '{"name":"x","type":"_ftp._tcp","port":21}' "http://127.0.0.1:$http_port/api/v1/zeroconf/services")
[ "$code" = 403 ] || fail "POST /api/v1/zeroconf/services read-only: $code $(cat "$dir/rest.json")"
code=$(curl -s -o "$dir/rest.json" -w '%{http_code}' "http://127.0.0.1:$http_port/api/v1/zeroconf")
[ "$code" = 200 ] || fail "GET /api/v1/zeroconf read-only: $code"
sb_stop_daemon

# 10. No system bus at all: the daemon starts, says so, and keeps trying.
DBUS_SYSTEM_BUS_ADDRESS="unix:path=$dir/no-bus" sb_start_daemon --set zeroconf.enabled=on
[ "$(ctl zeroconf_list | json '(r["state"], r["error"] != "")')" = "('unavailable', True)" ] ||
  fail "without a bus: $(ctl zeroconf_list 2>&1)"
grep -q 'zeroconf: cannot reach the Avahi daemon' "$dir/daemon.log" || fail "without a bus: nothing in the log"
sb_stop_daemon

# 11. Off (the default): the commands answer 503.
sb_start_daemon
expect_error "503 " "zeroconf_list while off" zeroconf_list
sb_stop_daemon

sb_finish
