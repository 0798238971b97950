// core_commands_test.cpp: every `core` command in-process, through the real Dispatcher.
#include "gateway/core/core_commands.h"
#include "mi/reply_schema.h"

#include <unistd.h>

#include <atomic>
#include <climits>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "mi/threads.h"
#include "support/mi_harness.h"

namespace sb::gateway {
namespace {

using mi::Result;
using mi::Value;

class CoreCommands : public ::testing::Test, public sb::test::MiHarness {
 protected:
  CoreCommands() {
    ctx_.argv = {"switchboard", "-c", "conf/switchboard.conf"};
    ctx_.started = std::chrono::system_clock::now() - std::chrono::seconds(42);
    ctx_.request_shutdown = [this] { shutdowns_.fetch_add(1); };
    register_core_commands(registry_, stats_, ctx_);
  }
  ~CoreCommands() override { spdlog::set_level(spdlog::level::info); }

  CoreContext ctx_;
  std::atomic<int> shutdowns_{0};
};

TEST_F(CoreCommands, EveryCommandIsRegisteredInModuleCore) {
  for (const char* name : {"uptime", "version", "which", "help", "ps", "pwd", "arg", "print",
                           "log_level", "get_statistics", "list_statistics", "reset_statistics",
                           "kill"}) {
    const mi::CommandSpec* s = registry_.find(name);
    ASSERT_NE(s, nullptr) << name;
    EXPECT_EQ(s->module, "core");
    EXPECT_EQ(registry_.find(std::string("core:") + name), s);
  }
}

TEST_F(CoreCommands, Uptime) {
  Result r = call("uptime");
  ASSERT_TRUE(r.ok());
  const Value& v = r.value();
  ASSERT_EQ(v.size(), 3u);
  auto it = v.begin();
  EXPECT_EQ(it.key(), "Now");
  EXPECT_EQ((++it).key(), "Up since");
  EXPECT_EQ((++it).key(), "Up time");
  std::string up = v["Up time"];
  EXPECT_TRUE(up == "42 [sec]" || up == "43 [sec]") << up;
  // ctime() layout: "Sun Nov 22 10:00:00 2026", no trailing newline.
  std::string now = v["Now"];
  EXPECT_EQ(now.size(), 24u) << now;
  EXPECT_NE(now.back(), '\n');
}

TEST_F(CoreCommands, Version) {
  Result r = call("version");
  ASSERT_TRUE(r.ok());
  std::string server = r.value()["Server"];
  EXPECT_EQ(server, server_banner());
  EXPECT_EQ(server.rfind("Switchboard (", 0), 0u);
  EXPECT_NE(server.find("/linux))"), std::string::npos) << server;
}

TEST_F(CoreCommands, WhichListsVisibleCommandsInOrder) {
  registry_.add({.name = "secret", .module = "test", .summary = "A hidden command",
                 .flags = mi::kHidden | mi::kReadOnly,
                 .reply = mi::schema::ok(),
                 .handler = [](const mi::Args&) -> Result { return mi::ok_value(); }});
  Result r = call("which");
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r.value().is_array());
  EXPECT_EQ(r.value()[0], "uptime");
  EXPECT_EQ(r.value().size(), 14u);
  for (const auto& n : r.value()) EXPECT_NE(n, "secret");
}

TEST_F(CoreCommands, WhichCommandGivesItsParameterLists) {
  Result r = call("which", Value::array({"log_level"}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), Value::parse(R"([[],["level"],["level","pid"]])"));
  r = call("which", Value{{"command", "print"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), Value::parse(R"([["text"]])"));
  r = call("which", Value::array({"nosuch"}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 404);
  EXPECT_EQ(r.error().reason, "unknown MI command");
}

TEST_F(CoreCommands, Help) {
  Result r = call("help", Value{{"mi_cmd", "get_statistics"}});
  ASSERT_TRUE(r.ok());
  const Value& v = r.value();
  EXPECT_EQ(v["Exported by"], "core");
  EXPECT_EQ(v["Usage"], "get_statistics <statistics...>");  // built from the spec, shown first
  EXPECT_EQ(v.begin().key(), "Usage");
  EXPECT_FALSE(v["Help"].get<std::string>().empty());
  ASSERT_EQ(v["Params"].size(), 1u);
  EXPECT_EQ(v["Params"][0]["name"], "statistics");
  EXPECT_EQ(v["Params"][0]["type"], "array");
  EXPECT_EQ(v["Params"][0]["required"], true);
  EXPECT_EQ(v["Flags"], Value::array({"read_only"}));
  EXPECT_EQ(call("help", Value::array({"kill"})).value()["Flags"], Value::array({"admin"}));
  EXPECT_EQ(call("help", Value::array({"help"})).value()["Usage"], "help [mi_cmd]");
  r = call("help");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.value().is_string());
  r = call("help", Value::array({"nosuch"}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 404);
}

TEST_F(CoreCommands, PsListsRegisteredThreads) {
  mi::ThreadTag tag("test main");
  Result r = call("ps");
  ASSERT_TRUE(r.ok());
  const Value& procs = r.value()["Processes"];
  ASSERT_TRUE(procs.is_array());
  bool saw_test = false, saw_worker = false;
  for (const auto& p : procs) {
    EXPECT_TRUE(p["ID"].is_number_integer());
    EXPECT_GT(p["TID"].get<long>(), 0);
    if (p["Type"] == "test main") saw_test = true;
    if (p["Type"] == "MI worker") saw_worker = true;
  }
  EXPECT_TRUE(saw_test);
  EXPECT_TRUE(saw_worker);
}

TEST_F(CoreCommands, PwdAndArg) {
  char cwd[PATH_MAX];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  EXPECT_EQ(call("pwd").value(), (Value{{"WD", cwd}}));
  EXPECT_EQ(call("arg").value(), Value::array({"switchboard", "-c", "conf/switchboard.conf"}));
}

TEST_F(CoreCommands, PrintEchoes) {
  EXPECT_EQ(call("print", Value::array({"hello world"})).value(), "hello world");
  EXPECT_EQ(call("print", Value::array({42})).value(), "42");
  Result r = call("print");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, mi::ErrorKind::arity);
}

TEST_F(CoreCommands, LogLevel) {
  spdlog::set_level(spdlog::level::info);
  EXPECT_EQ(call("log_level").value(), (Value{{"Log level", "info"}}));
  EXPECT_EQ(call("log_level", Value::array({"debug"})).value(),
            (Value{{"New global log level", "debug"}}));
  EXPECT_EQ(spdlog::get_level(), spdlog::level::debug);
  EXPECT_EQ(call("log_level", Value::array({"-1"})).value(),
            (Value{{"New global log level", "error"}}));
  Result bad = call("log_level", Value::array({"loud"}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, mi::ErrorKind::bad_param);
  EXPECT_EQ(spdlog::get_level(), spdlog::level::err);
  Result other = call("log_level", Value::array({"info", ::getpid() + 1}));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, 404);
  EXPECT_EQ(other.error().reason, "Process not found");
  EXPECT_EQ(call("log_level", Value::array({"info", std::to_string(::getpid())})).value(),
            (Value{{"New global log level", "info"}}));
  Result typed = call("log_level", Value::array({"info", "abc"}));
  ASSERT_FALSE(typed.ok());
  EXPECT_EQ(typed.error().kind, mi::ErrorKind::bad_param);
  EXPECT_EQ(mi::text_status_line(typed.error()),
            "400 Bad parameter 'pid': expected an integer, got 'abc'");
  EXPECT_EQ(spdlog::get_level(), spdlog::level::info);
  Result ro = call("log_level", Value::array({"info"}), mi::Role::read_only);
  ASSERT_FALSE(ro.ok());
  EXPECT_EQ(ro.error().code, 403);
}

TEST_F(CoreCommands, GetStatistics) {
  stats_.counter("tm", "UAC_transactions").inc(3);
  stats_.gauge("usrloc", "registered_users").set(7);
  stats_.counter("load", "udp:1.2.3.4:5060-load").inc();
  Result r = call("get_statistics", Value::array({"tm:", "usrloc:registered_users"}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), Value::parse(R"({"tm:UAC_transactions":3,"usrloc:registered_users":7})"));
  // Text transports pass each item as its own positional param; they fold into the array.
  r = call("get_statistics", Value::array({"UAC_transactions", "load:udp:1.2.3.4:5060-load"}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().size(), 2u);
  r = call("get_statistics", Value::array({"all"}));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.value().contains("mi:calls"));
  EXPECT_TRUE(r.value().contains("tm:UAC_transactions"));
  r = call("get_statistics", Value{{"statistics", Value::array({"nosuch:"})}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 404);
  EXPECT_EQ(r.error().reason, "Statistics Not Found");
}

TEST_F(CoreCommands, DispatcherCountsItsOwnCallsInGroupMi) {
  call("print", Value::array({"a"}));
  call("print", Value::array({"b"}));
  call("print");
  Result r = call("get_statistics", Value::array({"mi:print_calls", "mi:print_errors"}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value()["mi:print_calls"], 3);
  EXPECT_EQ(r.value()["mi:print_errors"], 1);
}

TEST_F(CoreCommands, ListStatistics) {
  stats_.counter("tm", "UAC_transactions");
  stats_.gauge("usrloc", "registered_users");
  Result r = call("list_statistics", Value::array({"tm:", "usrloc:"}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), Value::parse(
      R"({"tm:UAC_transactions":"incremental","usrloc:registered_users":"non-incremental"})"));
  r = call("list_statistics");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value()["mi:calls"], "incremental");
  EXPECT_EQ(call("list_statistics", Value::array({"zz:"})).error().code, 404);
}

TEST_F(CoreCommands, ResetStatistics) {
  stats_.counter("tm", "UAC_transactions").inc(5);
  stats_.gauge("usrloc", "registered_users").set(9);
  Result r = call("reset_statistics", Value::array({"tm:", "usrloc:"}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), "OK");
  EXPECT_EQ(stats_.counter("tm", "UAC_transactions").get(), 0);
  EXPECT_EQ(stats_.gauge("usrloc", "registered_users").get(), 9) << "gauges are not reset";
  EXPECT_EQ(call("reset_statistics", Value::array({"nosuch"})).error().code, 404);
  EXPECT_EQ(call("reset_statistics", Value::array({"tm:"}), mi::Role::read_only).error().code, 403);
}

TEST_F(CoreCommands, KillNeedsAdminAndRequestsShutdown) {
  Result r = call("kill", nullptr, mi::Role::operator_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 403);
  EXPECT_EQ(shutdowns_.load(), 0);
  r = call("kill");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), "OK");
  EXPECT_EQ(shutdowns_.load(), 1);
}

TEST_F(CoreCommands, ReadOnlyCallerMayReadButNotChange) {
  EXPECT_TRUE(call("uptime", nullptr, mi::Role::read_only).ok());
  EXPECT_TRUE(call("get_statistics", Value::array({"all"}), mi::Role::read_only).ok());
  EXPECT_EQ(call("kill", nullptr, mi::Role::read_only).error().code, 403);
}

}  // namespace
}  // namespace sb::gateway
