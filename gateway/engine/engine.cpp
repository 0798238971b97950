// engine.cpp: the engine thread's loop (su_root_step), its job queue and its shutdown sequence.
#include "gateway/sip/sofia.h"  // first: sofia's magic types

#include "gateway/engine/engine.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "mi/threads.h"

namespace sb::gateway {

using Clock = std::chrono::steady_clock;

Engine::Engine() = default;

Engine::~Engine() { stop(std::chrono::milliseconds(0)); }

void Engine::start(Hooks hooks) {
  if (thread_.joinable()) throw EngineError("the engine is already running");
  hooks_ = std::move(hooks);
  started_ = false;  // a second start() after stop()
  start_error_.clear();
  quit_ = false;
  stopping_ = false;
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw EngineError(fmt::format("eventfd: {}", std::strerror(errno)));
  accepting_.store(true);
  thread_ = std::thread([this] { run(); });
  std::unique_lock lk(start_mu_);
  start_cv_.wait(lk, [this] { return started_; });
  if (!start_error_.empty()) {
    lk.unlock();
    thread_.join();
    ::close(wake_fd_);
    wake_fd_ = -1;
    throw EngineError(start_error_);
  }
}

bool Engine::post(std::function<void()> job) {
  {
    std::lock_guard lk(mu_);
    if (!accepting_.load()) return false;
    if (max_queue_ != 0 && queue_.size() >= max_queue_) {
      if (rejected_) rejected_->inc();
      return false;
    }
    queue_.push_back(std::move(job));
  }
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  return true;
}

void Engine::defer(std::function<void()> job) {
  {
    std::lock_guard lk(mu_);
    queue_.push_back(std::move(job));
  }
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

int Engine::on_wake(void* self, struct pollfd* /*wait*/, void* /*arg*/) {
  auto* engine = static_cast<Engine*>(self);
  std::uint64_t count = 0;
  [[maybe_unused]] auto n = ::read(engine->wake_fd_, &count, sizeof count);
  engine->drain();
  if (engine->hooks_.after_jobs) engine->hooks_.after_jobs();
  return 0;
}

void Engine::drain() {
  for (;;) {
    std::deque<std::function<void()>> jobs;
    {
      std::lock_guard lk(mu_);
      jobs.swap(queue_);
    }
    if (jobs.empty()) return;
    for (auto& job : jobs) {
      try {
        job();
      } catch (const std::exception& e) {
        spdlog::error("engine: a job threw: {}", e.what());
      } catch (...) {
        spdlog::error("engine: a job threw a non-standard exception");
      }
    }
  }
}

void Engine::begin_stop(std::chrono::milliseconds deadline) {
  stopping_ = true;
  stop_deadline_ = Clock::now() + deadline;
  try {
    if (hooks_.begin_stop) hooks_.begin_stop();
  } catch (const std::exception& e) {
    spdlog::error("engine: shutdown: {}", e.what());
  }
}

void Engine::run() {
  mi::ThreadTag tag(thread_type_);
  thread_id_.store(std::this_thread::get_id());
  auto report = [this](std::string error) {
    std::lock_guard lk(start_mu_);
    started_ = true;
    start_error_ = std::move(error);
    start_cv_.notify_all();
  };
  su_init();
  root_ = su_root_create(this);
  if (!root_) {
    su_deinit();
    return report("su_root_create failed");
  }
  su_wait_t wait[1] = {};
  int registered = -1;
  if (su_wait_create(wait, wake_fd_, SU_WAIT_IN) == 0)
    registered = su_root_register(root_, wait, &Engine::on_wake, nullptr, 0);
  std::string error;
  if (registered < 0) {
    error = "cannot register the engine's wake-up descriptor on the su_root";
  } else {
    try {
      if (hooks_.start) hooks_.start(root_);
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  if (!error.empty()) {
    try {
      if (hooks_.teardown) hooks_.teardown();
    } catch (...) {
    }
    if (registered >= 0) su_root_deregister(root_, registered);
    su_root_destroy(root_);
    root_ = nullptr;
    su_deinit();
    accepting_.store(false);
    return report(error);
  }
  running_.store(true);
  report({});

  while (!quit_) {
    su_root_step(root_, stopping_ ? 20 : 1000);
    if (stopping_) {
      bool done = false;
      try {
        done = !hooks_.stopped || hooks_.stopped();
      } catch (...) {
        done = true;
      }
      if (done || Clock::now() >= stop_deadline_) quit_ = true;
    }
  }
  drain();  // jobs queued before post() was closed
  try {
    if (hooks_.teardown) hooks_.teardown();
  } catch (const std::exception& e) {
    spdlog::error("engine: teardown: {}", e.what());
  }
  su_root_deregister(root_, registered);
  su_root_destroy(root_);
  root_ = nullptr;
  su_deinit();
  running_.store(false);
}

void Engine::request_stop(std::chrono::milliseconds deadline) {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lk(mu_);
    if (!accepting_.load()) return;  // already asked
    // The stop job goes last in the queue: every job accepted before it still runs.
    queue_.push_back([this, deadline] { begin_stop(deadline); });
    accepting_.store(false);
  }
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void Engine::join() {
  if (!thread_.joinable()) return;
  thread_.join();
  ::close(wake_fd_);
  wake_fd_ = -1;
}

}  // namespace sb::gateway
