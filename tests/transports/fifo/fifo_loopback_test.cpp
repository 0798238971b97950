// fifo_loopback_test.cpp: the FIFO transport against the real daemon (spec/wire.md §3).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>

#include <cstdio>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/daemon.h"

namespace sb::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

class FifoLoopback : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { daemon_ = new TestDaemon(); }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }
  static TestDaemon* daemon_;
  const TestDaemon& d() { return *daemon_; }
};
TestDaemon* FifoLoopback::daemon_ = nullptr;

// Reads whatever arrives on a FIFO (opened non-blocking for reading) within `wait`.
std::string drain_for(int fd, std::chrono::milliseconds wait) {
  std::string out;
  auto until = std::chrono::steady_clock::now() + wait;
  char buf[4096];
  while (std::chrono::steady_clock::now() < until) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) out.append(buf, static_cast<std::size_t>(n));
    std::this_thread::sleep_for(10ms);
  }
  return out;
}

TEST_F(FifoLoopback, TextUptimeIsOpenSipsStyle) {
  std::string r = d().text("uptime");
  ASSERT_EQ(r.rfind("200 OK\nNow:: ", 0), 0u) << r;
  EXPECT_NE(r.find("\nUp since:: "), std::string::npos) << r;
  EXPECT_NE(r.find("\nUp time:: "), std::string::npos) << r;
  EXPECT_NE(r.find(" [sec]\n\n"), std::string::npos) << r;
  EXPECT_EQ(r.substr(r.size() - 2), "\n\n");
}

TEST_F(FifoLoopback, TextCommandNamesAreCaseInsensitive) {
  EXPECT_EQ(d().text("UpTime").rfind("200 OK\n", 0), 0u);
}

TEST_F(FifoLoopback, JsonUptime) {
  std::string r = d().json(R"({"jsonrpc":"2.0","method":"uptime","id":7})");
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(r.back(), '\n');
  EXPECT_EQ(r.find('\n'), r.size() - 1) << "one line: " << r;
  json j = json::parse(r);
  EXPECT_EQ(j["jsonrpc"], "2.0");
  EXPECT_EQ(j["id"], 7);
  EXPECT_TRUE(j["result"].contains("Up time"));
  EXPECT_EQ(r.rfind(R"({"jsonrpc":"2.0","result":{)", 0), 0u) << r;
}

TEST_F(FifoLoopback, UnknownCommand) {
  EXPECT_EQ(d().text("nosuch"), "500 command 'nosuch' not available\n");
  json j = json::parse(d().json(R"({"jsonrpc":"2.0","method":"nosuch","id":1})"));
  EXPECT_EQ(j["error"]["code"], -32601);
  EXPECT_EQ(j["error"]["message"], "Method not found");
}

TEST_F(FifoLoopback, WrongArity) {
  EXPECT_EQ(d().text("print", {"a", "b"}), "400 Too few or too many arguments\n\n");
  EXPECT_EQ(d().text("print"), "400 Too few or too many arguments\n\n");
  json j = json::parse(d().json(R"({"jsonrpc":"2.0","method":"print","params":[],"id":2})"));
  EXPECT_EQ(j["error"]["code"], -32602);
  EXPECT_EQ(j["error"]["message"], "Invalid params");
  EXPECT_TRUE(j["error"].contains("data"));
}

TEST_F(FifoLoopback, BadParamType) {
  EXPECT_EQ(d().text("which", {"nosuchcmd"}), "404 unknown MI command\n\n");
}

TEST_F(FifoLoopback, NamedAndDotParams) {
  EXPECT_EQ(d().text("print", {"text::hello there"}), "200 OK\nhello there\n\n");
  EXPECT_EQ(d().text("print", {"."}), "200 OK\n\n\n");
  json j = json::parse(d().json(R"({"jsonrpc":"2.0","method":"print","params":{"text":"x"},"id":"a"})"));
  EXPECT_EQ(j["result"], "x");
  EXPECT_EQ(j["id"], "a");
}

TEST_F(FifoLoopback, ModuleQualifiedName) {
  EXPECT_EQ(d().text("core:print", {"q"}), "200 OK\nq\n\n");
}

