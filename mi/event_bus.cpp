// event_bus.cpp: see event_bus.h.
#include "mi/event_bus.h"

#include <map>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "mi/reply_validator.h"
#include "mi/threads.h"

namespace sb::mi {

namespace {

double unix_now() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count() / 1e6;
}

/// Compiled params validators, one per declaration (test daemons only). Keyed by the declared
/// schema's text, not by the event's index: another registry (or a module loaded again) may
/// give the same index to an event declared differently.
class ParamsValidators {
 public:
  std::string check(const EventSpec& spec, const Value& params) {
    std::string key = spec.name + '\n' + to_compact_json(spec.params);
    std::lock_guard lk(mu_);
    auto it = compiled_.find(key);
    if (it == compiled_.end()) it = compiled_.emplace(key, std::make_unique<ReplyValidator>(spec.params)).first;
    return it->second->validate(params);
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<ReplyValidator>> compiled_;
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

std::shared_ptr<const std::string> Event::stream_text() const {
  std::call_once(stream_once_, [this] { stream_text_ = std::make_shared<const std::string>(stream_message(0)); });
  return stream_text_;
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

EventBus::EventBus(const EventRegistry& registry, Statistics& stats, std::size_t pending_limit)
    : registry_(registry),
      pending_limit_(pending_limit),
      raised_(stats.counter("events", "raised")),
      invalid_(stats.counter("events", "invalid")),
      bus_dropped_(stats.counter("events", "bus_dropped")) {
  stats.computed("events", "subscribers", StatKind::gauge, [this] { return std::int64_t(sinks()); });
  stats.computed("events", "pending", StatKind::gauge, [this] {
    std::lock_guard lk(pending_mu_);
    return std::int64_t(pending_.size() + in_flight_);
  });
  dispatcher_ = std::thread([this] {
    ThreadTag tag("event bus");
    dispatch();
  });
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

void EventBus::validate(const EventSpec& spec, const Value& params) {
  if (std::string why = check_params(spec, params); !why.empty()) {
    invalid_.inc();
    spdlog::error("event {}: params do not match its declaration: {}", spec.name, why);
  }
}

void EventBus::raise(const EventSpec& spec, Value params, std::shared_ptr<const SipCause> cause) {
  raised_.inc();
  if (validate_) validate(spec, params);
  if (!wanted(spec)) return;
  auto e = std::make_shared<Event>();
  e->spec = &spec;
  e->params = std::move(params);
  e->cause = std::move(cause);
  enqueue(std::move(e));
}

void EventBus::raise_deferred(const EventSpec& spec, std::shared_ptr<const void> payload,
                              Value (*build)(const void*), std::shared_ptr<const SipCause> cause) {
  raised_.inc();
  if (!wanted(spec)) {
    if (validate_) validate(spec, build(payload.get()));
    return;
  }
  auto e = std::make_shared<Event>();
  e->spec = &spec;
  e->payload = std::move(payload);
  e->build = build;
  e->cause = std::move(cause);
  enqueue(std::move(e));
}

void EventBus::enqueue(std::shared_ptr<Event> e) {
  e->time = unix_now();
  bool wake = false;
  {
    // Numbered in the order they are queued: every subscriber sees the events in seq order, so
    // a gap in seq means lost events (the sequence is shared with stamp()'s samples).
    std::lock_guard lk(pending_mu_);
    if (pending_.size() >= pending_limit_ || stopping_) {
      bus_dropped_.inc();
      return;
    }
    e->seq = seq_.fetch_add(1, std::memory_order_relaxed) + 1;
    pending_.push_back(std::move(e));
    wake = dispatcher_state_ == State::deep;  // busy or in its light sleep: it finds it alone
    if (wake) dispatcher_state_ = State::busy;
  }
  if (wake) pending_cv_.notify_one();
}

void EventBus::dispatch() {
  std::vector<std::shared_ptr<Event>> batch;
  std::unique_lock lk(pending_mu_);
  while (true) {
    if (pending_.empty()) {
      drained_cv_.notify_all();
      if (stopping_) return;
      // A light sleep first: events raised now are picked up within kLightSleep without the
      // raiser waking this thread (no system call on the SIP engine under a steady load); only
      // after a quiet spell does the raiser have to wake it.
      dispatcher_state_ = State::light;
      pending_cv_.wait_for(lk, kLightSleep, [&] { return !pending_.empty() || stopping_; });
      if (pending_.empty() && !stopping_) {
        dispatcher_state_ = State::deep;
        pending_cv_.wait(lk, [&] { return !pending_.empty() || stopping_; });
      }
      dispatcher_state_ = State::busy;
      continue;
    }
    batch.assign(std::make_move_iterator(pending_.begin()), std::make_move_iterator(pending_.end()));
    pending_.clear();
    in_flight_ = batch.size();
    lk.unlock();
    {
      std::shared_lock sinks(mu_);
      for (auto& e : batch) {
        if (e->build) {  // raise_deferred(): the params are built here, not on the raiser's thread
          e->params = e->build(e->payload.get());
          e->build = nullptr;
          e->payload.reset();
          if (validate_) validate(*e->spec, e->params);
        }
        e->params_json = to_compact_json(e->params);  // here too
        EventPtr shared = std::move(e);
        for (const Attached& a : sinks_)
          if (a.takes[shared->spec->index]) a.sink->offer(shared);
      }
    }
    batch.clear();
    lk.lock();
    in_flight_ = 0;
  }
}

bool EventBus::flush(std::chrono::milliseconds within) {
  std::unique_lock lk(pending_mu_);
  return drained_cv_.wait_for(lk, within, [&] { return pending_.empty() && in_flight_ == 0; });
}

EventBus::~EventBus() {
  {
    std::lock_guard lk(pending_mu_);
    stopping_ = true;
  }
  pending_cv_.notify_all();
  if (dispatcher_.joinable()) dispatcher_.join();
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
