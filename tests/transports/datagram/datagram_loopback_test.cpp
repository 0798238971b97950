// datagram_loopback_test.cpp: the datagram transport against the real daemon (spec/wire.md §4),
// over the unix socket and UDP, through our client (transports/datagram/datagram_client.h) and,
// where the client would refuse (empty datagrams, unbound senders), through raw sockets.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/daemon.h"
#include "support/sockets.h"
#include "transports/datagram/datagram_client.h"

namespace sb::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
using client::DatagramClient;
using client::DatagramClientOptions;
using client::DatagramReply;
using client::datagram_text_request;

enum class Via { unix_socket, udp };
const char* via_name(Via v) { return v == Via::unix_socket ? "unix" : "udp"; }

DatagramClientOptions options(const TestDaemon& d, Via via,
                              std::chrono::milliseconds timeout = 20s) {
  DatagramClientOptions o;
  if (via == Via::unix_socket) o.unix_path = d.unix_socket();
  else o.udp = "127.0.0.1:" + std::to_string(d.udp_port());
  o.client_dir = d.dir();
  o.client_prefix = "dgtest";
  o.timeout = timeout;
  return o;
}

std::string call(const TestDaemon& d, Via via, std::string_view request,
                 std::chrono::milliseconds timeout = 20s) {
  DatagramReply r = client::datagram_call(options(d, via, timeout), request);
  return r.ok ? r.text : "(no reply: " + r.error + ")";
}

std::string text(const TestDaemon& d, Via via, const std::string& cmd,
                 const std::vector<std::string>& params = {}) {
  return call(d, via, datagram_text_request(cmd, params));
}

// The FIFO is made before the datagram sockets: wait until the unix socket answers (UDP is
// bound before the unix socket file appears, so it is ready then too).
void wait_ready(const TestDaemon& d) {
  auto until = std::chrono::steady_clock::now() + 15s;
  for (;;) {
    DatagramReply r = client::datagram_call(options(d, Via::unix_socket, 1s), ":uptime:\n");
    if (r.ok) return;
    if (std::chrono::steady_clock::now() > until)
      FAIL() << "the datagram socket never answered: " << r.error << "\n" << d.log();
    std::this_thread::sleep_for(20ms);
  }
}

/// Files left in the test dir whose name starts with `prefix` (client sockets must be removed).
std::vector<std::string> files_with_prefix(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> out;
  std::string cmd = "ls -A '" + dir + "' 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char line[4096];
  while (std::fgets(line, sizeof line, p)) {
    std::string s(line);
    if (!s.empty() && s.back() == '\n') s.pop_back();
    if (s.rfind(prefix, 0) == 0) out.push_back(s);
  }
  ::pclose(p);
  return out;
}

class DatagramLoopback : public ::testing::TestWithParam<Via> {
 protected:
  static void SetUpTestSuite() {
    daemon_ = new TestDaemon();
    wait_ready(*daemon_);
  }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }
  static TestDaemon* daemon_;
  const TestDaemon& d() { return *daemon_; }
  Via via() const { return GetParam(); }
};
TestDaemon* DatagramLoopback::daemon_ = nullptr;

INSTANTIATE_TEST_SUITE_P(Datagram, DatagramLoopback, ::testing::Values(Via::unix_socket, Via::udp),
                         [](const auto& info) { return std::string(via_name(info.param)); });

TEST_P(DatagramLoopback, TextUptime) {
  std::string r = text(d(), via(), "uptime");
  ASSERT_EQ(r.rfind("200 OK\nNow:: ", 0), 0u) << r;
  EXPECT_NE(r.find("\nUp since:: "), std::string::npos) << r;
  EXPECT_NE(r.find("\nUp time:: "), std::string::npos) << r;
  EXPECT_EQ(r.substr(r.size() - 8), " [sec]\n\n") << r;
}

TEST_P(DatagramLoopback, ReplyNameAfterTheColonIsIgnored) {
  EXPECT_EQ(call(d(), via(), ":print:some_reply_name\nabc\n"), "200 OK\nabc\n\n");
  EXPECT_EQ(call(d(), via(), ":core:print:\nabc\n"), "200 OK\nabc\n\n");
}

