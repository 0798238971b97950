// timer.h: one thread that fires callbacks at deadlines (the dispatcher's call timeouts).
//
// Threading: schedule()/cancel() from any thread; callbacks run on the timer thread and must be
// short (they only complete a call with 408).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace sb::mi {

class Timer {
 public:
  using Clock = std::chrono::steady_clock;
  Timer();
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  /// Returns an id for cancel().
  std::uint64_t schedule(Clock::time_point when, std::function<void()> fn);
  void cancel(std::uint64_t id);
  void stop();

 private:
  void run();
  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<Clock::time_point, std::uint64_t> by_time_;
  std::map<std::uint64_t, std::pair<Clock::time_point, std::function<void()>>> by_id_;
  std::uint64_t next_id_ = 1;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sb::mi
