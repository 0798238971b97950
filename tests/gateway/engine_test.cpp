// engine_test.cpp: gateway/engine/engine.h — the SIP engine thread without SIP: start hooks
// (success, failure → EngineError), post() order and thread, defer(), the stop sequence
// (queued jobs, begin_stop, stopped() with its deadline, teardown), post() after stop.
// Threading: the tests drive an Engine from the test thread and observe its thread through
// promises and atomics; every wait is bounded.
#include "gateway/engine/engine.h"

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace sb::gateway {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

/// A log of what ran, in order, from any thread.
class Trace {
 public:
  void add(std::string s) {
    std::lock_guard lk(mu_);
    events_.push_back(std::move(s));
  }
  std::vector<std::string> events() const {
    std::lock_guard lk(mu_);
    return events_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> events_;
};

/// Posts a job and waits (≤ 5 s) until it has run; false if it was refused or never ran.
bool run_on(Engine& e, std::function<void()> job) {
  auto done = std::make_shared<std::promise<void>>();
  auto f = done->get_future();
  if (!e.post([job = std::move(job), done] {
        job();
        done->set_value();
      }))
    return false;
  return f.wait_for(5s) == std::future_status::ready;
}

TEST(Engine, StartRunsTheStartHookOnTheEngineThreadWithARoot) {
  Engine e;
  std::thread::id hook_thread;
  bool got_root = false;
  bool on_engine = false;
  Engine::Hooks h;
  h.start = [&](su_root_s* root) {
    hook_thread = std::this_thread::get_id();
    got_root = root != nullptr;
    on_engine = e.on_engine_thread();
  };
  e.start(std::move(h));  // returns once the hook ran
  EXPECT_TRUE(got_root);
  EXPECT_TRUE(on_engine);
  EXPECT_NE(hook_thread, std::this_thread::get_id());
  EXPECT_TRUE(e.running());
  EXPECT_FALSE(e.on_engine_thread());
  EXPECT_THROW(e.start({}), EngineError) << "already running";
  e.stop(1s);
  EXPECT_FALSE(e.running());
}

TEST(Engine, AStartHookThatThrowsFailsStart) {
  Engine e;
  Trace t;
  Engine::Hooks h;
  h.start = [](su_root_s*) { throw std::runtime_error("cannot listen for SIP on udp:127.0.0.1:5060: in use"); };
  h.teardown = [&] { t.add("teardown"); };
  try {
    e.start(std::move(h));
    FAIL() << "start() returned";
  } catch (const EngineError& err) {
    EXPECT_STREQ(err.what(), "cannot listen for SIP on udp:127.0.0.1:5060: in use");
  }
  EXPECT_FALSE(e.running());
  EXPECT_EQ(t.events(), std::vector<std::string>{"teardown"}) << "what start built is torn down";
  EXPECT_FALSE(e.post([] {})) << "no engine to run it";
  e.stop(100ms);  // harmless
}

TEST(Engine, PostRunsJobsInOrderOnTheEngineThread) {
  Engine e;
  e.start({});
  std::vector<int> order;  // engine thread only
  std::atomic<int> off_thread{0};
  for (int i = 0; i < 1000; ++i)
    ASSERT_TRUE(e.post([&, i] {
      if (!e.on_engine_thread()) off_thread.fetch_add(1);
      order.push_back(i);
    }));
  ASSERT_TRUE(run_on(e, [] {}));
  EXPECT_EQ(off_thread.load(), 0);
  ASSERT_EQ(order.size(), 1000u);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(order[static_cast<std::size_t>(i)], i);
  e.stop(1s);
}

TEST(Engine, PostFromManyThreadsKeepsEachThreadsOrder) {
  Engine e;
  e.start({});
  constexpr int kThreads = 4, kJobs = 500;
  std::vector<std::vector<int>> seen(kThreads);  // engine thread only
  std::vector<std::thread> posters;
  for (int t = 0; t < kThreads; ++t)
    posters.emplace_back([&, t] {
      for (int i = 0; i < kJobs; ++i) e.post([&, t, i] { seen[static_cast<std::size_t>(t)].push_back(i); });
    });
  for (auto& p : posters) p.join();
  ASSERT_TRUE(run_on(e, [] {}));
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(seen[static_cast<std::size_t>(t)].size(), static_cast<std::size_t>(kJobs)) << t;
    for (int i = 0; i < kJobs; ++i) ASSERT_EQ(seen[static_cast<std::size_t>(t)][static_cast<std::size_t>(i)], i);
  }
  e.stop(1s);
}

TEST(Engine, AJobThatThrowsDoesNotStopTheEngine) {
  Engine e;
  e.start({});
  EXPECT_TRUE(e.post([] { throw std::runtime_error("job failed"); }));
  EXPECT_TRUE(e.post([] { throw 42; }));
  bool ran = false;
  EXPECT_TRUE(run_on(e, [&] { ran = true; }));
  EXPECT_TRUE(ran);
  EXPECT_TRUE(e.running());
  e.stop(1s);
}

TEST(Engine, DeferRunsAfterTheCurrentJob) {
  Engine e;
  e.start({});
  Trace t;
  ASSERT_TRUE(run_on(e, [&] {
    e.defer([&] { t.add("deferred"); });
    t.add("job");
  }));
  ASSERT_TRUE(run_on(e, [] {}));  // the deferred job was queued before this one
  EXPECT_EQ(t.events(), (std::vector<std::string>{"job", "deferred"}));
  e.stop(1s);
}

TEST(Engine, StopRunsQueuedJobsThenBeginStopThenTeardown) {
  Engine e;
  Trace t;
  Engine::Hooks h;
  h.begin_stop = [&] {
    t.add("begin_stop");
    e.defer([&] { t.add("deferred by begin_stop"); });  // allowed while stopping
  };
  h.teardown = [&] { t.add(e.on_engine_thread() ? "teardown" : "teardown OFF THREAD"); };
  e.start(std::move(h));
  ASSERT_TRUE(e.post([&] {
    std::this_thread::sleep_for(50ms);  // the next jobs and stop() queue up meanwhile
    t.add("job 1");
  }));
  ASSERT_TRUE(e.post([&] { t.add("job 2"); }));
  e.stop(2s);
  EXPECT_EQ(t.events(), (std::vector<std::string>{"job 1", "job 2", "begin_stop", "deferred by begin_stop",
                                                  "teardown"}));
  EXPECT_FALSE(e.running());
  EXPECT_FALSE(e.post([&] { t.add("after stop"); })) << "post() after stop() refuses";
  e.stop(1s);  // idempotent
  EXPECT_EQ(t.events().size(), 5u);
}

TEST(Engine, StopWaitsForStoppedBeforeTheDeadline) {
  Engine e;
  std::atomic<int> polls{0};
  std::atomic<bool> finished{false};
  Trace t;
  Engine::Hooks h;
  h.stopped = [&] {
    polls.fetch_add(1);
    return finished.load();
  };
  h.teardown = [&] { t.add(finished.load() ? "teardown after finished" : "teardown early"); };
  e.start(std::move(h));
  // Something pending finishes 300 ms into the stop (e.g. a transaction's last reply).
  std::thread finisher([&] {
    std::this_thread::sleep_for(300ms);
    finished.store(true);
  });
  auto t0 = Clock::now();
  e.stop(10s);
  auto took = Clock::now() - t0;
  finisher.join();
  EXPECT_EQ(t.events(), std::vector<std::string>{"teardown after finished"});
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 5s) << "stop() returns soon after stopped() turns true, not at the deadline";
  EXPECT_GE(polls.load(), 2) << "stopped() is polled while stopping";
}