TEST_P(DatagramLoopback, JsonUptime) {
  std::string r = call(d(), via(), R"({"jsonrpc":"2.0","method":"uptime","id":7})");
  ASSERT_EQ(r.rfind(R"({"jsonrpc":"2.0","result":{)", 0), 0u) << r;
  json j = json::parse(r);
  EXPECT_EQ(j["id"], 7);
  EXPECT_TRUE(j["result"].contains("Up time")) << r;
  // Leading blanks are allowed before the JSON.
  r = call(d(), via(), " \n{\"jsonrpc\":\"2.0\",\"method\":\"print\",\"params\":[\"j\"],\"id\":\"s\"}");
  EXPECT_EQ(r, R"({"jsonrpc":"2.0","result":"j","id":"s"})");
}

TEST_P(DatagramLoopback, UnknownCommand) {
  EXPECT_EQ(text(d(), via(), "nosuch"), "500 command 'nosuch' not available\n");
  json j = json::parse(call(d(), via(), R"({"jsonrpc":"2.0","method":"nosuch","id":1})"));
  EXPECT_EQ(j["error"]["code"], -32601);
  EXPECT_EQ(j["id"], 1);
}

TEST_P(DatagramLoopback, WrongArity) {
  EXPECT_EQ(text(d(), via(), "print", {"a", "b"}), "400 Too few or too many arguments\n\n");
  EXPECT_EQ(text(d(), via(), "print"), "400 Too few or too many arguments\n\n");
  json j = json::parse(call(d(), via(), R"({"jsonrpc":"2.0","method":"print","params":[],"id":2})"));
  EXPECT_EQ(j["error"]["code"], -32602);
}

TEST_P(DatagramLoopback, TextNamesAreCaseInsensitive) {
  EXPECT_EQ(text(d(), via(), "UpTime").rfind("200 OK\nNow:: ", 0), 0u);
  EXPECT_EQ(text(d(), via(), "PRINT", {"x"}), "200 OK\nx\n\n");
}

TEST_P(DatagramLoopback, PrintAndParamForms) {
  EXPECT_EQ(call(d(), via(), ":core:print:\nx\n"), "200 OK\nx\n\n");
  EXPECT_EQ(call(d(), via(), ":print:\nno newline at the end"), "200 OK\nno newline at the end\n\n");
  EXPECT_EQ(call(d(), via(), ":print:\ntext::named\n"), "200 OK\nnamed\n\n");
  EXPECT_EQ(call(d(), via(), ":print:\r\n.\r\n"), "200 OK\n\n\n");
  // An empty line ends the params, as on the FIFO (what follows is ignored).
  EXPECT_EQ(call(d(), via(), ":print:\nfirst\n\nignored\n"), "200 OK\nfirst\n\n");
}

TEST_P(DatagramLoopback, JsonNotificationRunsWithoutReply) {
  long long before = d().stat("mi:print_calls");
  ASSERT_GE(before, 0);
  DatagramReply r = client::datagram_call(options(d(), via(), 700ms),
                                          R"({"jsonrpc":"2.0","method":"print","params":["n"]})");
  EXPECT_FALSE(r.ok) << "a notification was answered: " << r.text;
  EXPECT_EQ(wait_stat(d(), "mi:print_calls", before + 1), before + 1);
}

TEST_P(DatagramLoopback, JsonBatch) {
  std::string r = call(d(), via(),
                       R"([{"jsonrpc":"2.0","method":"print","params":["a"],"id":1},)"
                       R"({"jsonrpc":"2.0","method":"nosuch","id":2},)"
                       R"({"jsonrpc":"2.0","method":"print","params":["n"]}])");
  json j = json::parse(r);
  ASSERT_TRUE(j.is_array()) << r;
  ASSERT_EQ(j.size(), 2u) << r;
  std::set<int> ids;
  for (auto& item : j) ids.insert(item["id"].get<int>());
  EXPECT_EQ(ids, (std::set<int>{1, 2}));
}

