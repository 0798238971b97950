// wait.h: bounded waiting for a condition, the only way tests synchronise with another thread or
// process (never a bare sleep): poll the observable condition until it holds or a deadline passes.
// Threading: any thread; `pred` runs on the calling thread.
#pragma once

#include <chrono>
#include <thread>

namespace sb::test {

/// Polls `pred` every `step` until it holds or `timeout` passes; returns whether it held (one
/// last evaluation after the deadline, so a slow machine is judged on the final state).
template <class Pred>
bool wait_until(Pred&& pred, std::chrono::milliseconds timeout = std::chrono::seconds(5),
                std::chrono::milliseconds step = std::chrono::milliseconds(10)) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(step);
  }
  return static_cast<bool>(pred());
}

}  // namespace sb::test
