// worker_pool.h: an elastic thread pool.
//
// Purpose: runs the dispatcher's sync handlers (and transports' blocking reply writes) so that a
// slow job never delays another: when every thread is busy and work is queued, the pool grows
// (up to `max_threads`); threads above `min_threads` exit after `idle_timeout` without work.
// When even `max_threads` are busy, jobs wait in the queue (answered later, never dropped).
// Threading: post() from any thread; stop() joins every thread after the queue drains.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "mi/statistics.h"

namespace sb::mi {

class WorkerPool {
 public:
  /// `type` names the threads in `ps` (e.g. "MI worker").
  /// `threads_stat`, when given, is kept equal to the number of live threads.
  WorkerPool(std::string type, std::size_t min_threads, std::size_t max_threads,
             std::chrono::milliseconds idle_timeout = std::chrono::seconds(30),
             Stat* threads_stat = nullptr);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Queues a job; returns false after stop().
  bool post(std::function<void()> job);
  /// Runs the queued jobs, then joins every thread. Idempotent.
  void stop();

  std::size_t threads() const;
  std::size_t busy() const;
  std::size_t queued() const;

 private:
  void spawn_locked();
  void run();

  const std::string type_;
  const std::size_t min_, max_;
  const std::chrono::milliseconds idle_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::map<std::thread::id, std::thread> threads_;
  std::vector<std::thread::id> finished_;  // idle threads that exited, waiting to be joined
  void reap_locked(std::vector<std::thread>& out);
  std::size_t live_ = 0, busy_ = 0, idle_waiting_ = 0;
  std::size_t started_ = 0;  ///< threads that ever reached run() (the constructor waits for min_)
  bool stopping_ = false;
  Stat* threads_stat_;
};

}  // namespace sb::mi