TEST_P(DatagramLoopback, MalformedRequestsAreAnswered) {
  long long before = d().stat("datagram:parse_errors");
  EXPECT_EQ(call(d(), via(), "hello\n"), "400 Parse error in command\n");
  EXPECT_EQ(call(d(), via(), ":uptime\n"), "400 Parse error in command\n");
  EXPECT_EQ(call(d(), via(), "::\n"), "400 Parse error in command\n");
  EXPECT_EQ(call(d(), via(), " \n"), "400 Parse error in command\n");
  EXPECT_EQ(call(d(), via(), ":print:\na::1\nb\n"), "400 Parse error in command 'print'\n");
  EXPECT_GE(d().stat("datagram:parse_errors"), before + 5);
  json j = json::parse(call(d(), via(), R"({"jsonrpc":"2.0","method":"uptime","id":1,})"));
  EXPECT_EQ(j["error"]["code"], -32700);
  j = json::parse(call(d(), via(), R"({"jsonrpc":"1.0","method":"uptime","id":3})"));
  EXPECT_EQ(j["error"]["code"], -32600);
  EXPECT_EQ(j["id"], 3);
  EXPECT_EQ(text(d(), via(), "print", {"still fine"}), "200 OK\nstill fine\n\n");
}

TEST_P(DatagramLoopback, ConcurrentClientsEachGetTheirOwnReplies) {
  constexpr int kThreads = 8, kRequests = 200;
  std::atomic<int> good{0};
  std::vector<std::string> bad(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      DatagramClient c(options(d(), via()));
      for (int i = 0; i < kRequests; ++i) {
        std::string tag = "c" + std::to_string(t) + "_" + std::to_string(i);
        DatagramReply r = (i % 2 == 0)
            ? c.call(datagram_text_request("print", {tag}))
            : c.call(R"({"jsonrpc":"2.0","method":"print","params":[")" + tag + R"("],"id":")" + tag + "\"}");
        std::string want = (i % 2 == 0)
            ? "200 OK\n" + tag + "\n\n"
            : R"({"jsonrpc":"2.0","result":")" + tag + R"(","id":")" + tag + "\"}";
        if (r.ok && r.text == want) good.fetch_add(1);
        else if (bad[t].empty()) bad[t] = tag + ": " + (r.ok ? r.text : r.error);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), kThreads * kRequests);
  for (const auto& b : bad) EXPECT_EQ(b, "");
}

TEST_P(DatagramLoopback, OversizedRequestGets400) {
  // Over the default 65457 bytes: only a unix datagram can carry it (UDP stops at 65507).
  std::size_t size = via() == Via::unix_socket ? 100000 : 65500;
  std::string big = ":print:\n" + std::string(size - 9, 'x') + "\n";
  ASSERT_EQ(big.size(), size);
  long long before = d().stat("datagram:request_too_large");
  EXPECT_EQ(call(d(), via(), big),
            "400 Request too large (" + std::to_string(size) + " > 65457 bytes)\n");
  const std::string head = R"({"jsonrpc":"2.0","method":"print","params":[")", foot = R"("],"id":9})";
  std::string big_json = head + std::string(size - head.size() - foot.size(), 'y') + foot;
  ASSERT_EQ(big_json.size(), size);
  json j = json::parse(call(d(), via(), big_json));
  EXPECT_EQ(j["error"]["code"], -32600);
  EXPECT_TRUE(j["id"].is_null());
  EXPECT_NE(j["error"]["data"].get<std::string>().find(std::to_string(size) + " > 65457"),
            std::string::npos) << j.dump();
  EXPECT_EQ(d().stat("datagram:request_too_large"), before + 2);
  EXPECT_EQ(text(d(), via(), "print", {"after"}), "200 OK\nafter\n\n");
}

