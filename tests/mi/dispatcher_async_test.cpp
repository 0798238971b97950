// dispatcher_async_test.cpp: Dispatcher::call with commands that complete later or not at all
// (dispatcher_fixture.h): async completion (late, twice, dropped, never), timeouts, the elastic
// pool, engine commands, per-command statistics, shutdown and concurrency.
#include "mi/dispatcher.h"

#include <gtest/gtest.h>

#include "mi/dispatcher_fixture.h"

namespace sb::mi {
namespace {

class DispatcherAsyncTest : public DispatcherTest {};

TEST_F(DispatcherAsyncTest, AsyncHandlerCompletesLaterFromAnotherThread) {
  auto p = std::make_shared<std::promise<std::pair<Result, std::thread::id>>>();
  auto f = p->get_future();
  d->call(req("later"), [p](Result r) { p->set_value({std::move(r), std::this_thread::get_id()}); });
  ASSERT_TRUE(wait_parked(1));
  // Nobody completed it: no reply yet, and it is in flight.
  EXPECT_EQ(f.wait_for(50ms), std::future_status::timeout);
  EXPECT_EQ(d->in_flight(), 1u);
  Completion c = [&] {
    std::lock_guard lk(mu);
    return parked[0];
  }();
  std::thread::id completer;
  bool delivered = false;
  std::thread t([&] {
    completer = std::this_thread::get_id();
    delivered = c(Value{{"answer", 42}});
  });
  t.join();
  EXPECT_TRUE(delivered);
  ASSERT_EQ(f.wait_for(kLimit), std::future_status::ready);
  auto [r, on] = f.get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), (Value{{"answer", 42}}));
  EXPECT_EQ(on, completer);
  EXPECT_TRUE(c.done());
  EXPECT_FALSE(c(Value("again")));  // only the first delivery counts
  EXPECT_TRUE(d->wait_idle(kLimit));
}

TEST_F(DispatcherAsyncTest, AsyncCompletedTwiceDeliversOnlyTheFirst) {
  std::atomic<int> dones{0};
  auto p = std::make_shared<std::promise<Result>>();
  d->call(req("twice"), [&dones, p](Result r) {
    if (dones.fetch_add(1) == 0) p->set_value(std::move(r));
  });
  auto f = p->get_future();
  ASSERT_EQ(f.wait_for(kLimit), std::future_status::ready);
  Result r = f.get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), 1);
  EXPECT_TRUE(d->wait_idle(kLimit));
  // The reply goes out from inside the handler's first call: wait for the handler to return.
  ASSERT_EQ(twice_returned.get_future().wait_for(kLimit), std::future_status::ready);
  EXPECT_EQ(dones.load(), 1);
  EXPECT_TRUE(first_delivered.load());
  EXPECT_FALSE(second_delivered.load());
  EXPECT_EQ(stat("mi:twice_calls"), 1);
  EXPECT_EQ(stat("mi:twice_errors"), 0);
}

TEST_F(DispatcherAsyncTest, AsyncHandlerThatDropsItsCompletionGets500Promptly) {
  // The call timeout is the default minute: an answer well before it comes from the drop.
  auto r = call_wait(*d, req("dropper"), 10s);
  ASSERT_TRUE(r) << "no reply: a dropped Completion must answer at once";
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->error().code, 500);
  EXPECT_EQ(r->error().reason, "command produced no reply");
  EXPECT_EQ(stat("mi:timeouts"), 0);
  EXPECT_TRUE(d->wait_idle(kLimit));
}

TEST_F(DispatcherAsyncTest, AsyncCallThatNeverCompletesTimesOut) {
  make(DispatcherOptions{2, 64, 200ms});
  auto r = call_wait(*d, req("later"));
  ASSERT_TRUE(r);
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->error().kind, ErrorKind::timeout);
  EXPECT_EQ(r->error().code, 408);
  EXPECT_EQ(text_status_line(r->error()), "408 Request Timeout");
  EXPECT_EQ(stat("mi:timeouts"), 1);
  EXPECT_EQ(stat("mi:later_errors"), 1);
  EXPECT_EQ(stat("mi:errors"), 1);
  // The handler still holds its Completion; completing it now changes nothing.
  ASSERT_TRUE(wait_parked(1));
  {
    std::lock_guard lk(mu);
    EXPECT_TRUE(parked[0].done());
    EXPECT_FALSE(parked[0](Value("too late")));
  }
  EXPECT_TRUE(d->wait_idle(kLimit));
  EXPECT_EQ(stat("mi:timeouts"), 1);
}

TEST_F(DispatcherAsyncTest, SlowSyncCommandTimesOutToo) {
  make(DispatcherOptions{2, 64, 200ms});
  auto r = call_wait(*d, req("slow"));
  ASSERT_TRUE(r);
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->error().code, 408);
  EXPECT_EQ(stat("mi:timeouts"), 1);
  slow_gate.open();  // the handler's late result is dropped
  EXPECT_TRUE(d->wait_idle(kLimit));
  EXPECT_EQ(stat("mi:slow_calls"), 1);
}

