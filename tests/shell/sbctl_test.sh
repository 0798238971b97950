#!/bin/sh
# sbctl_test.sh: sbctl (scripts/sbctl_main.cpp, scripts/sbctl) against the real daemon's FIFO:
# the text and JSON dialects, MI errors and exit codes, its own help, and that no reply FIFO is
# left behind on any exit path (success, MI error, no daemon, SIGINT).
# Run by ctest with SB_BIN_DIR=<build>/bin and SB_SOURCE_DIR=<repository>. POSIX sh; every
# check runs and reports, then the script exits 1 if any failed.
set -u
# The datagram, HTTP and monitor endpoints are not under test here: keep them off (no port
# clashes).
ONLY_FIFO="--set datagram.unix= --set datagram.udp= --set http.listen= --set monitor.listen= --set sip.listen= --set core.db= --set core.validate_replies=on"

: "${SB_BIN_DIR:?set SB_BIN_DIR to the bin directory of the build}"
: "${SB_SOURCE_DIR:?set SB_SOURCE_DIR to the repository}"
SBCTL=$SB_BIN_DIR/sbctl
for f in "$SBCTL" "$SB_BIN_DIR/switchboard"; do
  [ -x "$f" ] || { echo "FAIL: $f is not built" >&2; exit 1; }
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/sbctl_test.XXXXXX") || { echo "FAIL: mktemp -d" >&2; exit 1; }
daemon_pid=
sbctl_pid=
cleanup() {
  [ -n "$sbctl_pid" ] && kill "$sbctl_pid" 2>/dev/null
  if [ -n "$daemon_pid" ]; then
    kill "$daemon_pid" 2>/dev/null
    wait "$daemon_pid" 2>/dev/null
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# run <args...>: runs sbctl; sets $what, $status, $out and $err.
run() {
  what="sbctl $*"
  "$SBCTL" "$@" >"$dir/out" 2>"$dir/err"
  status=$?
  out=$(cat "$dir/out")
  err=$(cat "$dir/err")
}
expect_status() {
  [ "$status" -eq "$1" ] || fail "$what: exit $status, expected $1; stderr: $err"
}
expect_out() {
  case $out in *"$1"*) ;; *) fail "$what: stdout lacks '$1'; stdout was: $out" ;; esac
}
expect_err() {
  case $err in *"$1"*) ;; *) fail "$what: stderr lacks '$1'; stderr was: $err" ;; esac
}
expect_out_line() {  # a stdout line matching the basic regex $1
  printf '%s\n' "$out" | grep -q -- "$1" || fail "$what: no stdout line matches '$1'; stdout: $out"
}
# no_reply_fifos <when>: no sbctl_* reply FIFO is left in $dir.
no_reply_fifos() {
  left=$(cd "$dir" && ls -d sbctl_* 2>/dev/null)
  [ -z "$left" ] || fail "reply FIFO(s) left after $1: $left"
}

# --- the daemon -----------------------------------------------------------------------------
"$SB_BIN_DIR/switchboard" -c "$SB_SOURCE_DIR/conf/switchboard.conf" --foreground \
  $ONLY_FIFO --set "fifo.path=$dir/fifo" --set "fifo.reply_dir=$dir" --set core.log_level=warn \
  >"$dir/daemon.log" 2>&1 &
daemon_pid=$!
tries=0
while [ ! -p "$dir/fifo" ]; do
  if ! kill -0 "$daemon_pid" 2>/dev/null; then
    wait "$daemon_pid"
    echo "FAIL: switchboard exited (status $?) before making $dir/fifo; its output:" >&2
    cat "$dir/daemon.log" >&2
    daemon_pid=
    exit 1
  fi
  tries=$((tries + 1))
  if [ "$tries" -gt 100 ]; then
    echo "FAIL: switchboard made no FIFO at $dir/fifo within 10 s; its output:" >&2
    cat "$dir/daemon.log" >&2
    exit 1
  fi
  sleep 0.1
done
SB_FIFO=$dir/fifo
SB_REPLY_DIR=$dir
export SB_FIFO SB_REPLY_DIR
unset SB_TIMEOUT

