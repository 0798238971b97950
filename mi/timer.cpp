// timer.cpp: ordered deadlines on one thread.
#include "mi/timer.h"

#include "mi/threads.h"

namespace sb::mi {

Timer::Timer() : thread_([this] { run(); }) {}

Timer::~Timer() { stop(); }

std::uint64_t Timer::schedule(Clock::time_point when, std::function<void()> fn) {
  std::uint64_t id;
  bool earliest;
  {
    std::lock_guard lk(mu_);
    id = next_id_++;
    earliest = by_time_.empty() || when < by_time_.begin()->first;
    by_time_.emplace(when, id);
    by_id_.emplace(id, std::make_pair(when, std::move(fn)));
  }
  // The timer thread sleeps until the earliest deadline: wake it only when that changed.
  if (earliest) cv_.notify_one();
  return id;
}

void Timer::cancel(std::uint64_t id) {
  std::function<void()> drop;  // destroyed outside the lock
  std::lock_guard lk(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  auto [lo, hi] = by_time_.equal_range(it->second.first);
  for (auto t = lo; t != hi; ++t)
    if (t->second == id) {
      by_time_.erase(t);
      break;
    }
  drop = std::move(it->second.second);
  by_id_.erase(it);
}

void Timer::stop() {
  {
    std::lock_guard lk(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Timer::run() {
  ThreadTag tag("MI timer");
  std::unique_lock lk(mu_);
  while (!stopping_) {
    if (by_time_.empty()) {
      cv_.wait(lk);
      continue;
    }
    auto first = by_time_.begin();
    if (Clock::now() < first->first) {
      // Wait on a copy: cancel() may erase the node (and its key) while the lock is released.
      const Clock::time_point when = first->first;
      cv_.wait_until(lk, when);
      continue;
    }
    std::uint64_t id = first->second;
    by_time_.erase(first);
    auto node = by_id_.extract(id);
    lk.unlock();
    if (!node.empty()) node.mapped().second();
    lk.lock();
  }
}

}  // namespace sb::mi