TEST_F(FifoLoopback, StatisticsOverText) {
  std::string r = d().text("get_statistics", {"mi:calls", "fifo:"});
  EXPECT_NE(r.find("\nmi:calls:: "), std::string::npos) << r;
  EXPECT_NE(r.find("\nfifo:requests:: "), std::string::npos) << r;
  EXPECT_EQ(d().text("get_statistics", {"nosuch:stat"}), "404 Statistics Not Found\n\n");
}

TEST_F(FifoLoopback, RequestWithoutReplyNameRuns) {
  long long before = d().stat("mi:print_calls");
  ASSERT_GE(before, 0);
  d().write_raw(":print:\nfire and forget\n\n");
  // The stat() call itself does not call print: exactly one more.
  EXPECT_EQ(wait_stat(d(), "mi:print_calls", before + 1), before + 1);
}

TEST_F(FifoLoopback, JsonNotificationGetsNoReplyButRuns) {
  long long before = d().stat("mi:print_calls");
  d().write_raw(R"(::{"jsonrpc":"2.0","method":"print","params":["n"]})");
  EXPECT_EQ(wait_stat(d(), "mi:print_calls", before + 1), before + 1);
}

TEST_F(FifoLoopback, JsonBatch) {
  std::string r = d().json(
      R"([{"jsonrpc":"2.0","method":"print","params":["a"],"id":1},{"jsonrpc":"2.0","method":"nosuch","id":2}])");
  json j = json::parse(r);
  ASSERT_TRUE(j.is_array()) << r;
  ASSERT_EQ(j.size(), 2u);
  std::set<int> ids;
  for (auto& item : j) ids.insert(item["id"].get<int>());
  EXPECT_EQ(ids, (std::set<int>{1, 2}));
}

TEST_F(FifoLoopback, MalformedJsonAnswered) {
  json j = json::parse(d().json(R"({"jsonrpc":"2.0","method":"uptime","id":1,})"));
  EXPECT_EQ(j["error"]["code"], -32700);
  EXPECT_TRUE(j["id"].is_null());
  j = json::parse(d().json(R"({"jsonrpc":"1.0","method":"uptime","id":3})"));
  EXPECT_EQ(j["error"]["code"], -32600);
  EXPECT_EQ(j["id"], 3);
}