TEST_F(DispatcherAsyncTest, SlowCommandDoesNotDelayAFastOne) {
  make(DispatcherOptions{1, 8, 60'000ms});  // one thread to start with: the pool must grow
  auto slow_done = std::make_shared<std::promise<Result>>();
  auto slow_f = slow_done->get_future();
  d->call(req("slow"), [slow_done](Result r) { slow_done->set_value(std::move(r)); });
  ASSERT_EQ(slow_entered.get_future().wait_for(kLimit), std::future_status::ready);

  auto fast = call_wait(*d, req("echo", Value::array({"fast"})));
  ASSERT_TRUE(fast) << "the fast call waited for the slow one";
  ASSERT_TRUE(fast->ok());
  EXPECT_EQ(fast->value(), "fast");
  // The slow one is still blocked on its gate, so the pool has grown beyond one thread.
  EXPECT_EQ(slow_f.wait_for(0ms), std::future_status::timeout);
  EXPECT_GE(stat("mi:workers"), 2);
  // The fast call leaves the in-flight count just after its reply: only the slow one remains.
  auto until = std::chrono::steady_clock::now() + kLimit;
  while (stat("mi:in_flight") != 1 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(1ms);
  EXPECT_EQ(stat("mi:in_flight"), 1);

  slow_gate.open();
  ASSERT_EQ(slow_f.wait_for(kLimit), std::future_status::ready);
  Result s = slow_f.get();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s.value(), "slow done");
}

TEST_F(DispatcherAsyncTest, EngineCommandWithoutEngineIs503) {
  auto r = call_wait(*d, req("where"));
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().code, 503);
  EXPECT_EQ(r->error().kind, ErrorKind::handler);
  EXPECT_EQ(stat("mi:where_errors"), 1);
  EXPECT_TRUE(d->wait_idle(kLimit));
}

TEST_F(DispatcherAsyncTest, EngineCommandRunsOnTheEngineThread) {
  TestExecutor engine;
  d->set_engine(&engine);
  auto r = call_wait(*d, req("where"));
  ASSERT_TRUE(r && r->ok()) << (r && !r->ok() ? text_status_line(r->error()) : "");
  std::ostringstream os;
  os << engine.thread_id();
  EXPECT_EQ(r->value(), os.str());
  EXPECT_EQ(engine.posted(), 1);
  // Non-engine commands do not go through the engine.
  r = call_wait(*d, req("echo"));
  ASSERT_TRUE(r && r->ok());
  EXPECT_EQ(engine.posted(), 1);
  // An engine that refuses the job (stopping): 503.
  engine.refuse(true);
  r = call_wait(*d, req("where"));
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().code, 503);
  EXPECT_TRUE(d->wait_idle(kLimit));
  d->set_engine(nullptr);
}

TEST_F(DispatcherAsyncTest, PerCommandAndGlobalStatistics) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(must(call_wait(*d, req("echo", Value::array({"x"})))).ok());
  for (int i = 0; i < 2; ++i) ASSERT_FALSE(must(call_wait(*d, req("ul_show_contact"))).ok());
  ASSERT_FALSE(must(call_wait(*d, req("echo", Value::array({"a", "b"})))).ok());  // arity
  ASSERT_FALSE(must(call_wait(*d, req("nosuch"))).ok());
  ASSERT_FALSE(must(call_wait(*d, req("set_x", nullptr, Role::read_only))).ok());  // forbidden
  ASSERT_TRUE(must(call_wait(*d, req("sleepy"))).ok());
  ASSERT_TRUE(must(call_wait(*d, req("sleepy"))).ok());
  ASSERT_TRUE(d->wait_idle(kLimit));

  EXPECT_EQ(stat("mi:echo_calls"), 4);
  EXPECT_EQ(stat("mi:echo_errors"), 1);
  EXPECT_EQ(stat("mi:ul_show_contact_calls"), 2);
  EXPECT_EQ(stat("mi:ul_show_contact_errors"), 2);
  EXPECT_EQ(stat("mi:set_x_calls"), 1);
  EXPECT_EQ(stat("mi:set_x_errors"), 1);
  EXPECT_EQ(stat("mi:sleepy_calls"), 2);
  EXPECT_EQ(stat("mi:sleepy_errors"), 0);
  // Each sleepy call took at least 20 ms: the maximum and the total say so.
  EXPECT_GE(stat("mi:sleepy_latency_max_us"), 20'000);
  EXPECT_GE(stat("mi:sleepy_latency_total_us"), 40'000);
  EXPECT_GE(stat("mi:sleepy_latency_total_us"), stat("mi:sleepy_latency_max_us"));
  EXPECT_GE(stat("mi:echo_latency_total_us"), stat("mi:echo_latency_max_us"));
  // 4 echo + 2 ul_show_contact + 1 nosuch + 1 set_x + 2 sleepy.
  EXPECT_EQ(stat("mi:calls"), 10);
  EXPECT_EQ(stat("mi:errors"), 5);
  EXPECT_EQ(stat("mi:unknown_commands"), 1);
  EXPECT_EQ(stat("mi:timeouts"), 0);
  EXPECT_EQ(stat("mi:in_flight"), 0);
  // Every registered command has its stats from registration on (0 before its first call);
  // unknown names never get any.
  std::vector<std::string> unmatched;
  auto found = stats().match({"mi:kill_calls", "mi:nosuch_calls"}, &unmatched);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]->get(), 0);
  EXPECT_EQ(unmatched, std::vector<std::string>{"mi:nosuch_calls"});
  // Counters are resettable, the latency maximum too; reset brings them back to 0.
  stats().reset({"mi:sleepy_calls", "mi:sleepy_latency_max_us"});
  EXPECT_EQ(stat("mi:sleepy_calls"), 0);
  EXPECT_EQ(stat("mi:sleepy_latency_max_us"), 0);
}

