#!/bin/sh
# readme_events_session_test.sh: the README's events recipe (the ```sh block after
# <!-- events-session -->) run as written — socat receiving datagrams, scripts/sbctl subscribing
# over the FIFO — then a real REGISTER (UDP, from Python) must arrive in events.json as an
# E_UL_CONTACT_INSERT notification naming the AOR, and subscribers_list must count it delivered.
. "$SB_SOURCE_DIR/tests/shell/lib.sh"
sb_init readme_events_session
for tool in socat python3; do
  command -v $tool >/dev/null 2>&1 || { echo "FAIL: $tool is not installed" >&2; exit 1; }
done
sb_start_daemon --set sip.listen=udp:127.0.0.1:0
sip=$(sb_sip_port 1)
[ -n "$sip" ] || { fail "no SIP port in the start-up log"; sb_finish; }
udp=$(free_port udp)

sed -n '/^<!-- events-session -->$/,/^```$/p' "$SB_SOURCE_DIR/README.md" | sed '1,2d;$d' |
  sed "s|127.0.0.1:9999|127.0.0.1:$udp|; s|UDP-RECV:9999|UDP-RECV:$udp|; s|scripts/sbctl|\"\$SBCTL\"|" > "$dir/session.sh"
[ "$(wc -l < "$dir/session.sh")" -ge 3 ] || fail "the README has no events-session block"
# The receiver runs in the background of the session; it is stopped at the end.
(cd "$dir" && SBCTL="$SB_SOURCE_DIR/scripts/sbctl" SB_FIFO="$dir/fifo" SB_REPLY_DIR="$dir" SB_BIN_DIR="$SB_BIN_DIR" \
   timeout 20 sh -eu session.sh > session.out 2> session.err; echo $? > session.rc) &
session=$!
tries=0
until grep -q "E_UL_CONTACT_INSERT" "$dir/session.out" 2>/dev/null; do
  tries=$((tries + 1))
  [ "$tries" -gt 200 ] && break
  sleep 0.05
done
grep -q "delivered:: 0" "$dir/session.out" || fail "subscribers_list should show the new subscription: $(cat "$dir/session.out" "$dir/session.err")"

# A REGISTER from a scripted client (tests/events/eventlib.py's UDP SIP client).
PYTHONPATH="$SB_SOURCE_DIR/tests/events:$SB_SOURCE_DIR/tests/security" SB_BIN_DIR="$SB_BIN_DIR" \
  SB_SOURCE_DIR="$SB_SOURCE_DIR" timeout 20 python3 - "$sip" <<'PY' || fail "the REGISTER was not answered 200"
import sys
import eventlib
class Daemon:  # what SipClient needs of a daemon: its SIP port
    sip_port = int(sys.argv[1])
ua = eventlib.SipClient(Daemon())
status = ua.register("alice", "example.com")[0]
sys.exit(0 if status == 200 else 1)
PY
tries=0
until grep -q '"method":"E_UL_CONTACT_INSERT"' "$dir/events.json" 2>/dev/null; do
  tries=$((tries + 1))
  [ "$tries" -gt 200 ] && break
  sleep 0.05
done
grep -q '"method":"E_UL_CONTACT_INSERT","params":{"aor":"alice@example.com"' "$dir/events.json" ||
  fail "socat did not receive E_UL_CONTACT_INSERT for alice: $(cat "$dir/events.json" 2>/dev/null)"
SB_FIFO="$dir/fifo" SB_REPLY_DIR="$dir" "$SB_SOURCE_DIR/scripts/sbctl" subscribers_list | grep -q "delivered:: 1" ||
  fail "subscribers_list should count one delivery"
pkill -f "UDP-RECV:$udp" 2>/dev/null
wait "$session" 2>/dev/null
sb_finish
