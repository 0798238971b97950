// worker_pool.cpp: elastic pool; grows when all threads are busy, shrinks when idle.
#include "mi/worker_pool.h"

#include "mi/threads.h"

namespace sb::mi {

WorkerPool::WorkerPool(std::string type, std::size_t min_threads, std::size_t max_threads,
                       std::chrono::milliseconds idle_timeout, Stat* threads_stat)
    : type_(std::move(type)), min_(std::max<std::size_t>(1, min_threads)),
      max_(std::max(min_, max_threads)), idle_(idle_timeout), threads_stat_(threads_stat) {
  std::unique_lock lk(mu_);
  for (std::size_t i = 0; i < min_; ++i) spawn_locked();
  // Return once the initial threads run (and are registered for `ps`).
  cv_.wait(lk, [this] { return started_ >= min_; });
}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::spawn_locked() {
  ++live_;
  if (threads_stat_) threads_stat_->inc();
  std::thread t([this] { run(); });
  threads_.emplace(t.get_id(), std::move(t));
}

void WorkerPool::reap_locked(std::vector<std::thread>& out) {
  for (auto id : finished_) {
    auto it = threads_.find(id);
    if (it != threads_.end()) {
      out.push_back(std::move(it->second));
      threads_.erase(it);
    }
  }
  finished_.clear();
}

bool WorkerPool::post(std::function<void()> job) {
  std::vector<std::thread> done;
  {
    std::lock_guard lk(mu_);
    if (stopping_) return false;
    jobs_.push_back(std::move(job));
    // Grow when nobody is waiting for work: every live thread is busy with a job.
    if (idle_waiting_ < jobs_.size() && live_ < max_) spawn_locked();
    reap_locked(done);
  }
  cv_.notify_one();
  for (auto& t : done) t.join();
  return true;
}

void WorkerPool::run() {
  ThreadTag tag(type_);
  std::unique_lock lk(mu_);
  if (++started_ == min_) cv_.notify_all();
  for (;;) {
    if (jobs_.empty()) {
      if (stopping_) break;
      ++idle_waiting_;
      bool woke = cv_.wait_for(lk, idle_, [this] { return !jobs_.empty() || stopping_; });
      --idle_waiting_;
      if (!woke && live_ > min_) break;  // idle too long and above the minimum: exit
      continue;
    }
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    ++busy_;
    lk.unlock();
    job();
    job = nullptr;  // destroy captured state outside the lock
    lk.lock();
    --busy_;
  }
  --live_;
  if (threads_stat_) threads_stat_->dec();
  if (!stopping_) finished_.push_back(std::this_thread::get_id());
}

void WorkerPool::stop() {
  std::map<std::thread::id, std::thread> threads;
  {
    std::lock_guard lk(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    threads.swap(threads_);
    finished_.clear();
  }
  cv_.notify_all();
  for (auto& [id, t] : threads)
    if (t.joinable()) t.join();
}

std::size_t WorkerPool::threads() const {
  std::lock_guard lk(mu_);
  return live_;
}
std::size_t WorkerPool::busy() const {
  std::lock_guard lk(mu_);
  return busy_;
}
std::size_t WorkerPool::queued() const {
  std::lock_guard lk(mu_);
  return jobs_.size();
}

}  // namespace sb::mi