TEST_P(DatagramLoopback, EmptyDatagramIsIgnoredAndLogged) {
  int fd;
  if (via() == Via::udp) {
    fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(d().udp_port()));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::sendto(fd, "", 0, 0, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  } else {
    fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, d().unix_socket().c_str(), sizeof a.sun_path - 1);
    ASSERT_EQ(::sendto(fd, "", 0, 0, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }
  ::close(fd);
  EXPECT_EQ(text(d(), via(), "print", {"after empty"}), "200 OK\nafter empty\n\n");
  bool logged = false;
  for (int i = 0; i < 200 && !logged; ++i) {
    logged = d().log().find(std::string("datagram ") + via_name(via()) + ": empty datagram") !=
             std::string::npos;
    if (!logged) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(logged) << d().log();
}

TEST_P(DatagramLoopback, StatisticsGroup) {
  std::string r = d().text("get_statistics", {"datagram:"});
  for (const char* s : {"requests", "replies", "reply_too_large", "request_too_large",
                        "parse_errors", "send_failures"})
    EXPECT_NE(r.find(std::string("\ndatagram:") + s + ":: "), std::string::npos) << s << "\n" << r;
  long long req = d().stat("datagram:requests"), rep = d().stat("datagram:replies");
  EXPECT_EQ(text(d(), via(), "print", {"count me"}), "200 OK\ncount me\n\n");
  EXPECT_GE(d().stat("datagram:requests"), req + 1);
  EXPECT_GE(wait_stat(d(), "datagram:replies", rep + 1), rep + 1);
}

TEST_P(DatagramLoopback, ClientSocketsAreRemoved) {
  EXPECT_EQ(text(d(), via(), "print", {"x"}), "200 OK\nx\n\n");
  // A call that times out (a notification gets no reply) and a client reused many times.
  client::datagram_call(options(d(), via(), 200ms), R"({"jsonrpc":"2.0","method":"print","params":["n"]})");
  {
    DatagramClient c(options(d(), via()));
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(c.call(":uptime:\n").ok);
  }
  EXPECT_EQ(files_with_prefix(d().dir(), "dgtest"), std::vector<std::string>{});
}

// --- daemons of their own -------------------------------------------------------------------

/// The <n> of a 413 answer `<head><n><tail>`, exactly; 0 when the answer has another shape.
std::size_t size_in_413(const std::string& reply, const std::string& head, const std::string& tail) {
  if (reply.size() <= head.size() + tail.size() || reply.rfind(head, 0) != 0 ||
      reply.compare(reply.size() - tail.size(), tail.size(), tail) != 0)
    return 0;
  std::string digits = reply.substr(head.size(), reply.size() - head.size() - tail.size());
  if (digits.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stoul(digits);
}

// 40 padding arguments make `arg`'s reply (the daemon's command line) larger than 1024 bytes, in
// both dialects, while the request stays tiny; its size is stable, so the 413 text is exact.
std::vector<std::string> small_max_sets() {
  std::vector<std::string> sets = {"datagram.max_size=1024"};
  for (int i = 0; i < 40; ++i) sets.push_back("core.log_level=info");
  return sets;
}

TEST(DatagramDaemon, ReplyTooLargeGets413InBothDialects) {
  TestDaemon d(small_max_sets());
  wait_ready(d);
  // The FIFO has no size limit: it tells how large the reply would have been.
  std::size_t text_size = d.text("arg").size();
  std::size_t json_size = d.json(R"({"jsonrpc":"2.0","method":"arg","id":42})").size() - 1;  // - "\n"
  ASSERT_GT(text_size, 1024u);
  ASSERT_GT(json_size, 1024u);
  long long before = d.stat("datagram:reply_too_large");
  for (Via via : {Via::unix_socket, Via::udp}) {
    SCOPED_TRACE(via_name(via));
    EXPECT_EQ(text(d, via, "arg"), "413 Reply too large (" + std::to_string(text_size) +
                                       " > 1024 bytes): use the FIFO or HTTP\n");
    EXPECT_EQ(call(d, via, R"({"jsonrpc":"2.0","method":"arg","id":42})"),
              R"({"jsonrpc":"2.0","error":{"code":413,"message":"Reply too large ()" +
                  std::to_string(json_size) + R"( > 1024 bytes): use the FIFO or HTTP"},"id":42})");
    // A batch has no single id: null.
    std::string batch =
        call(d, via, R"([{"jsonrpc":"2.0","method":"arg","id":1},{"jsonrpc":"2.0","method":"arg","id":2}])");
    EXPECT_GT(size_in_413(batch, R"({"jsonrpc":"2.0","error":{"code":413,"message":"Reply too large ()",
                          R"( > 1024 bytes): use the FIFO or HTTP"},"id":null})"),
              2 * json_size) << batch;
    std::string stats = text(d, via, "get_statistics", {"all"});
    EXPECT_GT(size_in_413(stats, "413 Reply too large (", " > 1024 bytes): use the FIFO or HTTP\n"),
              1024u) << stats;
    json j = json::parse(call(d, via, R"({"jsonrpc":"2.0","method":"get_statistics","params":[["all"]],"id":"s"})"));
    EXPECT_EQ(j["error"]["code"], 413) << j.dump();
    EXPECT_EQ(j["id"], "s");
    // Boundary: a 1024-byte reply fits, 1025 does not (a TAB is escaped as two bytes).
    std::string fits(1015, 'a');
    EXPECT_EQ(text(d, via, "print", {fits}), "200 OK\n" + fits + "\n\n");
    std::string grows = std::string(507, 'a') + "\t" + std::string(507, 'a');
    EXPECT_EQ(text(d, via, "print", {grows}),
              "413 Reply too large (1025 > 1024 bytes): use the FIFO or HTTP\n");
    // The daemon keeps answering.
    EXPECT_EQ(text(d, via, "print", {"alive"}), "200 OK\nalive\n\n");
  }
  EXPECT_EQ(d.stat("datagram:reply_too_large"), before + 12);
}

