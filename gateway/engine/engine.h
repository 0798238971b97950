// engine.h: the SIP engine thread. It owns the sofia-sip su_root and, through the components it
// starts (SIP stack, usrloc, registrar, tm), every piece of SIP state.
//
// Threading: start()/stop() from the main thread. post() from any thread: the job is queued
// (mutex + deque) and the engine is woken through an eventfd registered on its su_root; jobs run
// in order on the engine thread. Commands flagged `engine` reach it through post() (Engine is the
// dispatcher's mi::Executor). Nothing else may touch sofia-sip or the components' state.
// post() is bounded (set_max_queue, config sip.max_queue): a job that finds the queue full is
// refused (false: the dispatcher answers the command 503) and counted; defer() — the engine's
// own follow-up work — is never refused.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "mi/dispatcher.h"
#include "mi/statistics.h"

struct su_root_s;
struct pollfd;

namespace sb::gateway {

class EngineError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Engine final : public mi::Executor {
 public:
  Engine();
  ~Engine() override;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// What the engine runs on its thread, in this order over its life.
  struct Hooks {
    std::function<void(su_root_s*)> start;  ///< build the SIP stack (may throw: start fails)
    std::function<void()> begin_stop;       ///< stop listening, cancel what can be cancelled
    std::function<bool()> stopped;          ///< true when nothing is left to finish
    std::function<void()> teardown;         ///< destroy everything that lives on the root
    std::function<void()> after_jobs;       ///< after each run of queued jobs (may be empty)
  };

  /// Starts the thread, creates the su_root there and runs `hooks.start(root)` on it. Returns
  /// when that is done; rethrows its exception as EngineError (the thread is gone then).
  void start(Hooks hooks);
  /// Before start(): the thread's type in `ps` (default "SIP engine").
  void set_thread_type(std::string type) { thread_type_ = std::move(type); }
  /// Queues a job for the engine thread; false (job dropped) once the engine is stopping or when
  /// `max_queue` jobs are already waiting (then `rejected` is incremented).
  bool post(std::function<void()> job) override;
  /// Before start(): at most `max_queue` queued jobs for post() (0 = no limit); `rejected`
  /// (may be null; must outlive the engine) counts the refused ones.
  void set_max_queue(std::size_t max_queue, mi::Stat* rejected) {
    max_queue_ = max_queue;
    rejected_ = rejected;
  }
  /// Graceful stop: refuses new jobs, runs the queued ones, then `begin_stop`, keeps the loop
  /// running until `stopped()` or the deadline, runs `teardown` and ends the thread. Idempotent.
  void stop(std::chrono::milliseconds deadline) {
    request_stop(deadline);
    join();
  }
  /// stop() without waiting: the thread ends on its own (running() turns false); join() later.
  void request_stop(std::chrono::milliseconds deadline);
  /// Waits for the thread to end (after request_stop); returns at once when it is not running.
  void join();
  /// After request_stop: ends the loop at its next turn, without waiting for stopped() any more.
  void hurry() {
    defer([this] { stop_deadline_ = std::chrono::steady_clock::now(); });
  }
  /// Runs `job` on a later turn of the loop (after the current callback returned), even while
  /// stopping and unbounded: for work that must not run inside a sofia callback, and for
  /// reports the engine itself waits for (the usrloc writer's commits, from its thread).
  void defer(std::function<void()> job);
  /// Engine thread only: runs every queued job now (teardown: objects whose destruction was
  /// deferred must go while the SIP stack they use still exists).
  void run_deferred() { drain(); }
  bool on_engine_thread() const { return std::this_thread::get_id() == thread_id_.load(); }
  bool running() const { return running_.load(); }

 private:
  void run();
  void drain();
  void begin_stop(std::chrono::milliseconds deadline);
  static int on_wake(void* self, pollfd* wait, void* arg);

  std::thread thread_;
  std::atomic<std::thread::id> thread_id_{};
  std::atomic<bool> running_{false};
  std::atomic<bool> accepting_{false};
  Hooks hooks_;
  std::string thread_type_ = "SIP engine";
  bool quit_ = false;           ///< engine thread only
  bool stopping_ = false;       ///< engine thread only
  std::chrono::steady_clock::time_point stop_deadline_{};
  su_root_s* root_ = nullptr;
  int wake_fd_ = -1;
  std::mutex mu_;
  std::deque<std::function<void()>> queue_;
  std::size_t max_queue_ = 0;
  mi::Stat* rejected_ = nullptr;
  // start() hand-shake
  std::mutex start_mu_;
  std::condition_variable start_cv_;
  bool started_ = false;
  std::string start_error_;
};

}  // namespace sb::gateway
