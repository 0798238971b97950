// engine_harness.h: a real engine thread (gateway/engine) for in-process tests of engine
// commands — its start opens a SQLite file and migrates it, then builds the parts under test; its
// teardown destroys them and closes the file; it is the Dispatcher's engine executor while it runs.
// Header-only: only the in-process tests (unit_tests, which link sb_gateway) include it.
// Threading: start()/stop() from the test thread; `build`/`teardown` run on the engine thread;
// on_engine() posts a job there and waits for its result (bounded).
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "gateway/engine/engine.h"
#include "gateway/store/database.h"
#include "mi/dispatcher.h"

namespace sb::test {

class EngineHarness {
 public:
  using Build = std::function<void(su_root_s* root, gateway::Database& db)>;

  EngineHarness(mi::Dispatcher& dispatcher, std::string db_path)
      : dispatcher_(dispatcher), db_path_(std::move(db_path)) {}
  ~EngineHarness() { stop(); }
  EngineHarness(const EngineHarness&) = delete;
  EngineHarness& operator=(const EngineHarness&) = delete;

  /// Starts the engine thread: the database is opened and migrated there, then `build` runs (it
  /// may throw: start fails); at stop, `teardown` runs before the database is closed.
  void start(Build build, std::function<void()> teardown = [] {}) {
    gateway::Engine::Hooks h;
    h.start = [this, build = std::move(build)](su_root_s* root) {
      db_ = std::make_unique<gateway::Database>(gateway::DatabaseOptions{db_path_});
      db_->migrate();
      build(root, *db_);
    };
    h.teardown = [this, teardown = std::move(teardown)] {
      teardown();
      db_.reset();
    };
    engine_.start(std::move(h));
    dispatcher_.set_engine(&engine_);
  }
  /// Engine commands answer 503 from now on; the engine stops (idempotent).
  void stop() {
    dispatcher_.set_engine(nullptr);
    engine_.stop(std::chrono::seconds(1));
  }
  gateway::Engine& engine() { return engine_; }

  /// Runs `fn` on the engine thread and returns its result (fails the test after 5 s).
  template <typename Fn>
  auto on_engine(Fn fn) -> decltype(fn()) {
    auto task = std::make_shared<std::packaged_task<decltype(fn())()>>(std::move(fn));
    auto f = task->get_future();
    EXPECT_TRUE(engine_.post([task] { (*task)(); }));
    EXPECT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
    return f.get();
  }

 private:
  mi::Dispatcher& dispatcher_;
  std::string db_path_;
  gateway::Engine engine_;
  std::unique_ptr<gateway::Database> db_;  ///< engine thread
};

}  // namespace sb::test