TEST_F(FifoLoopback, UnsafeReplyNamesAreRefused) {
  // A FIFO one level above the reply dir: `../x` must never reach it.
  std::string outside = d().dir() + "/x";
  ASSERT_EQ(::mkfifo(outside.c_str(), 0600), 0);
  int outside_fd = ::open(outside.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(outside_fd, 0);
  std::string sub = d().reply_dir() + "/a";
  ::mkdir(sub.c_str(), 0700);
  std::string inner = sub + "/b";
  ASSERT_EQ(::mkfifo(inner.c_str(), 0600), 0);
  int inner_fd = ::open(inner.c_str(), O_RDONLY | O_NONBLOCK);
  std::string hidden = d().reply_dir() + "/.hidden";
  ASSERT_EQ(::mkfifo(hidden.c_str(), 0600), 0);
  int hidden_fd = ::open(hidden.c_str(), O_RDONLY | O_NONBLOCK);

  long long refused_before = d().stat("fifo:bad_reply_names");
  long long uptime_before = d().stat("mi:uptime_calls");
  d().write_raw(":uptime:../x\n\n:uptime:a/b\n\n:uptime:.hidden\n\n");
  // Names are refused before dispatch: the command does not run at all.
  EXPECT_EQ(wait_stat(d(), "fifo:bad_reply_names", refused_before + 3), refused_before + 3);
  EXPECT_EQ(d().stat("mi:uptime_calls"), uptime_before);
  EXPECT_EQ(drain_for(outside_fd, 200ms), "");
  EXPECT_EQ(drain_for(inner_fd, 10ms), "");
  EXPECT_EQ(drain_for(hidden_fd, 10ms), "");
  ::close(outside_fd);
  ::close(inner_fd);
  ::close(hidden_fd);
}

TEST_F(FifoLoopback, SymlinkReplyTargetIsRefused) {
  std::string target = d().dir() + "/target";
  ASSERT_EQ(::mkfifo(target.c_str(), 0600), 0);
  int fd = ::open(target.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(fd, 0);
  std::string link = d().reply_dir() + "/link";
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  long long failures_before = d().stat("fifo:reply_failures");
  d().write_raw(":uptime:link\n\n");
  EXPECT_EQ(wait_stat(d(), "fifo:reply_failures", failures_before + 1), failures_before + 1);
  EXPECT_EQ(drain_for(fd, 200ms), "");
  ::close(fd);
}

TEST_F(FifoLoopback, ClientThatNeverOpensItsReplyDoesNotBlockOthers) {
  std::string dead = d().reply_dir() + "/dead";
  ASSERT_EQ(::mkfifo(dead.c_str(), 0600), 0);
  long long failures_before = d().stat("fifo:reply_failures");
  d().write_raw(":uptime:dead\n\n");
  // Served while the writer is still retrying the dead client's FIFO.
  EXPECT_EQ(d().text("print", {"alive"}), "200 OK\nalive\n\n");
  EXPECT_EQ(wait_stat(d(), "fifo:reply_failures", failures_before + 1), failures_before + 1);
}

TEST_F(FifoLoopback, ConcurrentWritersEachGetTheirOwnReply) {
  constexpr int kThreads = 8, kCalls = 200;
  std::atomic<int> wrong{0}, done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        std::string token = "w" + std::to_string(t) + "-" + std::to_string(i);
        std::string expect = "200 OK\n" + token + "\n\n";
        std::string got = (i % 2) ? d().text("print", {token})
                                  : d().json(R"({"jsonrpc":"2.0","method":"print","params":[")" + token +
                                             R"("],"id":")" + token + "\"}");
        if (i % 2 == 0)
          expect = R"({"jsonrpc":"2.0","result":")" + token + R"(","id":")" + token + "\"}\n";
        if (got != expect) {
          if (wrong.fetch_add(1) < 3) ADD_FAILURE() << "expected " << expect << " got " << got;
        }
        done.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(done.load(), kThreads * kCalls);
  EXPECT_EQ(wrong.load(), 0);
}

TEST_F(FifoLoopback, GarbageThenValidRequest) {
  auto r = d().call([](const std::string& reply) {
    return "this is not a request\nneither is this\n\n:print:" + reply + "\nafter garbage\n\n";
  });
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.text, "200 OK\nafter garbage\n\n");
  auto r2 = d().call([](const std::string& reply) {
    return ":no second colon\n\n:print:" + reply + "\nstill fine\n\n";
  });
  ASSERT_TRUE(r2.ok) << r2.error;
  EXPECT_EQ(r2.text, "200 OK\nstill fine\n\n");
}

TEST_F(FifoLoopback, OneMebibyteTextRequestIsRefusedWith400) {
  std::string big;
  big.reserve(1 << 20);
  while (big.size() < (1u << 20)) big += std::string(1023, 'x') + "\n";
  auto r = d().call([&](const std::string& reply) { return ":print:" + reply + "\n" + big + "\n"; });
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.text.rfind("400 Request too large (", 0), 0u) << r.text.substr(0, 200);
  EXPECT_EQ(d().text("print", {"still up"}), "200 OK\nstill up\n\n");
}

TEST_F(FifoLoopback, OneMebibyteJsonRequestIsRefused) {
  std::string big(1 << 20, 'y');
  auto r = d().call([&](const std::string& reply) {
    return client::json_request(R"({"jsonrpc":"2.0","method":"print","params":[")" + big + R"("],"id":9})",
                                reply);
  });
  ASSERT_TRUE(r.ok) << r.error;
  json j = json::parse(r.text);
  EXPECT_EQ(j["error"]["code"], -32600);
  EXPECT_NE(j["error"]["data"].get<std::string>().find("too large"), std::string::npos);
  EXPECT_EQ(d().text("print", {"still up"}), "200 OK\nstill up\n\n");
}