# --- text dialect ---------------------------------------------------------------------------
run uptime
expect_status 0
expect_out_line '^Up time:: '
printf '%s\n' "$out" | grep -q '^200 OK' && fail "$what: printed the '200 OK' status line"

run which
expect_status 0
expect_out_line '^uptime$'
expect_out_line '^version$'

run core:print 'qualified'
expect_status 0
[ "$out" = "qualified" ] || fail "$what: printed '$out', expected 'qualified' (module:name over text)"

run print 'hello world'
expect_status 0
[ "$out" = "hello world" ] || fail "$what: printed '$out', expected 'hello world'"

run nosuch
expect_status 1
expect_err "500 command 'nosuch' not available"

run print a b c
expect_status 1
expect_err "400 Too few or too many arguments"

# --- JSON dialect ---------------------------------------------------------------------------
run --json uptime
expect_status 0
expect_out '"Up time"'

run --json nosuch
expect_status 1
expect_err "-32601"

run --json get_statistics all
expect_status 0
expect_out '"mi:calls"'

# --- help -----------------------------------------------------------------------------------
run help
expect_status 0
expect_out "SYNOPSIS"
expect_out "sbctl [options] <command> [params...]"

run --help
expect_status 0
expect_out "EXIT STATUS"

run help uptime
expect_status 0
[ -n "$out" ] || fail "$what: printed nothing"

"$SBCTL" >"$dir/out" 2>"$dir/err"
status=$?
[ "$status" -eq 1 ] || fail "sbctl without a command: exit $status, expected 1"
grep -q "usage: sbctl" "$dir/err" || fail "sbctl without a command: no usage on stderr"

# --- the scripts/sbctl wrapper --------------------------------------------------------------
what="scripts/sbctl uptime"
out=$(sh "$SB_SOURCE_DIR/scripts/sbctl" uptime 2>"$dir/err")
status=$?
err=$(cat "$dir/err")
expect_status 0
expect_out_line '^Up time:: '

no_reply_fifos "the calls above"

# --- no daemon behind the FIFO path ---------------------------------------------------------
run -f "$dir/nofifo" uptime
expect_status 1
expect_err "sbctl: no FIFO at $dir/nofifo"
no_reply_fifos "a call with no daemon"

# --- SIGINT while waiting for a reply -------------------------------------------------------
# A FIFO that we hold open for reading but never serve: sbctl writes its request, then waits.
mkfifo "$dir/fake_fifo"
exec 9<>"$dir/fake_fifo"
SB_FIFO=$dir/fake_fifo "$SBCTL" --timeout 30 uptime >"$dir/out" 2>"$dir/err" &
sbctl_pid=$!
tries=0
while [ -z "$(cd "$dir" && ls -d "sbctl_${sbctl_pid}_"* 2>/dev/null)" ] && [ "$tries" -lt 100 ]; do
  tries=$((tries + 1))
  sleep 0.1
done
if [ "$tries" -ge 100 ]; then
  fail "sbctl made no reply FIFO sbctl_${sbctl_pid}_* in $dir within 10 s"
fi
kill -INT "$sbctl_pid" 2>/dev/null
wait "$sbctl_pid"
status=$?
sbctl_pid=
[ "$status" -eq 130 ] || fail "sbctl interrupted by SIGINT: exit $status, expected 130 (killed by SIGINT)"
no_reply_fifos "SIGINT"
exec 9<&-

# --- shutdown -------------------------------------------------------------------------------
kill -TERM "$daemon_pid"
tries=0
while kill -0 "$daemon_pid" 2>/dev/null && [ "$tries" -lt 100 ]; do
  tries=$((tries + 1))
  sleep 0.1
done
if kill -0 "$daemon_pid" 2>/dev/null; then
  fail "switchboard still runs 10 s after SIGTERM"
else
  wait "$daemon_pid"
  status=$?
  daemon_pid=
  [ "$status" -eq 0 ] || fail "switchboard exited with status $status after SIGTERM, expected 0"
  [ -e "$dir/fifo" ] && fail "switchboard left its FIFO $dir/fifo after SIGTERM"
fi

if [ "$failures" -ne 0 ]; then
  echo "sbctl_test: $failures check(s) failed; daemon output:" >&2
  cat "$dir/daemon.log" >&2
  exit 1
fi
echo "sbctl_test: all checks passed"
