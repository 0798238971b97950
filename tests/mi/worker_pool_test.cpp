// worker_pool_test.cpp: the elastic pool runs jobs, grows when every thread is busy (up to its
// maximum), queues beyond it without dropping anything, shrinks when idle, and stops cleanly.
#include "mi/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include "mi/timer.h"
#include "support/wait.h"

namespace sb::mi {
namespace {

using namespace std::chrono_literals;
constexpr auto kLimit = 20s;
using sb::test::wait_until;

TEST(WorkerPool, RunsJobs) {
  WorkerPool pool("test", 2, 4);
  EXPECT_EQ(pool.threads(), 2u);
  std::atomic<int> ran{0};
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(pool.post([&] { ran.fetch_add(1); }));
  ASSERT_TRUE(wait_until([&] { return ran.load() == 100; }, kLimit)) << ran.load();
  // Jobs run on pool threads, never on the poster's.
  std::promise<std::thread::id> where;
  pool.post([&] { where.set_value(std::this_thread::get_id()); });
  auto f = where.get_future();
  ASSERT_EQ(f.wait_for(kLimit), std::future_status::ready);
  EXPECT_NE(f.get(), std::this_thread::get_id());
}

TEST(WorkerPool, MinimumIsAtLeastOneAndMaxAtLeastMin) {
  WorkerPool pool("test", 0, 0);
  EXPECT_EQ(pool.threads(), 1u);
  std::promise<void> ran;
  pool.post([&] { ran.set_value(); });
  EXPECT_EQ(ran.get_future().wait_for(kLimit), std::future_status::ready);
}

TEST(WorkerPool, GrowsWhenAllThreadsAreBusyUpToMax) {
  WorkerPool pool("test", 1, 3);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::atomic<int> started{0}, finished{0};
  auto blocker = [&] {
    started.fetch_add(1);
    gate.wait_for(kLimit);
    finished.fetch_add(1);
  };
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(pool.post(blocker));
  // All three run at once: the pool grew from 1 to 3 threads.
  ASSERT_TRUE(wait_until([&] { return started.load() == 3; }, kLimit)) << started.load();
  EXPECT_EQ(pool.threads(), 3u);
  EXPECT_EQ(pool.busy(), 3u);

  // Beyond max: queued, not run, not dropped, no extra thread.
  ASSERT_TRUE(pool.post(blocker));
  ASSERT_TRUE(pool.post(blocker));
  EXPECT_EQ(pool.threads(), 3u);
  EXPECT_EQ(pool.queued(), 2u);
  EXPECT_EQ(started.load(), 3);

  release.set_value();
  ASSERT_TRUE(wait_until([&] { return finished.load() == 5; }, kLimit)) << finished.load();
  EXPECT_EQ(pool.queued(), 0u);
  EXPECT_LE(pool.threads(), 3u);
}

TEST(WorkerPool, QueuesBeyondMaxAndStillRunsEverything) {
  WorkerPool pool("test", 1, 2);
  std::atomic<int> ran{0};
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  for (int i = 0; i < 50; ++i)
    ASSERT_TRUE(pool.post([&] {
      gate.wait_for(kLimit);
      ran.fetch_add(1);
    }));
  EXPECT_LE(pool.threads(), 2u);
  ASSERT_TRUE(wait_until([&] { return pool.busy() == 2; }, kLimit));
  EXPECT_EQ(pool.queued(), 48u);
  release.set_value();
  ASSERT_TRUE(wait_until([&] { return ran.load() == 50; }, kLimit)) << ran.load();
}

TEST(WorkerPool, ShrinksBackToMinWhenIdle) {
  WorkerPool pool("test", 1, 4, 50ms);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::atomic<int> started{0};
  for (int i = 0; i < 4; ++i)
    pool.post([&] {
      started.fetch_add(1);
      gate.wait_for(kLimit);
    });
  ASSERT_TRUE(wait_until([&] { return started.load() == 4; }, kLimit));
  EXPECT_EQ(pool.threads(), 4u);
  release.set_value();
  ASSERT_TRUE(wait_until([&] { return pool.threads() == 1u; }, kLimit)) << pool.threads();
  // Still works after shrinking (and the exited threads get reaped on the next post).
  std::promise<void> ran;
  ASSERT_TRUE(pool.post([&] { ran.set_value(); }));
  EXPECT_EQ(ran.get_future().wait_for(kLimit), std::future_status::ready);
}

TEST(WorkerPool, StopRunsQueuedJobsAndJoins) {
  WorkerPool pool("test", 1, 1);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> blocker_started;
  std::atomic<int> ran{0};
  ASSERT_TRUE(pool.post([&] {
    blocker_started.set_value();
    gate.wait_for(kLimit);
    ran.fetch_add(1);
  }));
  ASSERT_EQ(blocker_started.get_future().wait_for(kLimit), std::future_status::ready);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(pool.post([&] { ran.fetch_add(1); }));
  EXPECT_EQ(pool.queued(), 5u);

  auto stopped = std::async(std::launch::async, [&] { pool.stop(); });
  // Wait until stop() has begun (post refuses), while the blocker still holds the only thread.
  std::atomic<int> probes{0};
  ASSERT_TRUE(wait_until(
      [&] {
        bool accepted = pool.post([&] { probes.fetch_add(1); });
        return !accepted;
      },
      kLimit));
  EXPECT_EQ(stopped.wait_for(0ms), std::future_status::timeout);  // still waiting for the jobs
  release.set_value();
  ASSERT_EQ(stopped.wait_for(kLimit), std::future_status::ready);
  // Every queued job ran before stop() returned, and every thread is gone.
  EXPECT_EQ(ran.load(), 6);
  EXPECT_EQ(pool.threads(), 0u);
  EXPECT_EQ(pool.queued(), 0u);
  EXPECT_FALSE(pool.post([] {}));
  pool.stop();  // idempotent
}

// A refused job can never run: when post() returns, the pool keeps no copy of it (the only other
// owner of `token` is gone), it is not queued, and no thread is left that could run it.
TEST(WorkerPool, PostAfterStopReturnsFalse) {
  WorkerPool pool("test", 2, 4);
  pool.stop();
  std::atomic<bool> ran{false};
  auto token = std::make_shared<int>(0);
  EXPECT_FALSE(pool.post([&ran, token] { ran = true; }));
  EXPECT_EQ(token.use_count(), 1) << "the refused job is still held by the pool";
  EXPECT_EQ(pool.queued(), 0u);
  EXPECT_EQ(pool.threads(), 0u);
  EXPECT_FALSE(ran.load());
}

TEST(Timer, FiresInDeadlineOrderAndCancels) {
  Timer timer;
  std::mutex mu;
  std::vector<int> fired;
  std::promise<void> last;
  auto now = Timer::Clock::now();
  timer.schedule(now + 400ms, [&] {
    std::lock_guard lk(mu);
    fired.push_back(3);
    last.set_value();
  });
  timer.schedule(now + 20ms, [&] {
    std::lock_guard lk(mu);
    fired.push_back(1);
  });
  auto cancelled = timer.schedule(now + 200ms, [&] {
    std::lock_guard lk(mu);
    fired.push_back(99);
  });
  timer.schedule(now + 40ms, [&] {
    std::lock_guard lk(mu);
    fired.push_back(2);
  });
  timer.cancel(cancelled);
  timer.cancel(12345);  // unknown id: harmless
  ASSERT_EQ(last.get_future().wait_for(kLimit), std::future_status::ready);
  std::lock_guard lk(mu);
  EXPECT_EQ(fired, (std::vector<int>{1, 2, 3}));
}

TEST(Timer, StopDropsPendingCallbacks) {
  std::atomic<bool> fired{false};
  {
    Timer timer;
    timer.schedule(Timer::Clock::now() + 10s, [&] { fired = true; });
    timer.stop();
    timer.stop();  // idempotent
  }
  EXPECT_FALSE(fired.load());
}

}  // namespace
}  // namespace sb::mi
