#!/bin/sh
# readme_rest_session_test.sh: the README's REST provisioning session (the ```sh block after
# <!-- rest-session -->), run as it is written (only the port differs) with curl against the real
# daemon; then what it should have left: alice and bob, the rule, a config at revision 8.
. "$SB_SOURCE_DIR/tests/shell/lib.sh"
sb_init readme_rest_session
command -v curl >/dev/null || { echo "FAIL: curl is not installed" >&2; exit 1; }
sb_start_daemon --set http.listen=127.0.0.1:0 --set http.basic_auth=admin:change-me:admin \
  --set sip.listen=udp:127.0.0.1:0
port=$(sb_port http)
[ -n "$port" ] || { fail "no HTTP port in the start-up log"; sb_finish; }

sed -n '/^<!-- rest-session -->$/,/^```$/p' "$SB_SOURCE_DIR/README.md" | sed '1,2d;$d' |
  sed "s|http://127.0.0.1:8888/|http://127.0.0.1:$port/|" > "$dir/session.sh"
[ "$(wc -l < "$dir/session.sh")" -gt 10 ] || fail "the README has no rest-session block"
(cd "$dir" && sh -eu session.sh) > "$dir/session.out" 2> "$dir/session.err" ||
  fail "the README session failed: $(cat "$dir/session.err")"

grep -q '"rule_id":1' "$dir/session.out" || fail "POST /dialplan/test did not match rule 1: $(cat "$dir/session.out")"
python3 - "$dir/backup.json" <<'PY' || fail "backup.json is not the exported document at revision 5"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["revision"] == 5 and [s["username"] for s in doc["subscribers"]] == ["alice"], doc
PY
tail -n 1 "$dir/session.out" | grep -q '"username":"alice".*"username":"bob"' ||
  fail "after the restore both alice and bob should be listed: $(tail -n 1 "$dir/session.out")"
curl -fsS -u admin:change-me -o /dev/null -D - "http://127.0.0.1:$port/api/v1/config" | grep -q '^ETag: "8"' ||
  fail "the configuration should be at revision 8 (5 creates, bob, the import, the restore)"
sb_finish
