#!/bin/sh
# daemon_cli_test.sh: the `switchboard` command line and process life cycle
# (gateway/daemon/main.cpp): --version, --help, --check-config, configuration errors naming
# file:line and key, a non-FIFO at fifo.path, a foreground run stopped by SIGTERM (FIFO and pid
# file created, then removed, exit 0), and a background run (launcher exits 0, pid file names the
# daemon, a second instance is refused, SIGINT stops it).
# Run by ctest with SB_BIN_DIR=<build>/bin and SB_SOURCE_DIR=<repository>. POSIX sh; every
# check runs and reports, then the script exits 1 if any failed.
set -u
# The datagram, HTTP and monitor endpoints are not under test here: keep them off (no port
# clashes).
ONLY_FIFO="--set datagram.unix= --set datagram.udp= --set http.listen= --set monitor.listen= --set sip.listen= --set core.db="

: "${SB_BIN_DIR:?set SB_BIN_DIR to the bin directory of the build}"
: "${SB_SOURCE_DIR:?set SB_SOURCE_DIR to the repository}"
SB=$SB_BIN_DIR/switchboard
CONF=$SB_SOURCE_DIR/conf/switchboard.conf
[ -x "$SB" ] || { echo "FAIL: $SB is not built" >&2; exit 1; }
[ -f "$CONF" ] || { echo "FAIL: $CONF is missing" >&2; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/daemon_cli_test.XXXXXX") || { echo "FAIL: mktemp -d" >&2; exit 1; }
daemon_pid=   # a foreground daemon (our child)
bg_pid=       # a background daemon (not our child)
cleanup() {
  for p in $daemon_pid $bg_pid; do kill -KILL "$p" 2>/dev/null; done
  [ -n "$daemon_pid" ] && wait "$daemon_pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# run <args...>: runs switchboard (killed after 10 s); sets $what, $status, $out and $err.
run() {
  what="switchboard $*"
  "$SB" "$@" >"$dir/out" 2>"$dir/err" </dev/null &
  run_pid=$!
  i=0
  while kill -0 "$run_pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  if kill -0 "$run_pid" 2>/dev/null; then
    kill -KILL "$run_pid" 2>/dev/null
    fail "$what: still running after 10 s"
  fi
  wait "$run_pid"
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
# wait_for <tenths> <test args...>: polls `test` until true; returns 1 on timeout.
wait_for() {
  n=$1
  shift
  while ! test "$@"; do
    [ "$n" -le 0 ] && return 1
    sleep 0.1
    n=$((n - 1))
  done
}
# wait_gone <tenths> <pid>: polls until the process no longer exists.
wait_gone() {
  n=$1
  while kill -0 "$2" 2>/dev/null; do
    [ "$n" -le 0 ] && return 1
    sleep 0.1
    n=$((n - 1))
  done
}

# --- command line ---------------------------------------------------------------------------
run --version
expect_status 0
printf '%s\n' "$out" | grep -q '^switchboard [0-9][0-9.]*' || fail "$what: printed '$out'"

run --help
expect_status 0
expect_out "--set"
expect_out "fifo.path"
expect_out "--check-config"

run --check-config
expect_status 2
expect_err "--config"

# --- configuration checks -------------------------------------------------------------------
run -c "$CONF" --check-config
expect_status 0
expect_out "configuration OK: $CONF"

printf '[core]\nlog_level = info\n\n[fifo]\npathh = /tmp/x\n' >"$dir/bad.conf"
run -c "$dir/bad.conf" --check-config
expect_status 1
expect_err "switchboard: $dir/bad.conf:5:"
expect_err "fifo.pathh"
run -c "$dir/bad.conf" --foreground
expect_status 1
expect_err "$dir/bad.conf:5:"

run -c "$CONF" --check-config --set fifo.mode=0999
expect_status 1
expect_err "--set fifo.mode=0999"
expect_err "'fifo.mode'"
run -c "$CONF" --foreground --set fifo.mode=0999
expect_status 1
expect_err "'fifo.mode'"

run -c "$CONF" --check-config --set nosuch.key=1
expect_status 1
expect_err "nosuch"

run -c "$dir/missing.conf" --check-config
expect_status 1
expect_err "$dir/missing.conf"

# --- a regular file where the FIFO should be ------------------------------------------------
echo "precious" >"$dir/plainfile"
for mode in --foreground --set=core.log_level=warn; do  # foreground, then detached
  run -c "$CONF" "$mode" $ONLY_FIFO --set "fifo.path=$dir/plainfile" --set "fifo.reply_dir=$dir" \
    --set "core.pid_file=$dir/plain.pid"
  expect_status 1
  expect_err "switchboard: "
  expect_err "$dir/plainfile"
  [ "$(cat "$dir/plainfile")" = precious ] || fail "$what: replaced or changed the regular file"
  [ -e "$dir/plain.pid" ] && fail "$what: left a pid file after a failed start"
done

# --- foreground run, SIGHUP ignored, SIGTERM stops it ----------------------------------------
"$SB" -c "$CONF" --foreground $ONLY_FIFO --set "fifo.path=$dir/fifo" --set "fifo.reply_dir=$dir" \
  --set "core.pid_file=$dir/pid" >"$dir/fg.out" 2>"$dir/fg.err" </dev/null &
daemon_pid=$!
if ! wait_for 50 -p "$dir/fifo" || ! wait_for 50 -s "$dir/pid"; then
  fail "foreground daemon: no FIFO or pid file after 5 s; stderr: $(cat "$dir/fg.err")"
else
  [ "$(cat "$dir/pid")" = "$daemon_pid" ] ||
    fail "foreground daemon: pid file holds '$(cat "$dir/pid")', expected $daemon_pid"
  kill -HUP "$daemon_pid"
  sleep 0.3
  kill -0 "$daemon_pid" 2>/dev/null || fail "foreground daemon: died on SIGHUP"
  kill -TERM "$daemon_pid"
  if ! wait_gone 50 "$daemon_pid"; then
    fail "foreground daemon: still running 5 s after SIGTERM"
  else
    wait "$daemon_pid"
    status=$?
    [ "$status" -eq 0 ] || fail "foreground daemon: exit $status after SIGTERM, expected 0"
    [ -e "$dir/fifo" ] && fail "foreground daemon: FIFO not removed at exit"
    [ -e "$dir/pid" ] && fail "foreground daemon: pid file not removed at exit"
    grep -q "stopped" "$dir/fg.err" || fail "foreground daemon: no 'stopped' in the log"
  fi
  daemon_pid=
fi

# --- background run: launcher exits 0, second instance refused, SIGINT stops it ------------
run -c "$CONF" $ONLY_FIFO --set "fifo.path=$dir/bgfifo" --set "fifo.reply_dir=$dir" \
  --set "core.pid_file=$dir/bg.pid" --set "core.log_file=$dir/bg.log"
expect_status 0
if [ "$status" -eq 0 ]; then
  bg_pid=$(cat "$dir/bg.pid" 2>/dev/null)
  [ -p "$dir/bgfifo" ] || fail "background daemon: no FIFO once the launcher exited"
  if [ -z "$bg_pid" ] || ! kill -0 "$bg_pid" 2>/dev/null; then
    fail "background daemon: pid file '$bg_pid' names no live process"
    bg_pid=
  else
    [ "$bg_pid" != "$run_pid" ] || fail "background daemon: pid file names the launcher"
    run -c "$CONF" --foreground $ONLY_FIFO --set "fifo.path=$dir/fifo2" --set "core.pid_file=$dir/bg.pid"
    expect_status 1
    expect_err "$dir/bg.pid"
    [ -e "$dir/fifo2" ] && fail "$what: created its FIFO although refused"
    kill -INT "$bg_pid"
    if ! wait_gone 50 "$bg_pid"; then
      fail "background daemon: still running 5 s after SIGINT"
    else
      [ -e "$dir/bgfifo" ] && fail "background daemon: FIFO not removed at exit"
      [ -e "$dir/bg.pid" ] && fail "background daemon: pid file not removed at exit"
      grep -q "SIGINT" "$dir/bg.log" || fail "background daemon: SIGINT not logged"
      grep -q "stopped" "$dir/bg.log" || fail "background daemon: no 'stopped' in the log"
    fi
    bg_pid=
  fi
fi

if [ "$failures" -ne 0 ]; then
  echo "daemon_cli_test: $failures check(s) failed" >&2
  exit 1
fi
echo "daemon_cli_test: all checks passed"
