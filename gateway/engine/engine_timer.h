// engine_timer.h: a one-shot timer on the engine's su_root that runs a std::function — what the
// call engine and the line simulator use for ring timeouts, answer delays and hang-ups.
//
// The su_timer is created once and never destroyed from its own callback (sofia reads it after
// the callback returns); the callback only defers `fn` to the engine's next loop turn, guarded by
// a liveness token, so `fn` may destroy the timer's owner.
// Threading: engine thread only (create, start, cancel and destroy there).
#pragma once

#include "gateway/sip/sofia.h"

#include <functional>
#include <memory>
#include <stdexcept>

#include "gateway/engine/engine.h"

namespace sb::gateway {

class EngineTimer {
 public:
  EngineTimer(Engine& engine, su_root_t* root) : engine_(engine) {
    timer_ = su_timer_create(su_root_task(root), 1000);
    if (!timer_) throw std::runtime_error("cannot create an engine timer");
  }
  ~EngineTimer() { su_timer_destroy(timer_); }
  EngineTimer(const EngineTimer&) = delete;
  EngineTimer& operator=(const EngineTimer&) = delete;

  /// (Re)arms the timer: `fn` runs once, `ms` milliseconds from now.
  void start(unsigned ms, std::function<void()> fn) {
    cancel();
    fn_ = std::move(fn);
    token_ = std::make_shared<int>(0);
    if (su_timer_set_interval(timer_, &EngineTimer::fire, this, static_cast<su_duration_t>(ms)) < 0)
      throw std::runtime_error("cannot arm an engine timer");
    armed_ = true;
  }
  void cancel() {
    if (armed_) su_timer_reset(timer_);
    armed_ = false;
    token_.reset();
    fn_ = nullptr;
  }
  bool armed() const { return armed_; }

 private:
  static void fire(void* /*root magic*/, su_timer_t* /*t*/, void* arg) {
    auto* self = static_cast<EngineTimer*>(arg);
    self->armed_ = false;
    std::weak_ptr<int> alive = self->token_;
    self->engine_.defer([self, alive, fn = std::move(self->fn_)] {
      if (alive.lock() && fn) {
        self->token_.reset();
        fn();
      }
    });
  }
  Engine& engine_;
  su_timer_t* timer_ = nullptr;
  bool armed_ = false;
  std::shared_ptr<int> token_;
  std::function<void()> fn_;
};

}  // namespace sb::gateway
