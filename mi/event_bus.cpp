// event_bus.cpp: see event_bus.h.
#include "mi/event_bus.h"

#include <map>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "mi/reply_validator.h"

namespace sb::mi {

namespace {

double unix_now() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count() / 1e6;
}

/// Compiled params validators, one per event (test daemons only).
class ParamsValidators {
 public:
  std::string check(const EventSpec& spec, const Value& params) {
    std::lock_guard lk(mu_);
    auto it = compiled_.find(spec.index);
    if (it == compiled_.end()) it = compiled_.emplace(spec.index, std::make_unique<ReplyValidator>(spec.params)).first;
    return it->second->validate(params);
  }

 private:
  std::mutex mu_;
  std::map<std::size_t, std::unique_ptr<ReplyValidator>> compiled_;
};

ParamsValidators& validators() {
  static ParamsValidators v;
  return v;
}

}  // namespace

std::string EventBus::check_params(const EventSpec& e, const Value& params) {
  return validators().check(e, params);
}

std::string Event::jsonrpc(std::uint64_t dropped) const {
  return envelope("{\"jsonrpc\":\"2.0\",\"method\":\"", dropped);
}

std::string Event::stream_message(std::uint64_t dropped) const {
  return envelope("{\"event\":\"", dropped);
}

std::string Event::envelope(std::string_view head, std::uint64_t dropped) const {
  std::string s;
  s.reserve(params_json.size() + spec->name.size() + head.size() + 80);
  s += head;
  s += spec->name;
  s += "\",\"params\":";
  s += params_json;
  s += fmt::format(",\"seq\":{},\"time\":{:.6f}", seq, time);
  if (dropped) s += fmt::format(",\"dropped\":{}", dropped);
  s += '}';
  return s;
}

// ---- EventQueue ------------------------------------------------------------------------------

bool EventQueue::push(EventPtr e) {
  {
    std::lock_guard lk(mu_);
    if (!closed_ && q_.size() < capacity_) {
      q_.push_back(std::move(e));
      queued_total_.fetch_add(1, std::memory_order_relaxed);
      cv_.notify_one();
      return true;
    }
    ++dropped_since_pop_;
  }
  dropped_total_.fetch_add(1, std::memory_order_relaxed);
  if (on_drop_) on_drop_();
  return false;
}

EventPtr EventQueue::pop(std::chrono::steady_clock::time_point deadline, std::uint64_t* dropped) {
  std::unique_lock lk(mu_);
  cv_.wait_until(lk, deadline, [&] { return !q_.empty() || closed_ || woken_; });
  woken_ = false;
  if (dropped) *dropped = 0;
  if (q_.empty()) return nullptr;
  EventPtr e = std::move(q_.front());
  q_.pop_front();
  if (dropped) *dropped = dropped_since_pop_;
  dropped_since_pop_ = 0;
  return e;
}

EventPtr EventQueue::try_pop(std::uint64_t* dropped) {
  std::lock_guard lk(mu_);
  if (dropped) *dropped = 0;
  if (q_.empty()) return nullptr;
  EventPtr e = std::move(q_.front());
  q_.pop_front();
  if (dropped) *dropped = dropped_since_pop_;
  dropped_since_pop_ = 0;
  return e;
}

void EventQueue::close() {
  std::lock_guard lk(mu_);
  closed_ = true;
  cv_.notify_all();
}

void EventQueue::wake() {
  std::lock_guard lk(mu_);
  woken_ = true;
  cv_.notify_all();
}

std::size_t EventQueue::size() const {
  std::lock_guard lk(mu_);
  return q_.size();
}

// ---- EventBus --------------------------------------------------------------------------------

EventBus::EventBus(const EventRegistry& registry, Statistics& stats)
    : registry_(registry),
      raised_(stats.counter("events", "raised")),
      invalid_(stats.counter("events", "invalid")) {
  stats.computed("events", "subscribers", StatKind::gauge, [this] { return std::int64_t(sinks()); });
}

EventPtr EventBus::stamp(const EventSpec& spec, Value params) {
  auto e = std::make_shared<Event>();
  e->spec = &spec;
  e->seq = seq_.fetch_add(1, std::memory_order_relaxed) + 1;
  e->time = unix_now();
  e->params_json = to_compact_json(params);
  e->params = std::move(params);
  return e;
}

void EventBus::raise(const EventSpec& spec, Value params, std::shared_ptr<const SipCause> cause) {
  raised_.inc();
  if (validate_) {
    if (std::string why = check_params(spec, params); !why.empty()) {
      invalid_.inc();
      spdlog::error("event {}: params do not match its declaration: {}", spec.name, why);
    }
  }
  if (!wanted(spec)) return;
  auto e = std::make_shared<Event>();
  e->spec = &spec;
  e->time = unix_now();
  e->params_json = to_compact_json(params);
  e->params = std::move(params);
  e->cause = std::move(cause);
  // Numbered and queued under one lock: every subscriber sees the events in seq order, so a
  // gap in seq means lost events (the sequence is also shared with stamp()'s samples).
  std::lock_guard order(raise_mu_);
  e->seq = seq_.fetch_add(1, std::memory_order_relaxed) + 1;
  EventPtr stamped = std::move(e);
  std::shared_lock lk(mu_);
  for (const Attached& a : sinks_)
    if (a.takes[spec.index]) a.sink->offer(stamped);
}

void EventBus::count_interest(const Attached& a, int delta) {
  for (std::size_t i = 0; i < a.takes.size(); ++i) {
    if (!a.takes[i]) continue;
    interest_[i].fetch_add(static_cast<std::uint32_t>(delta), std::memory_order_relaxed);
    if (a.cause) cause_interest_[i].fetch_add(static_cast<std::uint32_t>(delta), std::memory_order_relaxed);
  }
}

std::uint64_t EventBus::attach(const std::vector<const EventSpec*>& events, std::shared_ptr<EventSink> sink) {
  Attached a{0, std::vector<bool>(EventRegistry::kMaxEvents), std::move(sink), false};
  a.cause = a.sink->wants_cause();
  for (const EventSpec* e : events) a.takes[e->index] = true;
  std::unique_lock lk(mu_);
  a.id = next_id_++;
  count_interest(a, +1);
  sinks_.push_back(std::move(a));
  return sinks_.back().id;
}

void EventBus::detach(std::uint64_t id) {
  std::unique_lock lk(mu_);
  for (auto it = sinks_.begin(); it != sinks_.end(); ++it) {
    if (it->id != id) continue;
    count_interest(*it, -1);
    sinks_.erase(it);
    return;
  }
}

std::size_t EventBus::sinks() const {
  std::shared_lock lk(mu_);
  return sinks_.size();
}

}  // namespace sb::mi
