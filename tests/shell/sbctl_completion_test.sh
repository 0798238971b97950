#!/bin/sh
# sbctl_completion_test.sh: sbctl's bash completion (conf/packaging/sbctl.bash, issue #17) — the
# running daemon's command names (`sbctl which`) and a command's param names (`sbctl help`;
# name= with --json), the transport options given before the command used to ask, and without a
# daemon the list generated at build time (switchboard --print-commands).
# Run by ctest with SB_BIN_DIR and SB_SOURCE_DIR set. POSIX sh (the completion runs in bash).
set -u
. "$SB_SOURCE_DIR/tests/shell/lib.sh"
sb_init sbctl_completion_test
command -v bash >/dev/null || { fail "bash is not installed"; sb_finish; }
commands="$SB_BIN_DIR/../installed/commands"
[ -s "$commands" ] || { fail "no generated command list at $commands"; sb_finish; }

# complete <words...>: what bash completion offers for the last word (sorted, one line).
complete_words() {
  PATH="$SB_BIN_DIR:$PATH" SBCTL_COMMANDS="$commands" bash -c '
    . "$1/conf/packaging/sbctl.bash"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    _sbctl
    printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' bash "$SB_SOURCE_DIR" "$@"
}
expect_completion() {  # expect_completion <wanted> <words...>
  want=$1
  shift
  got=$(complete_words "$@")
  [ "$got" = "$want" ] || fail "completing '$*': wanted '$want', got '$got'"
}

# --- against the running daemon (its FIFO chosen by the options before the command) ---------
# The example module's commands come from the running daemon only (not built in).
sb_start_daemon --set "modules.path=$SB_MODULE_DIR" --set modules.load=example.so
fifo_opts="-f $dir/fifo --reply-dir $dir"
# shellcheck disable=SC2086  # the options are words
expect_completion "ul_show_contact ul_sync " sbctl $fifo_opts ul_s
# shellcheck disable=SC2086
expect_completion "aor table_name " sbctl $fifo_opts ul_show_contact ""
# shellcheck disable=SC2086
expect_completion "aor= " sbctl --json $fifo_opts ul_show_contact a
expect_completion "--fifo " sbctl --fi
expect_completion "dgram " sbctl -t dg
# shellcheck disable=SC2086
expect_completion "hello hello_async help " sbctl $fifo_opts hel
# shellcheck disable=SC2086
expect_completion "delay_ms= name= " sbctl --json $fifo_opts hello_async ""
grep -q '^hello' "$commands" && fail "the generated list has the module's commands: the test proves nothing"
kill "$daemon_pid"; wait "$daemon_pid" 2>/dev/null; daemon_pid=

# --- no daemon: the generated list ----------------------------------------------------------
expect_completion "ul_show_contact ul_sync " sbctl -f "$dir/nothing" --reply-dir "$dir" ul_s
expect_completion "aor table_name " sbctl -f "$dir/nothing" --reply-dir "$dir" ul_show_contact ""
expect_completion "help " sbctl -f "$dir/nothing" --reply-dir "$dir" hel

# A name that is not a plain word never reaches compgen -W (which would run its $(...)).
printf 'uptime\n$(touch %s/pwned)\nul_$(touch %s/pwned2) x\n' "$dir" "$dir" >"$dir/hostile"
got=$(PATH="$SB_BIN_DIR:$PATH" SBCTL_COMMANDS="$dir/hostile" bash -c '
  . "$1/conf/packaging/sbctl.bash"; COMP_WORDS=(sbctl -f "$2/nothing" ""); COMP_CWORD=3; _sbctl
  printf "%s " "${COMPREPLY[@]}"' bash "$SB_SOURCE_DIR" "$dir")
if [ -e "$dir/pwned" ] || [ -e "$dir/pwned2" ]; then fail "completion ran a command found in the command list"; fi
[ "$got" = "uptime " ] || fail "completion offered '$got' from a list with one plain name"
sb_finish
