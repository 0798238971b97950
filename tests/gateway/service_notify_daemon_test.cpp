// service_notify_daemon_test.cpp: systemd's notify protocol without systemd (issue #17) — the
// real daemon started with $NOTIFY_SOCKET pointing at the test's datagram socket sends READY=1
// (with its pid and a status line) once its listeners answer, WATCHDOG=1 every quarter of
// $WATCHDOG_USEC, STOPPING=1 at SIGTERM; when the SIP engine's thread is stopped (ptrace), the
// pings stop and the log says why, and they come back when it runs again.
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/daemon.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace sb::test {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

/// The service manager's end: a datagram socket at `path` collecting what the daemon sends.
class NotifySocket {
 public:
  explicit NotifySocket(std::string path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    path_.copy(a.sun_path, sizeof a.sun_path - 1);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    timeval tv{0, 50'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~NotifySocket() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  /// Every message received within `within` (stops early once `until` is among them).
  std::vector<std::string> collect(std::chrono::milliseconds within, const std::string& until = {}) {
    std::vector<std::string> out;
    auto end = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < end) {
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) continue;
      out.emplace_back(buf, static_cast<std::size_t>(n));
      if (!until.empty() && out.back().find(until) != std::string::npos) break;
    }
    return out;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

std::size_t count_of(const std::vector<std::string>& msgs, const std::string& what) {
  std::size_t n = 0;
  for (const auto& m : msgs) n += m == what;
  return n;
}

/// The daemon, started with the service manager's environment (inherited at its fork).
std::unique_ptr<TestDaemon> start_managed(const std::string& notify_path, const char* watchdog_usec) {
  ::setenv("NOTIFY_SOCKET", notify_path.c_str(), 1);
  if (watchdog_usec) ::setenv("WATCHDOG_USEC", watchdog_usec, 1);
  auto d = std::make_unique<TestDaemon>();
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  return d;
}

/// The kernel thread id of the SIP engine, from `ps`.
int engine_tid(const TestDaemon& d) {
  json r = json::parse(d.json(R"({"jsonrpc":"2.0","method":"ps","id":1})"), nullptr, false);
  if (r.is_discarded() || !r.contains("result")) return -1;
  for (const auto& p : r["result"]["Processes"])
    if (p.value("Type", "") == "SIP engine") return p.value("TID", -1);
  return -1;
}

TEST(ServiceNotify, ReadyWatchdogAndStoppingReachTheServiceManager) {
  TempDir dir;
  NotifySocket sm(dir.path() + "/notify");
  auto d = start_managed(sm.path(), "400000");
  auto msgs = sm.collect(3s, "READY=1");
  ASSERT_FALSE(msgs.empty());
  const std::string& ready = msgs.back();
  ASSERT_NE(ready.find("READY=1"), std::string::npos) << ready;
  EXPECT_NE(ready.find("MAINPID=" + std::to_string(d->pid())), std::string::npos) << ready;
  EXPECT_NE(ready.find("STATUS=switchboard "), std::string::npos) << ready;
  EXPECT_NE(ready.find("SIP: udp:127.0.0.1:" + std::to_string(d->sip_port())), std::string::npos) << ready;
  // Ready means answering: a command through the FIFO works right away.
  EXPECT_NE(d->text("uptime").find("200 OK"), std::string::npos);

  // Every 100 ms (a quarter of 400 ms): at least 5 in 1.2 s, whatever the machine's load.
  auto pings = sm.collect(1200ms);
  EXPECT_GE(count_of(pings, "WATCHDOG=1"), 5u) << pings.size() << " messages";
  EXPECT_NE(d->log().find("watchdog: every 400 ms"), std::string::npos) << d->log();

  EXPECT_EQ(d->stop(SIGTERM), 0);
  auto last = sm.collect(1s, "STOPPING=1");
  ASSERT_FALSE(last.empty());
  EXPECT_NE(last.back().find("STOPPING=1\nSTATUS=SIGTERM from pid"), std::string::npos) << last.back();
}

TEST(ServiceNotify, AStuckEngineStopsTheWatchdogPings) {
  TempDir dir;
  NotifySocket sm(dir.path() + "/notify");
  auto d = start_managed(sm.path(), "400000");
  ASSERT_FALSE(sm.collect(3s, "READY=1").empty());
  int tid = engine_tid(*d);
  ASSERT_GT(tid, 0);

  // Stop only the engine's thread (the others, the main one included, go on).
  ASSERT_EQ(::ptrace(PTRACE_SEIZE, tid, nullptr, nullptr), 0) << std::strerror(errno);
  ASSERT_EQ(::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr), 0) << std::strerror(errno);
  int status = 0;
  ASSERT_EQ(::waitpid(tid, &status, __WALL), tid);
  sm.collect(400ms);  // pings sent before half the interval went by
  auto silent = sm.collect(800ms);
  EXPECT_EQ(count_of(silent, "WATCHDOG=1"), 0u) << "pinged while the engine was stopped";
  EXPECT_TRUE(wait_until([&] { return d->log().find("the SIP engine's loop has not turned for") != std::string::npos; }, 2s))
      << d->log();

  ASSERT_EQ(::ptrace(PTRACE_DETACH, tid, nullptr, nullptr), 0) << std::strerror(errno);
  auto again = sm.collect(1s);
  EXPECT_GE(count_of(again, "WATCHDOG=1"), 3u);
  EXPECT_TRUE(wait_until([&] { return d->log().find("watchdog: the SIP engine turns again") != std::string::npos; }, 2s));
  EXPECT_EQ(d->stop(SIGTERM), 0) << d->log();
}

TEST(ServiceNotify, AReloadIsAnnouncedAndEndsReady) {
  TempDir dir;
  NotifySocket sm(dir.path() + "/notify");
  auto d = start_managed(sm.path(), nullptr);
  ASSERT_FALSE(sm.collect(3s, "READY=1").empty());
  ASSERT_EQ(::kill(d->pid(), SIGHUP), 0);
  auto msgs = sm.collect(3s, "READY=1");
  ASSERT_GE(msgs.size(), 2u);
  EXPECT_EQ(msgs[msgs.size() - 2].rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << msgs[msgs.size() - 2];
  EXPECT_EQ(msgs.back().rfind("READY=1\nSTATUS=reloaded ", 0), 0u) << msgs.back();
  EXPECT_EQ(d->stop(SIGTERM), 0);
}

TEST(ServiceNotify, WithoutAWatchdogOnlyReadyAndStoppingAreSent) {
  TempDir dir;
  NotifySocket sm(dir.path() + "/notify");
  auto d = start_managed(sm.path(), nullptr);
  ASSERT_FALSE(sm.collect(3s, "READY=1").empty());
  auto quiet = sm.collect(500ms);
  EXPECT_EQ(count_of(quiet, "WATCHDOG=1"), 0u);
  EXPECT_EQ(d->log().find("watchdog:"), std::string::npos);
  EXPECT_EQ(d->stop(SIGTERM), 0);
  auto last = sm.collect(1s, "STOPPING=1");
  ASSERT_FALSE(last.empty());
  EXPECT_EQ(last.back().rfind("STOPPING=1", 0), 0u) << last.back();
}

}  // namespace
}  // namespace sb::test
