// monitor_loopback_test.cpp: the ISGW monitor (transports/monitor/) against the real daemon, as
// an admin connection from loopback (the default): the overview, letters mapped onto MI
// commands and compared with the FIFO and HTTP answers, the numbered R listing and RrX, the
// log level letters, hardware and netlog letters, unknown input, telnet IAC bytes, line limits,
// ordering, end of input, `q`, and the shutdown goodbye.
#include <algorithm>
#include <chrono>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/daemon.h"
#include "support/monitor_client.h"
#include "support/wait.h"
#include "transports/http/http_client.h"

namespace sb::test {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::ordered_json;

constexpr auto npos = std::string::npos;

/// The `Key` of every `Key:: value` line (CR LF or LF line ends).
std::vector<std::string> keys(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (auto sep = line.find(":: "); sep != npos) out.push_back(line.substr(0, sep));
    start = end + 1;
  }
  return out;
}

/// The value of the `key:: value` line.
std::string value_of(const std::string& text, const std::string& key) {
  auto pos = text.find(key + ":: ");
  if (pos == npos) return "(no " + key + ")";
  auto end = text.find_first_of("\r\n", pos);
  return text.substr(pos + key.size() + 3, end - pos - key.size() - 3);
}

/// The first line without its end (CR LF or LF).
std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

class MonitorTest : public ::testing::Test {
 protected:
  TestDaemon daemon_;
};

TEST_F(MonitorTest, ConnectShowsTheOverviewThenAPrompt) {
  MonitorClient c(daemon_.monitor_port());
  ASSERT_TRUE(c.connected());
  std::string g = c.greeting();
  EXPECT_TRUE(g.starts_with("ISGW Status Monitor\r\n")) << g;
  EXPECT_TRUE(g.ends_with("\r\n> ")) << g;
  EXPECT_NE(g.find("\r\nu\t:uptime [uptime]\r\n"), npos) << g;
  EXPECT_NE(g.find("\r\nblX\t:block/unblock port X (toggles) [port_block X]\r\n"), npos) << g;
  EXPECT_NE(g.find("\r\nR\t:status of incoming registrations"), npos) << g;
  EXPECT_NE(g.find("\r\nq\t:disconnect\r\n"), npos) << g;
  // Every line after the header is `<letters>\t:<description>`.
  std::string body = g.substr(g.find("\r\n") + 2);
  body.resize(body.size() - 4);  // "\r\n> "
  std::size_t start = 0, n = 0;
  while (start < body.size()) {
    std::size_t end = body.find("\r\n", start);
    if (end == npos) end = body.size();
    std::string line = body.substr(start, end - start);
    EXPECT_TRUE(std::regex_match(line, std::regex("[^\t]+\t:[^\t]+"))) << line;
    start = end + 2;
    ++n;
  }
  EXPECT_GT(n, 40u);

  EXPECT_EQ(c.command("h") + "> ", g);  // h prints the same overview
}

TEST_F(MonitorTest, UptimeMatchesTheFifoAndHttpResults) {
  MonitorClient c(daemon_.monitor_port());
  c.greeting();
  std::string monitor = c.command("u");
  std::string fifo = daemon_.text("uptime");
  client::HttpClientOptions o;
  o.port = daemon_.http_port();
  o.timeout = 20s;
  auto http = client::http_post(o, "/mi", R"({"jsonrpc":"2.0","method":"uptime","id":1})");
  ASSERT_TRUE(http.ok) << http.error;
  json result = json::parse(http.body)["result"];

  std::vector<std::string> http_keys;
  for (auto it = result.begin(); it != result.end(); ++it) http_keys.push_back(it.key());
  EXPECT_EQ(keys(monitor), (std::vector<std::string>{"Now", "Up since", "Up time"})) << monitor;
  EXPECT_EQ(keys(monitor), keys(fifo)) << fifo;
  EXPECT_EQ(keys(monitor), http_keys) << http.body;
  EXPECT_EQ(value_of(monitor, "Up since"), value_of(fifo, "Up since"));
  EXPECT_EQ(value_of(monitor, "Up since"), result["Up since"].get<std::string>());
  EXPECT_TRUE(std::regex_match(value_of(monitor, "Up time"), std::regex("[0-9]+ \\[sec\\]")));
  // The body only: no status line, CR LF line ends.
  EXPECT_TRUE(monitor.starts_with("Now:: ")) << monitor;
  EXPECT_EQ(monitor.find("\n", monitor.find("Now:: ")), monitor.find("\r\n") + 1);
}

