#!/bin/sh
# sbctl_zsh_completion_test.sh: sbctl's zsh completion (conf/packaging/sbctl.zsh, installed as
# _sbctl; issue #17) in a real interactive zsh with compinit (tests/shell/zsh_complete.zsh): the
# running daemon's command names (`sbctl which`: the example module's commands exist only there)
# and a command's param names (`sbctl help`; name= with --json), options, the transport options
# typed before the command used to ask, and without a daemon the list generated at build time.
# The same cases as sbctl_completion_test.sh (bash). Run by ctest with SB_BIN_DIR and
# SB_SOURCE_DIR set. POSIX sh.
set -u
. "$SB_SOURCE_DIR/tests/shell/lib.sh"
sb_init sbctl_zsh_completion_test
command -v zsh >/dev/null || { fail "zsh is not installed (scripts/setup.sh installs it)"; sb_finish; }
commands="$SB_BIN_DIR/../installed/commands"
[ -s "$commands" ] || { fail "no generated command list at $commands"; sb_finish; }
mkdir "$dir/zfunc" && cp "$SB_SOURCE_DIR/conf/packaging/sbctl.zsh" "$dir/zfunc/_sbctl"

expect_completion() {  # expect_completion <wanted, space-separated> <command line>
  got=$(PATH="$SB_BIN_DIR:$PATH" SBCTL_COMMANDS="$commands" timeout 20 \
    zsh -f "$SB_SOURCE_DIR/tests/shell/zsh_complete.zsh" "$dir/zfunc" "$2" | tr '\n' ' ')
  [ "$got" = "$1" ] || fail "completing '$2': wanted '$1', got '$got'"
}

# --- against the running daemon (its FIFO chosen by the options before the command) ---------
sb_start_daemon --set "modules.path=$SB_MODULE_DIR" --set modules.load=example.so
fifo_opts="-f $dir/fifo --reply-dir $dir"
expect_completion "ul_show_contact ul_sync " "sbctl $fifo_opts ul_s"
expect_completion "aor table_name " "sbctl $fifo_opts ul_show_contact "
expect_completion "aor= " "sbctl --json $fifo_opts ul_show_contact a"
expect_completion "--fifo " "sbctl --fi"
expect_completion "hello hello_async help " "sbctl $fifo_opts hel"
expect_completion "delay_ms= name= " "sbctl --json $fifo_opts hello_async "
grep -q '^hello' "$commands" && fail "the generated list has the module's commands: the test proves nothing"
kill "$daemon_pid"; wait "$daemon_pid" 2>/dev/null; daemon_pid=

# --- no daemon: the generated list ----------------------------------------------------------
expect_completion "ul_show_contact ul_sync " "sbctl -f $dir/nothing --reply-dir $dir ul_s"
expect_completion "aor table_name " "sbctl -f $dir/nothing --reply-dir $dir ul_show_contact "
expect_completion "help " "sbctl -f $dir/nothing --reply-dir $dir hel"
sb_finish
