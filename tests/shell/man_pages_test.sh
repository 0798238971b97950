#!/bin/sh
# man_pages_test.sh: the manual pages built from the programs' own texts (issue #17) —
# switchboard(8) (help2man of --help), sbctl(8) (sbctl --man) and switchboard.conf(5)
# (switchboard --print-config-man) render without groff warnings and say what the programs
# say: every option of each --help, every configuration key of --print-config.
# Run by ctest with SB_BIN_DIR and SB_SOURCE_DIR set. POSIX sh.
set -u
. "$SB_SOURCE_DIR/tests/shell/lib.sh"
sb_init man_pages_test
man_dir="$SB_BIN_DIR/../man"
command -v groff >/dev/null || { fail "groff is not installed"; sb_finish; }

for page in switchboard.8 sbctl.8 switchboard.conf.5; do
  [ -s "$man_dir/$page" ] || { fail "$man_dir/$page was not built"; continue; }
  [ -s "$man_dir/$page.gz" ] || fail "$man_dir/$page.gz was not built"
  groff -k -man -ww -z "$man_dir/$page" 2>"$dir/warnings"
  [ -s "$dir/warnings" ] && fail "$page: groff warnings: $(head -3 "$dir/warnings")"
  MANWIDTH=200 man -l "$man_dir/$page" 2>/dev/null >"$dir/$page.txt"
  [ -s "$dir/$page.txt" ] || fail "man -l $page printed nothing"
done
grep -q '^SBCTL(8)' "$dir/sbctl.8.txt" || fail "sbctl.8 is not sbctl(8): $(head -1 "$dir/sbctl.8.txt")"
grep -q '^SWITCHBOARD(8)' "$dir/switchboard.8.txt" || fail "switchboard.8 is not switchboard(8)"
grep -q '^SWITCHBOARD.CONF(5)' "$dir/switchboard.conf.5.txt" || fail "switchboard.conf.5 is not switchboard.conf(5)"

# Every option in each --help is in its page.
"$SB_BIN_DIR/sbctl" --help | sed -n 's/^    \(-[-a-z]*\).*/\1/p; s/^    -[a-z], \(--[-a-z]*\).*/\1/p' | sort -u >"$dir/sbctl.opts"
[ "$(wc -l <"$dir/sbctl.opts")" -ge 10 ] || fail "read only $(wc -l <"$dir/sbctl.opts") options from sbctl --help"
while read -r opt; do
  grep -q -e "$opt" "$dir/sbctl.8.txt" || fail "sbctl(8) lacks $opt"
done <"$dir/sbctl.opts"
"$SB_BIN_DIR/switchboard" --help | sed -n 's/^  *\(--[-a-z]*\).*/\1/p' | sort -u >"$dir/sb.opts"
[ "$(wc -l <"$dir/sb.opts")" -ge 6 ] || fail "read only $(wc -l <"$dir/sb.opts") options from switchboard --help"
while read -r opt; do
  grep -q -e "$opt" "$dir/switchboard.8.txt" || fail "switchboard(8) lacks $opt"
done <"$dir/sb.opts"
for key in sip.listen registrar.workers fifo.path http.listen core.db; do
  grep -q "$key" "$dir/switchboard.8.txt" || fail "switchboard(8) lacks the key $key"
done

# Every key of the documented configuration is in switchboard.conf(5).
"$SB_BIN_DIR/switchboard" --print-config | sed -n 's/^\([a-z_]*\) =.*/\1/p' | sort -u >"$dir/keys"
[ "$(wc -l <"$dir/keys")" -ge 50 ] || fail "read only $(wc -l <"$dir/keys") keys from --print-config"
while read -r key; do
  grep -q "^ *$key =" "$dir/switchboard.conf.5.txt" || fail "switchboard.conf(5) lacks $key"
done <"$dir/keys"
sb_finish