TEST(DatagramDaemon, RequestOverMaxSizeGets400) {
  TestDaemon d({"datagram.max_size=1024"});
  wait_ready(d);
  for (Via via : {Via::unix_socket, Via::udp}) {
    SCOPED_TRACE(via_name(via));
    std::string fits = ":print:\n" + std::string(1015, 'a') + "\n";
    ASSERT_EQ(fits.size(), 1024u);
    EXPECT_EQ(call(d, via, fits), "200 OK\n" + std::string(1015, 'a') + "\n\n");
    EXPECT_EQ(call(d, via, fits + "b"), "400 Request too large (1025 > 1024 bytes)\n");
    std::string big_json = R"({"jsonrpc":"2.0","method":"print","params":[")" + std::string(3000, 'z') +
                           R"("],"id":5})";
    json j = json::parse(call(d, via, big_json));
    EXPECT_EQ(j["error"]["code"], -32600) << j.dump();
    EXPECT_EQ(text(d, via, "print", {"alive"}), "200 OK\nalive\n\n");
  }
}

TEST(DatagramDaemon, UnixSocketHasItsModeAndIsRemovedAtStop) {
  TestDaemon d;
  wait_ready(d);
  struct stat st {};
  ASSERT_EQ(::lstat(d.unix_socket().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  EXPECT_EQ(d.stop(SIGTERM), 0) << d.log();
  EXPECT_NE(::lstat(d.unix_socket().c_str(), &st), 0) << "socket file left behind";
}

TEST(DatagramDaemon, UnixModeIsConfigurable) {
  TestDaemon d({"datagram.unix_mode=0600"});
  wait_ready(d);
  struct stat st {};
  ASSERT_EQ(::lstat(d.unix_socket().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST(DatagramDaemon, StaleSocketFileIsReplaced) {
  char tmpl[] = "/tmp/sbtest_stale_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string path = std::string(tmpl) + "/stale.sock";
  {  // A socket file nobody receives on any more (as after a crash).
    int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ::close(fd);
  }
  {
    TestDaemon d({"datagram.unix=" + path});
    DatagramClientOptions o;
    o.unix_path = path;
    o.client_dir = d.dir();
    o.timeout = 20s;
    DatagramReply r;
    for (int i = 0; i < 500 && !(r = client::datagram_call(o, ":print:\nfresh\n")).ok; ++i)
      std::this_thread::sleep_for(20ms);
    EXPECT_EQ(r.text, "200 OK\nfresh\n\n") << r.error << d.log();
  }
  struct stat st {};
  EXPECT_NE(::lstat(path.c_str(), &st), 0);
  ::rmdir(tmpl);
}

TEST(DatagramDaemon, RegularFileAtTheSocketPathIsAStartupError) {
  char tmpl[] = "/tmp/sbtest_plain_XXXXXX";
  int fd = ::mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  ::close(fd);
  auto [rc, err] = run_switchboard({"-c", std::string(SB_SOURCE_DIR) + "/conf/switchboard.conf",
                                    "--foreground", "--set", std::string("datagram.unix=") + tmpl,
                                    "--set", "fifo.path=", "--set", "http.listen=",
                                    "--set", "datagram.udp="});
  struct stat st {};
  bool still_there = ::lstat(tmpl, &st) == 0 && S_ISREG(st.st_mode);
  ::unlink(tmpl);
  EXPECT_EQ(rc, 1) << err;
  EXPECT_NE(err.find(std::string(tmpl) + " exists and is not a socket"), std::string::npos) << err;
  EXPECT_TRUE(still_there) << "the daemon removed a file that was not its socket";
}

TEST(DatagramDaemon, SocketServedByAnotherProcessIsAStartupError) {
  TestDaemon d;
  wait_ready(d);
  auto [rc, err] = run_switchboard({"-c", std::string(SB_SOURCE_DIR) + "/conf/switchboard.conf",
                                    "--foreground", "--set", "datagram.unix=" + d.unix_socket(),
                                    "--set", "fifo.path=", "--set", "http.listen=",
                                    "--set", "datagram.udp="});
  EXPECT_EQ(rc, 1) << err;
  EXPECT_NE(err.find("in use by another process"), std::string::npos) << err;
  EXPECT_EQ(text(d, Via::unix_socket, "print", {"still mine"}), "200 OK\nstill mine\n\n");
}

TEST(DatagramDaemon, ClientThatNeverReadsDoesNotDelayOthers) {
  // One receiving thread per socket: if it waited on a stuck client, nobody else would be served.
  TestDaemon d({"datagram.workers=1"});
  wait_ready(d);
  long long failures = d.stat("datagram:send_failures");
  std::string stuck_path = d.dir() + "/stuck.sock";
  int stuck = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un me{}, server{};
  me.sun_family = server.sun_family = AF_UNIX;
  std::strncpy(me.sun_path, stuck_path.c_str(), sizeof me.sun_path - 1);
  std::strncpy(server.sun_path, d.unix_socket().c_str(), sizeof server.sun_path - 1);
  ASSERT_EQ(::bind(stuck, reinterpret_cast<sockaddr*>(&me), sizeof me), 0);
  // Far more replies than its receive queue holds (net.unix.max_dgram_qlen, often 10); half
  // are dispatched (print), half answered at once by the receiver (unknown command).
  for (int i = 0; i < 60; ++i) {
    std::string req = i % 2 ? ":nosuch:\n" : ":print:\nstuck " + std::to_string(i) + "\n";
    ASSERT_EQ(::sendto(stuck, req.data(), req.size(), 0, reinterpret_cast<sockaddr*>(&server),
                       sizeof server), static_cast<ssize_t>(req.size()));
  }
  // Meanwhile, others are served on both sockets.
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(text(d, Via::unix_socket, "print", {"other"}), "200 OK\nother\n\n");
    EXPECT_EQ(text(d, Via::udp, "print", {"other"}), "200 OK\nother\n\n");
  }
  // The replies that did not fit were counted and logged, not lost silently.
  EXPECT_GT(wait_stat(d, "datagram:send_failures", failures + 1), failures);
  EXPECT_NE(d.log().find("cannot send the reply to " + stuck_path), std::string::npos) << d.log();
  ::close(stuck);
  ::unlink(stuck_path.c_str());
  EXPECT_EQ(text(d, Via::unix_socket, "print", {"after"}), "200 OK\nafter\n\n");
}

TEST(DatagramDaemon, UnboundUnixSenderRunsButItsReplyIsCountedAsUndeliverable) {
  TestDaemon d;
  wait_ready(d);
  long long calls = d.stat("mi:print_calls"), failures = d.stat("datagram:send_failures");
  int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un server{};
  server.sun_family = AF_UNIX;
  std::strncpy(server.sun_path, d.unix_socket().c_str(), sizeof server.sun_path - 1);
  std::string req = ":print:\nunbound\n";
  ASSERT_EQ(::sendto(fd, req.data(), req.size(), 0, reinterpret_cast<sockaddr*>(&server), sizeof server),
            static_cast<ssize_t>(req.size()));
  ::close(fd);
  EXPECT_EQ(wait_stat(d, "mi:print_calls", calls + 1), calls + 1);
  EXPECT_EQ(wait_stat(d, "datagram:send_failures", failures + 1), failures + 1);
  EXPECT_NE(d.log().find("unbound socket"), std::string::npos) << d.log();
}

TEST(DatagramDaemon, WorkersShowInPs) {
  TestDaemon d({"datagram.workers=3"});
  wait_ready(d);
  std::string ps;
  auto count = [&](const std::string& type) {
    std::size_t n = 0;
    for (auto pos = ps.find(type); pos != std::string::npos; pos = ps.find(type, pos + 1)) ++n;
    return n;
  };
  // A worker names itself when its thread first runs: on a loaded machine the last ones may do
  // so after the first datagram was already answered, so poll (bounded).
  for (int i = 0; i < 250; ++i) {
    ps = d.text("ps");
    if (count("datagram unix") >= 3 && count("datagram udp") >= 3) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(count("datagram unix"), 3u) << ps;
  EXPECT_EQ(count("datagram udp"), 3u) << ps;
}

TEST(DatagramDaemon, OnlyUdpOrOnlyUnix) {
  {
    TestDaemon d({"datagram.unix="});
    std::string r;
    for (int i = 0; i < 500; ++i) {
      r = call(d, Via::udp, ":print:\nudp only\n", 1s);
      if (r.rfind("200", 0) == 0) break;
      std::this_thread::sleep_for(20ms);
    }
    EXPECT_EQ(r, "200 OK\nudp only\n\n");
    struct stat st {};
    EXPECT_NE(::lstat(d.unix_socket().c_str(), &st), 0);
  }
  {
    TestDaemon d({"datagram.udp="});
    wait_ready(d);
    DatagramReply r = client::datagram_call(options(d, Via::udp, 2s), ":uptime:\n");
    EXPECT_FALSE(r.ok);
  }
}

TEST(DatagramClient, ReportsWhyThereIsNoReply) {
  char tmpl[] = "/tmp/sbtest_client_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  DatagramClientOptions o;
  o.client_dir = tmpl;
  o.client_prefix = "dgtest";
  o.timeout = 2s;
  o.unix_path = std::string(tmpl) + "/missing.sock";
  DatagramReply r = client::datagram_call(o, ":uptime:\n");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("no socket at " + o.unix_path), std::string::npos) << r.error;
  o.unix_path.clear();
  int port = 0;  // a port that was just free: bound to port 0 by this test, then closed
  int fd = bind_loopback(SOCK_DGRAM, &port);
  ASSERT_GE(fd, 0);
  ::close(fd);
  o.udp = "127.0.0.1:" + std::to_string(port);
  r = client::datagram_call(o, ":uptime:\n");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("nobody listens on udp " + o.udp), std::string::npos) << r.error;
  o.udp = "nohost:1";
  r = client::datagram_call(o, ":uptime:\n");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("not an IPv4/IPv6 address"), std::string::npos) << r.error;
  EXPECT_EQ(files_with_prefix(tmpl, "dgtest"), std::vector<std::string>{});
  ::rmdir(tmpl);
}

}  // namespace
}  // namespace sb::test
