// subscription.cpp: see subscription.h.
#include "gateway/events/subscription.h"

#include <spdlog/spdlog.h>

#include "mi/threads.h"

namespace sb::gateway::events {

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t steady_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
}

}  // namespace

Subscription::Subscription(std::uint64_t id, SubscriptionSpec spec, std::vector<const mi::EventSpec*> events,
                           std::unique_ptr<Delivery> delivery, std::size_t queue_size)
    : id_(id), spec_(std::move(spec)), events_(std::move(events)), delivery_(std::move(delivery)),
      queue_(queue_size) {}

Subscription::~Subscription() {
  stop(Clock::now());
}

bool Subscription::takes(std::string_view event) const {
  for (const mi::EventSpec* e : events_)
    if (e->name == event) return true;
  return false;
}

std::int64_t Subscription::expires_in() const {
  std::int64_t at = expires_at_.load();
  if (at == 0) return -1;
  return std::max<std::int64_t>(0, at - steady_seconds());
}

void Subscription::expire_after(std::int64_t seconds) { expires_at_ = steady_seconds() + seconds; }

bool Subscription::expired() const {
  std::int64_t at = expires_at_.load();
  return at != 0 && steady_seconds() >= at;
}

void Subscription::start(mi::EventBus& bus, const mi::Statistics& stats, const mi::EventSpec* statistics_event,
                         mi::Stat& delivered, mi::Stat& failed, mi::Stat& dropped) {
  delivered_stat_ = &delivered;
  failed_stat_ = &failed;
  queue_.on_drop([&dropped] { dropped.inc(); });
  thread_ = std::thread([this, &bus, &stats, statistics_event] { run(bus, stats, statistics_event); });
}

void Subscription::stop(Clock::time_point deadline) {
  if (!thread_.joinable()) return;
  drain_deadline_ = deadline;
  draining_ = true;
  queue_.close();
  // Deliver what is queued until the deadline; then cut retries and back-offs short.
  while (Clock::now() < deadline && (queue_.size() > 0 || delivery_busy_.load()) && !stop_.load())
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  stop_ = true;
  queue_.wake();
  thread_.join();
}

void Subscription::run(mi::EventBus& bus, const mi::Statistics& stats, const mi::EventSpec* statistics_event) {
  mi::ThreadTag tag("events");
  auto interval = std::chrono::seconds(std::max(1, spec_.interval_s));
  auto next_sample = Clock::now() + interval;
  auto deliver = [&](const mi::Event& e, std::uint64_t dropped) {
    std::string why = delivery_->send(e, dropped, stop_);
    std::lock_guard lk(state_mu_);
    if (why.empty()) {
      ++delivered_;
      delivered_stat_->inc();
    } else {
      ++failed_;
      failed_stat_->inc();
      if (why != last_error_) spdlog::warn("events: subscription {} ({}): {}", id_, printable_socket(spec_.socket), why);
      last_error_ = std::move(why);
    }
  };
  while (!stop_.load()) {
    auto wake = Clock::now() + std::chrono::milliseconds(delivery_->busy() ? 20 : 250);
    if (statistics_event && next_sample < wake) wake = next_sample;
    std::uint64_t dropped = 0;
    mi::EventPtr e = queue_.pop(wake, &dropped);
    delivery_->tick();
    if (e) deliver(*e, dropped);
    if (statistics_event && !draining_ && Clock::now() >= next_sample) {
      next_sample += interval;
      if (next_sample < Clock::now()) next_sample = Clock::now() + interval;
      mi::Value params{{"interval", interval.count()}, {"statistics", mi::statistics_sample(stats, spec_.statistics)}};
      deliver(*bus.stamp(*statistics_event, std::move(params)), 0);
    }
    delivery_busy_ = delivery_->busy();
    if (draining_ && queue_.size() == 0 && !delivery_busy_.load()) break;
  }
}

mi::Value Subscription::describe() const {
  mi::Value names = mi::Value::array();
  for (const mi::EventSpec* e : events_) names.push_back(e->name);
  std::int64_t left = expires_in();
  mi::Value row{{"id", id_},
                {"event", spec_.pattern},
                {"socket", printable_socket(spec_.socket)},
                {"kind", delivery_->kind()},
                {"source", spec_.from_config ? "config" : "runtime"},
                {"expires_in", left < 0 ? mi::Value(nullptr) : mi::Value(left)},
                {"events", names},
                {"queued", queue_.size()},
                {"queue_size", queue_.capacity()},
                {"delivered", delivered_.load()},
                {"dropped", queue_.dropped_total()},
                {"failed", failed_.load()}};
  {
    std::lock_guard lk(state_mu_);
    row["last_error"] = last_error_.empty() ? mi::Value(nullptr) : mi::Value(last_error_);
  }
  row["state"] = delivery_->state();
  if (takes("E_STATISTICS")) row["statistics"] = mi::Value{{"interval", spec_.interval_s}, {"names", spec_.statistics}};
  return row;
}

}  // namespace sb::gateway::events
