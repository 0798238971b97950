// dispatcher_inline_test.cpp: kInline commands run on the caller's thread, complete before
// call() returns, are counted like any other call, and cannot be async or engine-bound.
#include <thread>

#include <gtest/gtest.h>

#include "mi/dispatcher.h"
#include "mi/reply_schema.h"

namespace sb::mi {
namespace {

CommandSpec where_spec(unsigned flags) {
  CommandSpec s;
  s.name = "where";
  s.module = "test";
  s.summary = "Tell which thread ran the handler";
  s.reply = schema::uint("a hash of the thread id");
  s.flags = flags;
  s.handler = [](const Args&) -> Result {
    return Value(std::hash<std::thread::id>{}(std::this_thread::get_id()));
  };
  return s;
}

TEST(DispatcherInline, RunsOnTheCallersThreadBeforeCallReturns) {
  Registry registry;
  Statistics stats;
  registry.add(where_spec(kReadOnly | kInline));
  Dispatcher d(registry, stats);
  std::optional<Result> got;
  d.call(Request{"where", nullptr, {"test", "t", Role::admin}}, [&](Result r) { got = std::move(r); });
  ASSERT_TRUE(got.has_value()) << "an inline call completes inside call()";
  ASSERT_TRUE(got->ok());
  EXPECT_EQ(got->value(), Value(std::hash<std::thread::id>{}(std::this_thread::get_id())));
  EXPECT_EQ(stats.counter("mi", "where_calls").get(), 1);
  EXPECT_EQ(d.in_flight(), 0u);
}

TEST(DispatcherInline, OtherCommandsRunOnAWorker) {
  Registry registry;
  Statistics stats;
  registry.add(where_spec(kReadOnly));
  Dispatcher d(registry, stats);
  Result r = d.call_sync(Request{"where", nullptr, {"test", "t", Role::admin}});
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r.value(), Value(std::hash<std::thread::id>{}(std::this_thread::get_id())));
}

TEST(DispatcherInline, InlineCannotBeAsyncOrEngine) {
  Registry registry;
  CommandSpec engine = where_spec(kInline | kEngine);
  EXPECT_THROW(registry.add(engine), RegistryError);
  CommandSpec async = where_spec(kInline | kAsync);
  async.handler = nullptr;
  async.async_handler = [](const Args&, Completion done) { done(ok_value()); };
  EXPECT_THROW(registry.add(async), RegistryError);
}

}  // namespace
}  // namespace sb::mi
