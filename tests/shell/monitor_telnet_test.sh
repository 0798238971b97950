#!/bin/sh
# monitor_telnet_test.sh: the ISGW status monitor (transports/monitor/) with clients we did not
# write: a scripted session through socat (which half-closes at the end of its input: the lines
# still run, then the monitor closes), and a session typed through Debian's telnet client,
# including telnet commands it sends itself (IAC AYT, IAC DO ECHO from its `send` escape
# commands) that must not be taken as input.
# Run by ctest with SB_BIN_DIR=<build>/bin and SB_SOURCE_DIR=<repository>. POSIX sh; every
# check runs and reports, then the script exits 1 if any failed.
set -u

. "$SB_SOURCE_DIR/tests/shell/lib.sh"
command -v socat >/dev/null 2>&1 || { echo "FAIL: socat is not installed" >&2; exit 1; }
command -v telnet >/dev/null 2>&1 || { echo "FAIL: telnet is not installed (scripts/setup.sh)" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "FAIL: python3 is not installed" >&2; exit 1; }
sb_init sbmonitor_test
sb_start_daemon --set "monitor.listen=127.0.0.1:0"
port=$(sb_port monitor)

# expect_line <file> <basic regex> <what>: a line of the file (CR removed) matches.
expect_line() {
  tr -d '\r' <"$1" | grep -q -- "$2" || fail "$3: no line matches '$2'; output: $(tr -d '\r' <"$1")"
}

# --- socat: a scripted session --------------------------------------------------------------
printf 'u\nV\nbc\nbert5\nzzz\nlcpt\nq\n' |
  socat -t5 - "TCP:127.0.0.1:$port" >"$dir/socat.out" 2>"$dir/socat.err"
status=$?
[ "$status" -eq 0 ] || fail "socat exited $status: $(cat "$dir/socat.err")"
what=socat
[ "$(head -n 1 "$dir/socat.out" | tr -d '\r')" = "ISGW Status Monitor" ] ||
  fail "$what: the first line is not the overview header: $(head -n 1 "$dir/socat.out")"
expect_line "$dir/socat.out" '^u	:uptime \[uptime\]$' "$what overview"
expect_line "$dir/socat.out" '^> Now:: ' "$what u"
expect_line "$dir/socat.out" '^Up time:: [0-9]* \[sec\]$' "$what u"
expect_line "$dir/socat.out" '^> Log level:: info$' "$what V (loopback is admin)"
expect_line "$dir/socat.out" '^> bc: not supported on this gateway (no ISDN hardware)$' "$what bc"
expect_line "$dir/socat.out" '^> bert5: not supported on this gateway (no E1/T1 line hardware)$' "$what bert5"
expect_line "$dir/socat.out" "^> 'zzz' not understood\$" "$what zzz"
expect_line "$dir/socat.out" "^> lcpt: not supported on this gateway (no call progress tones: these lines carry no media)\$" "$what lcpt"
[ "$(tail -c 7 "$dir/socat.out" | od -An -c | tr -d ' \n')" = '>bye\r\n' ] ||
  fail "$what: the session does not end with 'bye' CR LF: $(tail -c 20 "$dir/socat.out" | od -c)"
# Every line ends with CR LF (telnet NVT).
bare=$(awk '!/\r$/' "$dir/socat.out" | wc -l)
[ "$bare" -eq 0 ] || fail "$what: $bare line(s) end without CR"
# The answers came in the order of the lines.
order=$(tr -d '\r' <"$dir/socat.out" | grep -n -e '^> Now:: ' -e '^> Log level:: ' -e '^> bc: ' -e '^> bye' |
  cut -d: -f2- | cut -c1-6 | tr '\n' '|')
[ "$order" = "> Now:|> Log |> bc: |> bye|" ] || fail "$what: answers out of order: $order"

# End of input without q: the queued lines run, then the monitor closes (socat exits by itself).
printf 'u\nR\n' | socat -t5 - "TCP:127.0.0.1:$port" >"$dir/eof.out" 2>&1
expect_line "$dir/eof.out" '^> Now:: ' "end of input"
# (sip.listen is off here: R gets the engine's 503, printed as the status line)
expect_line "$dir/eof.out" '^> 503 SIP engine not running$' "end of input"

# --- telnet: a typed session ----------------------------------------------------------------
# `^]send ayt` and `^]send do echo` make telnet itself send IAC AYT and IAC DO ECHO; the monitor
# answers the DO with IAC WONT ECHO (which telnet consumes) and takes neither as a command.
{
  sleep 0.5
  printf 'u\n'
  sleep 0.3
  printf '\035send ayt\n'
  sleep 0.3
  printf '\035send do echo\n'
  sleep 0.3
  printf 'V\n'
  sleep 0.3
  printf 'q\n'
  sleep 3
} | telnet 127.0.0.1 "$port" >"$dir/telnet.out" 2>&1
what=telnet
expect_line "$dir/telnet.out" "^Connected to 127.0.0.1" "$what"
expect_line "$dir/telnet.out" '^ISGW Status Monitor$' "$what"
expect_line "$dir/telnet.out" '^> Now:: ' "$what u"
expect_line "$dir/telnet.out" '^> Log level:: info$' "$what V after the telnet commands"
expect_line "$dir/telnet.out" '^> bye$' "$what q"
expect_line "$dir/telnet.out" '^Connection closed by foreign host' "$what q closes"
if tr -d '\r' <"$dir/telnet.out" | grep -q 'not understood'; then
  fail "$what: a telnet command was taken as input: $(tr -d '\r' <"$dir/telnet.out")"
fi

sb_stop_daemon
if [ "$failures" -ne 0 ]; then
  echo "monitor_telnet_test: $failures check(s) failed; daemon output:" >&2
  cat "$dir/daemon.log" >&2
  exit 1
fi
echo "monitor_telnet_test: all checks passed"
