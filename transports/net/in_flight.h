// in_flight.h: counts the requests a transport has handed to the dispatcher and not yet
// answered, so that its shutdown can wait for them (with a deadline) before closing its sockets.
// Threading: begin()/end() from any thread; wait_idle() from the thread shutting down.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace sb::transports {

class InFlight {
 public:
  void begin() {
    std::lock_guard lk(mu_);
    ++count_;
  }
  void end() {
    std::lock_guard lk(mu_);
    if (--count_ == 0) idle_.notify_all();
  }
  /// True when every request begun has ended within `deadline`.
  bool wait_idle(std::chrono::milliseconds deadline) {
    std::unique_lock lk(mu_);
    return idle_.wait_for(lk, deadline, [this] { return count_ == 0; });
  }
  std::size_t count() const {
    std::lock_guard lk(mu_);
    return count_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable idle_;
  std::size_t count_ = 0;
};

}  // namespace sb::transports
