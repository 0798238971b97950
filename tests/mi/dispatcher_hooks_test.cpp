// dispatcher_hooks_test.cpp: Request::precondition (REST's If-Match) and the config hook
// (configuration revisions): where and when each runs.
#include "mi/dispatcher.h"
#include "mi/reply_schema.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace sb::mi {
namespace {

CommandSpec spec(std::string name, unsigned flags, std::function<Result(const Args&)> handler) {
  CommandSpec s;
  s.name = std::move(name);
  s.module = "test";
  s.summary = "a test command";
  s.flags = flags;
  s.reply = schema::any();
  s.handler = std::move(handler);
  return s;
}

/// Runs posted jobs at once on the posting thread (an engine queue of its own is not the point).
class TestEngine : public Executor {
 public:
  bool post(std::function<void()> job) override {
    job();
    return true;
  }
};

Request req(std::string method) { return Request{std::move(method), nullptr, Caller{"test", "unit", Role::admin}}; }

TEST(DispatcherHooks, APreconditionRunsOnTheHandlersThreadJustBeforeIt) {
  Registry registry;
  Statistics stats;
  std::atomic<int> handled{0};
  std::thread::id handler_thread, precondition_thread;
  registry.add(spec("write", 0, [&](const Args&) -> Result {
    handler_thread = std::this_thread::get_id();
    handled.fetch_add(1);
    return Value("done");
  }));
  Dispatcher d(registry, stats);

  Request ok = req("write");
  ok.precondition = [&]() -> std::optional<Error> {
    precondition_thread = std::this_thread::get_id();
    EXPECT_EQ(handled.load(), 0) << "the precondition runs before the handler";
    return std::nullopt;
  };
  Result r = d.call_sync(std::move(ok));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(handled.load(), 1);
  EXPECT_EQ(precondition_thread, handler_thread);
  EXPECT_NE(precondition_thread, std::this_thread::get_id()) << "a worker ran both";

  Request refused = req("write");
  refused.precondition = [] { return std::optional<Error>(Error::failure(412, "Precondition Failed")); };
  r = d.call_sync(std::move(refused));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 412);
  EXPECT_EQ(handled.load(), 1) << "a refused precondition keeps the handler from running";
}

TEST(DispatcherHooks, TheConfigHookFollowsEachSuccessfulConfigWriteOnly) {
  Registry registry;
  Statistics stats;
  TestEngine engine;
  registry.add(spec("config_write", kConfig | kEngine, [](const Args&) -> Result { return Value("ok"); }));
  registry.add(spec("config_fails", kConfig | kEngine, [](const Args&) -> Result { return Error::failure(409, "exists"); }));
  registry.add(spec("plain_write", 0, [](const Args&) -> Result { return Value("ok"); }));
  Dispatcher d(registry, stats);
  d.set_engine(&engine);
  std::vector<std::string> recorded;
  std::mutex mu;
  d.set_config_hook([&](const CommandSpec& s) {
    std::lock_guard lk(mu);
    recorded.push_back(s.name);
  });
  EXPECT_TRUE(d.call_sync(req("config_write")).ok());
  EXPECT_FALSE(d.call_sync(req("config_fails")).ok());
  EXPECT_TRUE(d.call_sync(req("plain_write")).ok());
  EXPECT_TRUE(d.call_sync(req("config_write")).ok());
  std::lock_guard lk(mu);
  EXPECT_EQ(recorded, (std::vector<std::string>{"config_write", "config_write"}));
}

TEST(DispatcherHooks, AHookThatThrowsStillAnswersTheCommittedWrite) {
  Registry registry;
  Statistics stats;
  TestEngine engine;
  registry.add(spec("config_write", kConfig | kEngine, [](const Args&) -> Result { return Value("ok"); }));
  Dispatcher d(registry, stats);
  d.set_engine(&engine);
  d.set_config_hook([](const CommandSpec&) { throw std::runtime_error("disk full"); });
  Result r = d.call_sync(req("config_write"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), Value("ok"));
}

}  // namespace
}  // namespace sb::mi