TEST_F(MonitorTest, RListsRegistrationsNumberedAndRrReleasesByNumber) {
  ASSERT_EQ(daemon_.text("ul_add", {"location", "alice@example.com", "sip:alice@127.0.0.1:5071", "3600"}),
            "200 OK\n\n");
  ASSERT_EQ(daemon_.text("ul_add", {"location", "bob@example.com", "sip:bob@127.0.0.1:5072", "0"}),
            "200 OK\n\n");
  MonitorClient c(daemon_.monitor_port());
  c.greeting();
  EXPECT_EQ(c.command("Rr1"), "Rr1: no R listing on this connection yet: type R first\r\n");

  std::string listing = c.command("R");
  EXPECT_TRUE(std::regex_match(
      listing, std::regex("incoming registrations: 2 \\(RrX releases entry X\\)\r\n"
                          "1\talice@example\\.com\tsip:alice@127\\.0\\.0\\.1:5071\texpires 3[56][0-9][0-9]\r\n"
                          "2\tbob@example\\.com\tsip:bob@127\\.0\\.0\\.1:5072\texpires permanent\r\n")))
      << listing;

  EXPECT_EQ(c.command("Rr3"), "Rr3: no entry 3 in the last R listing (1..2)\r\n");
  EXPECT_EQ(c.command("Rr0"), "Rr0: no entry 0 in the last R listing (1..2)\r\n");
  EXPECT_EQ(c.command("Rr"), "RrX needs the entry number of the last R listing, e.g. Rr1\r\n");
  EXPECT_EQ(c.command("Rr1"), "released entry 1: alice@example.com sip:alice@127.0.0.1:5071\r\n");
  std::string dump = daemon_.text("ul_dump");
  EXPECT_EQ(dump.find("sip:alice@127.0.0.1:5071"), npos) << dump;
  EXPECT_NE(dump.find("sip:bob@127.0.0.1:5072"), npos) << dump;

  // The numbers stay those of the listing the user saw: entry 2 is still bob.
  EXPECT_TRUE(c.command("Rr1").starts_with("404 ")) << "already released";
  EXPECT_EQ(c.command("Rr 2"), "released entry 2: bob@example.com sip:bob@127.0.0.1:5072\r\n");
  EXPECT_EQ(daemon_.text("ul_dump").find("sip:bob@"), npos);
  EXPECT_EQ(c.command("R"), "incoming registrations: none\r\n");
  EXPECT_EQ(c.command("Rr1"), "Rr1: the last R listing was empty\r\n");

  // Another connection has its own listing.
  MonitorClient other(daemon_.monitor_port());
  other.greeting();
  EXPECT_EQ(other.command("Rr1"), "Rr1: no R listing on this connection yet: type R first\r\n");
}

TEST_F(MonitorTest, VerbosityLettersChangeAndShowTheLogLevel) {
  MonitorClient c(daemon_.monitor_port());
  c.greeting();
  EXPECT_EQ(c.command("v"), "New global log level:: debug\r\n");
  EXPECT_NE(daemon_.text("log_level").find("Log level:: debug"), npos);
  EXPECT_EQ(c.command("V"), "Log level:: debug\r\n");
  EXPECT_EQ(c.command("m"), "New global log level:: info\r\n");
  EXPECT_EQ(c.command("V"), "Log level:: info\r\n");
  EXPECT_EQ(c.command("lm0"), "New global log level:: warn\r\n");
  EXPECT_EQ(c.command("ld1"), "New global log level:: debug\r\n");
  EXPECT_EQ(c.command("dbg"), "New global log level:: info\r\n");  // toggles debug → info
  EXPECT_EQ(c.command("dbg"), "New global log level:: debug\r\n");  // and back
  EXPECT_EQ(c.command("ld0"), "New global log level:: info\r\n");
  EXPECT_NE(daemon_.text("log_level").find("Log level:: info"), npos);
}