TEST_F(DispatcherAsyncTest, StopAcceptingAnswers503) {
  d->stop_accepting();
  auto r = call_wait(*d, req("echo"));
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().code, 503);
  EXPECT_EQ(text_status_line(r->error()), "503 Server shutting down");
  r = call_wait(*d, req("later"));
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().code, 503);
  EXPECT_EQ(d->in_flight(), 0u);
  // After stop() as well.
  d->stop();
  r = call_wait(*d, req("echo"));
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().code, 503);
}

TEST_F(DispatcherAsyncTest, WaitIdle) {
  EXPECT_TRUE(d->wait_idle(0ms));
  EXPECT_TRUE(d->wait_idle(100ms));
  auto slow_done = std::make_shared<std::promise<Result>>();
  auto slow_f = slow_done->get_future();
  d->call(req("slow"), [slow_done](Result r) { slow_done->set_value(std::move(r)); });
  ASSERT_EQ(slow_entered.get_future().wait_for(kLimit), std::future_status::ready);
  EXPECT_EQ(d->in_flight(), 1u);
  EXPECT_FALSE(d->wait_idle(100ms));
  // In-flight calls still finish after stop_accepting (graceful shutdown).
  d->stop_accepting();
  EXPECT_FALSE(d->wait_idle(0ms));
  slow_gate.open();
  EXPECT_TRUE(d->wait_idle(kLimit));
  EXPECT_EQ(d->in_flight(), 0u);
  ASSERT_EQ(slow_f.wait_for(kLimit), std::future_status::ready);
  Result s = slow_f.get();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s.value(), "slow done");
}

TEST_F(DispatcherAsyncTest, ManyConcurrentCallsEachCompleteOnceWithTheirOwnResult) {
  constexpr int kThreads = 8, kPerThread = 200, kTotal = kThreads * kPerThread;
  std::vector<std::atomic<int>> dones(kTotal);
  std::vector<std::int64_t> results(kTotal, -1);
  std::mutex rmu;
  std::condition_variable all_done;
  int finished = 0;

  std::vector<std::thread> callers;
  for (int t = 0; t < kThreads; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        int idx = t * kPerThread + i;
        // Half positional, half named, half as text (coerced), half as JSON numbers.
        Value params = (i % 2) ? Value::array({idx}) : Value{{"n", std::to_string(idx)}};
        d->call(req("echo_n", params, i % 3 ? Role::admin : Role::read_only),
                [&, idx](Result r) {
                  dones[idx].fetch_add(1);
                  std::lock_guard lk(rmu);
                  results[idx] = r.ok() ? r.value().get<std::int64_t>() : -2;
                  if (++finished == kTotal) all_done.notify_all();
                });
      }
    });
  }
  for (auto& c : callers) c.join();
  {
    std::unique_lock lk(rmu);
    ASSERT_TRUE(all_done.wait_for(lk, 60s, [&] { return finished == kTotal; }))
        << finished << " of " << kTotal << " completed";
  }
  ASSERT_TRUE(d->wait_idle(kLimit));
  for (int i = 0; i < kTotal; ++i) {
    EXPECT_EQ(dones[i].load(), 1) << "call " << i;
    EXPECT_EQ(results[i], i) << "call " << i;
  }
  EXPECT_EQ(stat("mi:echo_n_calls"), kTotal);
  EXPECT_EQ(stat("mi:echo_n_errors"), 0);
  EXPECT_EQ(stat("mi:calls"), kTotal);
}

}  // namespace
}  // namespace sb::mi