TEST_F(FifoLoopback, FifoDeletedWhileRunningIsRecreated) {
  ASSERT_EQ(::unlink(d().fifo().c_str()), 0);
  struct stat st {};
  bool back = false;
  for (int i = 0; i < 500 && !back; ++i) {
    std::this_thread::sleep_for(10ms);
    back = ::stat(d().fifo().c_str(), &st) == 0 && S_ISFIFO(st.st_mode);
  }
  ASSERT_TRUE(back) << "FIFO not re-created";
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  EXPECT_EQ(d().text("print", {"again"}), "200 OK\nagain\n\n");
  EXPECT_GE(d().stat("fifo:recreated"), 1);
}

TEST(FifoDaemon, FifoReplacedByARegularFileIsRecreated) {
  // `printf … > path` after the FIFO was removed leaves a regular file there: the transport must
  // not stay deaf (issue #11), and it says so once, not every second.
  TestDaemon d;
  ASSERT_EQ(::unlink(d.fifo().c_str()), 0);
  {
    std::FILE* f = std::fopen(d.fifo().c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(":uptime:x\n\n", f);
    std::fclose(f);
  }
  struct stat st {};
  bool back = false;
  for (int i = 0; i < 500 && !back; ++i) {
    std::this_thread::sleep_for(10ms);
    back = ::stat(d.fifo().c_str(), &st) == 0 && S_ISFIFO(st.st_mode);
  }
  ASSERT_TRUE(back) << "the regular file was not replaced by the FIFO: " << d.log();
  EXPECT_EQ(d.text("print", {"again"}), "200 OK\nagain\n\n");
  EXPECT_GE(d.stat("fifo:recreated"), 1);
}

TEST(FifoDaemon, ClientThatNeverReadsItsReplyTimesOutWithoutBlockingOthers) {
  TestDaemon d({"fifo.max_request=400000", "fifo.reply_timeout_ms=300"});
  std::string stuck = d.reply_dir() + "/stuck";
  ASSERT_EQ(::mkfifo(stuck.c_str(), 0600), 0);
  int fd = ::open(stuck.c_str(), O_RDONLY | O_NONBLOCK);  // opened, never read
  ASSERT_GE(fd, 0);
  long long failures_before = d.stat("fifo:reply_failures");
  // A 200 KB reply cannot fit the 64 KiB pipe buffer: the writer blocks until its deadline.
  d.write_raw(":print:stuck\n" + std::string(200000, 's') + "\n\n");
  EXPECT_EQ(d.text("print", {"meanwhile"}), "200 OK\nmeanwhile\n\n");
  EXPECT_EQ(wait_stat(d, "fifo:reply_failures", failures_before + 1), failures_before + 1);
  ::close(fd);
  EXPECT_NE(d.log().find("did not read the reply within 300 ms"), std::string::npos) << d.log();
}

TEST(FifoDaemon, KillRepliesThenShutsDownAndRemovesTheFifo) {
  TestDaemon d;
  EXPECT_EQ(d.text("kill"), "200 OK\n\n");
  EXPECT_EQ(d.wait_exit(10s), 0) << d.log();
  struct stat st {};
  EXPECT_NE(::stat(d.fifo().c_str(), &st), 0) << "FIFO left behind";
}

TEST(FifoDaemon, SigtermFinishesAndRemovesTheFifo) {
  TestDaemon d;
  EXPECT_EQ(d.text("print", {"x"}), "200 OK\nx\n\n");
  EXPECT_EQ(d.stop(SIGTERM), 0) << d.log();
  struct stat st {};
  EXPECT_NE(::stat(d.fifo().c_str(), &st), 0);
}

TEST(FifoDaemon, ExistingNonFifoPathIsAStartupError) {
  char tmpl[] = "/tmp/sbtest_plain_XXXXXX";
  int fd = ::mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  ::close(fd);
  auto [rc, err] = run_switchboard({"-c", std::string(SB_SOURCE_DIR) + "/conf/switchboard.conf",
                                    "--foreground", "--set", std::string("fifo.path=") + tmpl});
  ::unlink(tmpl);
  EXPECT_EQ(rc, 1) << err;
  EXPECT_NE(err.find("not a FIFO"), std::string::npos) << err;
}

}  // namespace
}  // namespace sb::test