TEST_F(MonitorTest, UnknownInputSaysSoThenShowsTheOverview) {
  MonitorClient c(daemon_.monitor_port());
  std::string overview = c.greeting();
  overview.resize(overview.size() - 2);  // without the prompt
  EXPECT_EQ(c.command("zzz"), "'zzz' not understood\r\n" + overview);
  EXPECT_EQ(c.command("bl3x"), "'bl3x' not understood\r\n" + overview);
  EXPECT_EQ(c.command("u u"), "'u u' not understood\r\n" + overview);
  // Control characters are shown escaped, never sent back raw.
  EXPECT_EQ(c.command("a\x1b[2Jb"), "'a\\x1b[2Jb' not understood\r\n" + overview);
  // An empty line is only a new prompt.
  c.send("\r\n");
  EXPECT_EQ(c.read_until("> ", 5s), "> ");
}

TEST_F(MonitorTest, HardwareAndNetlogLettersAreNotSupported) {
  MonitorClient c(daemon_.monitor_port());
  c.greeting();
  const std::pair<const char*, const char*> hardware[] = {
      {"bc", "ISDN"},       {"itp3", "ISDN"},   {"ev_mcid:4", "ISDN"},   {"pcm", "PCM/TDM"},
      {"ltdm", "PCM/TDM"},  {"bert", "E1/T1 line"}, {"sbert2", "E1/T1 line"},
      {"tbert_start", "E1/T1 line"}, {"at+cgsn", "GSM"}, {"gop_list", "GSM"}, {"poogli1", "GSM"},
      {"torture_gsm7", "GSM"}, {"rgc", "GSM"}};
  for (const auto& [letters, what] : hardware)
    EXPECT_EQ(c.command(letters),
              std::string(letters) + ": not supported on this gateway (no " + what + " hardware)\r\n");
  for (const char* letters : {"n", "t", "ts", "ll", "lla", "lld"})
    EXPECT_EQ(c.command(letters),
              std::string(letters) + ": not supported on this gateway (netlog is not implemented)\r\n");
  EXPECT_EQ(c.command("sl35"),
            "sl35: not supported on this gateway (no per-module log levels: use v, m or V)\r\n");
  for (const char* letters : {"lcpt", "rcpt"})
    EXPECT_EQ(c.command(letters), std::string(letters) +
                                      ": not supported on this gateway (no call progress tones: these lines carry no media)\r\n");
}

TEST_F(MonitorTest, NumberRowsAndDispatcherErrors) {
  MonitorClient c(daemon_.monitor_port());
  c.greeting();
  // A number row passes its number; without one it says so.
  EXPECT_EQ(c.command("bl"), "blX needs a number right after the letters, e.g. bl1\r\n");
  // A handler error comes out as the dispatcher's status line, the same as over the FIFO.
  std::string fifo = first_line(daemon_.text("call_show", {"5"}));
  EXPECT_TRUE(fifo.starts_with("404 ")) << "no call 5 on this daemon: " << fifo;
  EXPECT_EQ(first_line(c.command("cc5")), fifo);
}

