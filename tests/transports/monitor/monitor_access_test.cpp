// monitor_access_test.cpp: who may change things over the ISGW monitor — read-only connections
// (monitor.anonymous_role read_only, the default; TestDaemon opens it up) are refused by the dispatcher; `login`
// with the right password gives admin, a wrong one is answered after a delay and the third
// closes the connection; the daemon refuses to listen off loopback without a password, and
// reports a port in use.
#include <unistd.h>

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "support/daemon.h"
#include "support/monitor_client.h"

namespace sb::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto npos = std::string::npos;
constexpr const char* kReadOnly = "403 Forbidden\r\n'log_level' changes state; this caller is read-only\r\n";

std::string conf() { return std::string(SB_SOURCE_DIR) + "/conf/switchboard.conf"; }

TEST(MonitorAccess, ReadOnlyConnectionsMayLookButNotChange) {
  TestDaemon d({"monitor.anonymous_role=read_only"});
  ASSERT_EQ(d.text("ul_add", {"location", "carol@example.com", "sip:carol@127.0.0.1:5073", "0"}),
            "200 OK\n\n");
  MonitorClient c(d.monitor_port());
  c.greeting();
  EXPECT_TRUE(c.command("u").starts_with("Now:: "));
  EXPECT_TRUE(c.command("R").starts_with("incoming registrations: 1 "));
  // log_level is not read-only (it sets the level), so even showing it is refused.
  EXPECT_EQ(c.command("v"), std::string(kReadOnly) + "this connection is read-only\r\n");
  EXPECT_EQ(c.command("V"), std::string(kReadOnly) + "this connection is read-only\r\n");
  EXPECT_NE(d.text("log_level").find("Log level:: info"), npos) << "unchanged";
  EXPECT_EQ(c.command("x"),
            "403 Forbidden\r\n'kill' changes state; this caller is read-only\r\n"
            "this connection is read-only\r\n");
  EXPECT_TRUE(c.command("Rr1").starts_with("403 Forbidden\r\n'ul_rm_contact' changes state"));
  EXPECT_NE(d.text("ul_dump").find("sip:carol@127.0.0.1:5073"), npos) << "not released";
  EXPECT_EQ(c.command("login anything"), "login is disabled: monitor.password is not set\r\n");
  EXPECT_NE(d.text("uptime").find("200 OK"), npos) << "x did not shut the daemon down";
}

TEST(MonitorAccess, LoginWithThePasswordGivesAdmin) {
  TestDaemon d({"monitor.password=s3cret", "monitor.anonymous_role=read_only"});
  MonitorClient c(d.monitor_port());
  c.greeting();
  // With a password even loopback connections start read-only.
  EXPECT_EQ(c.command("v"), std::string(kReadOnly) +
                                "this connection is read-only: `login <password>` gives the admin role\r\n");
  EXPECT_EQ(c.command("login"), "usage: login <password>\r\n");

  auto start = Clock::now();
  EXPECT_EQ(c.command("login s3cre"), "login failed: wrong password\r\n");
  EXPECT_GE(Clock::now() - start, 900ms) << "a wrong password is answered after a delay";
  EXPECT_EQ(c.command("login s3cret"), "logged in: admin role\r\n");
  EXPECT_EQ(c.command("v"), "New global log level:: debug\r\n");
  EXPECT_EQ(c.command("V"), "Log level:: debug\r\n");

  // Each connection logs in for itself.
  MonitorClient other(d.monitor_port());
  other.greeting();
  EXPECT_TRUE(other.command("m").starts_with("403 Forbidden"));
  EXPECT_EQ(d.stat("monitor:auth_failures"), 1);
}

TEST(MonitorAccess, ThreeWrongPasswordsCloseTheConnection) {
  TestDaemon d({"monitor.password=s3cret", "monitor.anonymous_role=read_only"});
  MonitorClient c(d.monitor_port());
  c.greeting();
  EXPECT_EQ(c.command("login a"), "login failed: wrong password\r\n");
  EXPECT_EQ(c.command("login b"), "login failed: wrong password\r\n");
  c.send("login s3cret-not\r\n");
  EXPECT_EQ(c.read_to_close(), "login failed: wrong password; 3 failures, closing\r\n");
  EXPECT_TRUE(c.eof());
  EXPECT_EQ(d.stat("monitor:auth_failures"), 3);
  // Lines typed meanwhile do not run: the delay holds the connection's queue.
}

TEST(MonitorAccess, TypedAheadLinesWaitForTheLoginDelay) {
  TestDaemon d({"monitor.password=s3cret", "monitor.anonymous_role=read_only"});
  MonitorClient c(d.monitor_port());
  c.greeting();
  c.send("login wrong\r\nlogin s3cret\r\nv\r\n");
  std::string out = c.read_until("New global log level:: debug\r\n", 10s);
  EXPECT_NE(out.find("login failed: wrong password\r\n> logged in: admin role\r\n> "), npos) << out;
}

TEST(MonitorAccess, OffLoopbackWithoutPasswordIsRefusedAtStart) {
  char tmpl[] = "/tmp/sbtest_mon_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  auto [rc, err] = run_switchboard({"-c", conf(), "--foreground", "--set", "fifo.path=" + dir + "/fifo",
                                    "--set", "datagram.unix=", "--set", "datagram.udp=", "--set",
                                    "http.listen=", "--set", "monitor.listen=0.0.0.0:0"});
  EXPECT_EQ(rc, 1) << err;
  EXPECT_NE(err.find("monitor.listen 0.0.0.0:0 is not a loopback address and monitor.password is "
                     "not set"),
            npos)
      << err;
  EXPECT_NE(access((dir + "/fifo").c_str(), F_OK), 0) << "the FIFO is removed after a failed start";
  ::rmdir(dir.c_str());
}

TEST(MonitorAccess, PortInUseIsAStartupError) {
  TestDaemon running;
  char tmpl[] = "/tmp/sbtest_mon_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  std::string listen = "127.0.0.1:" + std::to_string(running.monitor_port());
  auto [rc, err] = run_switchboard({"-c", conf(), "--foreground", "--set", "fifo.path=" + dir + "/fifo",
                                    "--set", "datagram.unix=", "--set", "datagram.udp=", "--set",
                                    "http.listen=", "--set", "monitor.listen=" + listen});
  EXPECT_EQ(rc, 1) << err;
  EXPECT_NE(err.find("monitor: cannot listen on " + listen + ": Address already in use"), npos) << err;
  ::rmdir(dir.c_str());
  MonitorClient c(running.monitor_port());  // the running daemon is unaffected
  EXPECT_TRUE(c.greeting().starts_with("ISGW Status Monitor"));
}

}  // namespace
}  // namespace sb::test