TEST(Engine, StopGivesUpAtTheDeadline) {
  Engine e;
  Trace t;
  Engine::Hooks h;
  h.stopped = [] { return false; };  // never done
  h.teardown = [&] { t.add("teardown"); };
  e.start(std::move(h));
  auto t0 = Clock::now();
  e.stop(300ms);
  auto took = Clock::now() - t0;
  EXPECT_GE(took, 290ms);
  EXPECT_LT(took, 3s);
  EXPECT_EQ(t.events(), std::vector<std::string>{"teardown"}) << "teardown runs even then";
}

TEST(Engine, AStoppedHookThatThrowsCountsAsDone) {
  Engine e;
  Engine::Hooks h;
  h.stopped = []() -> bool { throw std::runtime_error("broken"); };
  e.start(std::move(h));
  auto t0 = Clock::now();
  e.stop(10s);
  EXPECT_LT(Clock::now() - t0, 5s);
}

TEST(Engine, DestructorStopsTheEngine) {
  Trace t;
  {
    Engine e;
    Engine::Hooks h;
    h.teardown = [&] { t.add("teardown"); };
    e.start(std::move(h));
  }
  EXPECT_EQ(t.events(), std::vector<std::string>{"teardown"});
}

// Engine is documented as "start()/stop() from the main thread" without saying it is one-shot.
// A second start() after a stop() must again return only once the start hook has run, and leave
// a running engine.
TEST(Engine, CanBeStartedAgainAfterStop) {
  Engine e;
  e.start({});
  e.stop(1s);
  std::atomic<bool> hook_done{false};
  Engine::Hooks h;
  h.start = [&](su_root_s*) {
    std::this_thread::sleep_for(200ms);
    hook_done.store(true);
  };
  e.start(std::move(h));
  EXPECT_TRUE(hook_done.load()) << "start() returned before the start hook ran";
  EXPECT_TRUE(e.running());
  bool ran = false;
  EXPECT_TRUE(run_on(e, [&] { ran = true; }));
  EXPECT_TRUE(ran);
  e.stop(1s);
}

}  // namespace
}  // namespace sb::gateway