TEST_F(MonitorTest, DialplanTestPromptsForNumberCallerAndSource) {
  MonitorClient c(daemon_.monitor_port());
  c.greeting();
  c.send("dts\r\n");
  EXPECT_EQ(c.read_until(": ", 5s), "dts: ");
  EXPECT_EQ(c.read_until("cancel): ", 5s), "called number (empty line: cancel): ");
  c.send("0301234\r\n");
  EXPECT_EQ(c.read_until("(empty: none): ", 5s), "dts: caller number (empty: none): ");
  c.send("\r\n");
  EXPECT_EQ(c.read_until("port:N): ", 5s),
            "dts: source [any] (any, account:NAME, subscriber:USER, group:NAME, port:N): ");
  c.send("\r\n");
  std::string answer = c.read_until("\r\n> ", 20s);
  // The same call over the FIFO: dp_translate any 0301234 (the caller left out).
  std::string fifo = daemon_.text("dp_translate", {"any", "0301234"});
  if (!fifo.starts_with("200 OK")) {
    EXPECT_EQ(first_line(answer), first_line(fifo));
  } else {
    EXPECT_FALSE(answer.starts_with("200 OK")) << answer;  // the monitor prints bodies only
  }

  // One-line form, and an empty number cancels.
  std::string one_line = c.command("dti 0301234 555");
  std::string fifo_dti = daemon_.text("dp_translate", {"group:isdn", "0301234", "555"});
  if (!fifo_dti.starts_with("200 OK")) {
    EXPECT_EQ(first_line(one_line), first_line(fifo_dti));
  }
  c.send("dtg\r\n");
  c.read_until("cancel): ", 5s);
  EXPECT_EQ(c.command(""), "dialplan test cancelled\r\n");
}

TEST_F(MonitorTest, ClearScreenSendsTheAnsiSequence) {
  MonitorClient c(daemon_.monitor_port());
  c.greeting();
  c.send("c\r\n");
  EXPECT_EQ(c.read_until("> ", 5s), "\x1b[H\x1b[2J> ");
}

TEST_F(MonitorTest, TelnetNegotiationBytesAreIgnoredAndRefused) {
  MonitorClient c(daemon_.monitor_port());
  c.greeting();
  // IAC WILL TTYPE, IAC DO ECHO, a subnegotiation, IAC NOP inside the line, IAC DONT SGA.
  const char raw[] = "\xff\xfb\x18\xff\xfd\x01\xff\xfa\x18\x00xterm\xff\xf0u\xff\xf1\xff\xfe\x03\r\n";
  c.send(std::string(raw, sizeof raw - 1));
  std::string out = c.read_until("\r\n> ");
  EXPECT_NE(out.find("\xff\xfe\x18"), npos) << "IAC DONT TTYPE expected";
  EXPECT_NE(out.find("\xff\xfc\x01"), npos) << "IAC WONT ECHO expected";
  EXPECT_EQ(out.find("\xff\xfc\x03"), npos) << "a DONT needs no answer";
  EXPECT_NE(out.find("Up time:: "), npos) << out;
  EXPECT_EQ(out.find("not understood"), npos) << out;
  // A line ended by CR NUL (telnet's bare CR) works too.
  c.send(std::string("V\r\0", 3));
  EXPECT_EQ(c.read_until("\r\n> "), "Log level:: info\r\n> ");
}

TEST_F(MonitorTest, TwoCommandsInOnePacketAnswerInOrder) {
  MonitorClient c(daemon_.monitor_port());
  c.greeting();
  // R runs on the engine thread, u inline on the dispatcher's caller, V on a worker: without
  // per-connection ordering u would overtake R.
  c.send("R\r\nu\nV\r\n");
  std::string out = c.read_until("> ");
  out += c.read_until("> ");
  out += c.read_until("> ");
  auto r = out.find("incoming registrations"), u = out.find("Up time:: "), v = out.find("Log level:: ");
  ASSERT_NE(r, npos) << out;
  ASSERT_NE(u, npos) << out;
  ASSERT_NE(v, npos) << out;
  EXPECT_LT(r, u);
  EXPECT_LT(u, v);
}

