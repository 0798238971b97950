#!/bin/sh
# config_backup_test.sh: the configuration backup and restore of a shell script over the FIFO:
# `sbctl config_export > backup.json` writes one line of JSON, `sbctl config_import
# "$(cat backup.json)"` puts it back (what was removed since returns, what was added goes), a
# dry run changes nothing, and config_revisions / config_restore go back a revision.
. "$SB_SOURCE_DIR/tests/shell/lib.sh"
sb_init config_backup
sb_start_daemon --set sip.listen=udp:127.0.0.1:0 --set fifo.max_request=1048576

export SB_FIFO="$dir/fifo" SB_REPLY_DIR="$dir"
sbctl() { "$SBCTL" --timeout 20 "$@"; }

sbctl subscriber_add alice example.com alicepw >/dev/null || fail "subscriber_add alice"
sbctl port_add 1 virtual 2 >/dev/null || fail "port_add 1"
sbctl port_group_add lines 1 >/dev/null || fail "port_group_add lines"
sbctl dp_rule_add any '^0' '' group:lines >/dev/null || fail "dp_rule_add"

sbctl config_export > "$dir/backup.json" || fail "config_export"
[ "$(wc -l < "$dir/backup.json")" -eq 1 ] || fail "the export is not one line of JSON"
python3 - "$dir/backup.json" <<'PY' || fail "the export is not the document with alice, port 1, group lines, one rule"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["revision"] == 4, doc["revision"]
assert [s["username"] for s in doc["subscribers"]] == ["alice"]
assert [p["port"] for p in doc["ports"]] == [1] and doc["port_groups"][0]["name"] == "lines"
assert len(doc["dialplan"]) == 1 and "password" not in json.dumps(doc)
PY

# Changes after the backup: alice removed, bob added.
sbctl subscriber_rm alice example.com >/dev/null || fail "subscriber_rm alice"
sbctl subscriber_add bob example.com bobpw >/dev/null || fail "subscriber_add bob"

# A dry run reports and changes nothing.
out=$("$SBCTL" --timeout 20 --json config_import document="$(cat "$dir/backup.json")" dry_run=1) ||
  fail "config_import dry_run"
case $out in *'"dry_run": true'*'alice@example.com'*) ;; *) fail "the dry run report lacks alice: $out" ;; esac
sbctl subscriber_list | grep -q 'bob' || fail "a dry run changed the subscribers"

# The real import: back to the backup.
sbctl config_import "$(cat "$dir/backup.json")" > "$dir/report" || fail "config_import: $(cat "$dir/report")"
list=$(sbctl subscriber_list)
case $list in *alice*) ;; *) fail "alice is not back after the import: $list" ;; esac
case $list in *bob*) fail "bob is still there after the import: $list" ;; esac
grep -q 'revision:: 7' "$dir/report" || fail "the import is not revision 7: $(cat "$dir/report")"

# A document with a problem is refused whole, with a status line naming how many problems.
printf '%s' '{"schema_version":1,"subscribers":[{"username":"","domain":"x"}],"accounts":[],"dialplan":[],"ports":[],"port_groups":[]}' > "$dir/bad.json"
if sbctl config_import "$(cat "$dir/bad.json")" > "$dir/out" 2> "$dir/err"; then
  fail "a bad document was accepted"
fi
grep -q '^422 Configuration refused: [0-9]* problem' "$dir/err" || fail "no 422 status line: $(cat "$dir/err")"
sbctl subscriber_list | grep -q alice || fail "a refused import changed something"

# Revisions: restore the one before the import (bob, no alice).
sbctl config_revisions | grep -q 'source:: config_import' || fail "config_revisions does not list the import"
sbctl config_restore 6 > /dev/null || fail "config_restore 6"
list=$(sbctl subscriber_list)
case $list in *bob*) ;; *) fail "bob is not back after restoring revision 6: $list" ;; esac
sb_finish