TEST_F(MonitorTest, EndOfInputRunsTheQueuedLinesThenCloses) {
  MonitorClient c(daemon_.monitor_port());
  c.send("u\r\nV");  // the last line has no line end: the end of input ends it
  c.shutdown_write();
  std::string out = c.read_to_close();
  EXPECT_TRUE(c.eof());
  EXPECT_NE(out.find("Up time:: "), npos) << out;
  EXPECT_NE(out.find("Log level:: "), npos) << out;
}

TEST_F(MonitorTest, QDisconnects) {
  MonitorClient c(daemon_.monitor_port());
  c.greeting();
  c.send("q\r\n");
  EXPECT_EQ(c.read_to_close(), "bye\r\n");
  EXPECT_TRUE(c.eof());
  EXPECT_NE(daemon_.text("uptime").find("200 OK"), npos);  // only the connection ended
}

TEST_F(MonitorTest, ShutdownSaysGoodbyeToOpenConnections) {
  MonitorClient c(daemon_.monitor_port());
  c.greeting();
  EXPECT_EQ(daemon_.stop(SIGTERM), 0);
  std::string out = c.read_to_close();
  EXPECT_TRUE(c.eof());
  EXPECT_NE(out.find("switchboard is shutting down: closing\r\n"), npos) << out;
}

TEST_F(MonitorTest, XShutsTheDaemonDownForAnAdmin) {
  MonitorClient c(daemon_.monitor_port());
  c.greeting();
  EXPECT_EQ(c.command("x"), "OK\r\n");
  EXPECT_EQ(daemon_.wait_exit(10s), 0);
}

TEST(MonitorLimits, OverlongLineIsAnsweredAndTheConnectionStaysUsable) {
  TestDaemon d({"monitor.max_line=16"});
  MonitorClient c(d.monitor_port());
  c.greeting();
  EXPECT_EQ(c.command(std::string(40, 'a')), "line too long (more than 16 bytes): ignored\r\n");
  // A line spread over several reads counts as a whole: the daemon has read the first part (and
  // found no line end in it) before the rest is sent.
  ASSERT_TRUE(c.send(std::string(10, 'b')));
  ASSERT_TRUE(c.wait_consumed()) << "the daemon never read the first part";
  EXPECT_EQ(c.command(std::string(10, 'b')), "line too long (more than 16 bytes): ignored\r\n");
  EXPECT_TRUE(c.command(std::string(16, 'c')).starts_with("'cccccccccccccccc' not understood"));
  EXPECT_TRUE(c.command("u").starts_with("Now:: "));
}

TEST(MonitorLimits, MaxConnectionsRefusesOneMoreWithOneLine) {
  TestDaemon d({"monitor.max_connections=2"});
  MonitorClient a(d.monitor_port()), b(d.monitor_port());
  a.greeting();
  b.greeting();
  MonitorClient refused(d.monitor_port());
  EXPECT_EQ(refused.read_to_close(),
            "too many connections (2 open, monitor.max_connections): try again later\r\n");
  EXPECT_TRUE(refused.eof());
  EXPECT_EQ(d.stat("monitor:connections_refused"), 1);
  a.close();
  ASSERT_TRUE(wait_until([&] { return d.stat("monitor:connections") == 1; })) << d.stat("monitor:connections");
  MonitorClient again(d.monitor_port());
  EXPECT_TRUE(again.greeting().starts_with("ISGW Status Monitor"));
  EXPECT_TRUE(b.command("u").starts_with("Now:: "));  // the others were never disturbed
}

TEST(MonitorLimits, IdleConnectionsAreClosed) {
  TestDaemon d({"monitor.idle_timeout_s=1"});
  MonitorClient c(d.monitor_port());
  c.greeting();
  auto start = std::chrono::steady_clock::now();
  std::string out = c.read_to_close(10s);
  EXPECT_TRUE(c.eof());
  EXPECT_EQ(out, "\r\nidle for 1 s: closing\r\n");
  EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms);
}

}  // namespace
}  // namespace sb::test
