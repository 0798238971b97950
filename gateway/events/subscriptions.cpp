// subscriptions.cpp: see subscriptions.h.
#include "gateway/events/subscriptions.h"

#include <climits>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "mi/threads.h"

namespace sb::gateway::events {

using Clock = std::chrono::steady_clock;

Subscriptions::Subscriptions(mi::EventBus& bus, mi::Statistics& stats, EventsLimits limits)
    : bus_(bus), stats_(stats), limits_(std::move(limits)),
      delivered_(stats.counter("events", "delivered")),
      failed_(stats.counter("events", "failed")),
      dropped_(stats.counter("events", "dropped")),
      expired_(stats.counter("events", "expired_subscriptions")) {}

Subscriptions::~Subscriptions() { stop(Clock::now()); }

std::string Subscriptions::check_exec(const std::string& program) const {
  if (limits_.exec_dirs.empty())
    return "exec subscriptions at run time are off (events.exec_dirs is empty); a [events] subscribe "
           "line in the configuration may run any program";
  char real[PATH_MAX];
  if (!::realpath(program.c_str(), real)) return fmt::format("exec: {}: no such program", program);
  std::filesystem::path p(real);
  for (const std::string& dir : limits_.exec_dirs) {
    char rd[PATH_MAX];
    if (!::realpath(dir.c_str(), rd)) continue;
    std::string d = rd;
    if (p.parent_path() == std::filesystem::path(d)) return {};
  }
  return fmt::format("exec: {} is not in events.exec_dirs", program);
}

std::variant<mi::Value, mi::Error> Subscriptions::subscribe(SubscriptionSpec spec, std::int64_t expire_s) {
  if (expire_s == 0) {
    if (!unsubscribe(spec.pattern, spec.socket))
      return mi::Error::failure(404, "no such subscription", fmt::format("{} {}", spec.pattern, printable_socket(spec.socket)));
    return mi::Value("OK");
  }
  std::string why;
  std::vector<const mi::EventSpec*> events = bus_.registry().match(spec.pattern, &why);
  if (events.empty()) return mi::Error::bad_param("event", why);
  {
    std::lock_guard lk(mu_);
    for (auto& [id, sub] : subs_) {
      if (sub->spec().pattern != spec.pattern || sub->spec().socket != spec.socket) continue;
      if (sub->spec().from_config && !spec.from_config)
        return mi::Error::failure(409, "subscription made by the configuration",
                                  "an [events] subscribe line made it; it does not expire");
      sub->expire_after(expire_s);  // OpenSIPS: subscribing again refreshes the expiry
      return sub->describe();
    }
    if (stopping_) return mi::Error::failure(503, "shutting down");
    if (subs_.size() >= limits_.max_subscriptions)
      return mi::Error::failure(503, fmt::format("too many subscriptions (events.max_subscriptions is {})",
                                                 limits_.max_subscriptions));
  }
  if (spec.socket.rfind("exec:", 0) == 0 && !spec.from_config) {
    if (std::string refused = check_exec(spec.socket.substr(5)); !refused.empty())
      return mi::Error::forbidden(refused);
  }
  if (spec.interval_s < 1) spec.interval_s = limits_.statistics_interval_s;
  if (spec.statistics.empty()) spec.statistics = limits_.statistics;
  auto made = make_delivery(spec.socket, spec.secret, limits_.delivery);
  if (auto* refused = std::get_if<std::string>(&made)) return mi::Error::bad_param("socket", *refused);
  const mi::EventSpec* statistics_event = nullptr;
  for (const mi::EventSpec* e : events)
    if (e->name == "E_STATISTICS") statistics_event = e;

  std::lock_guard lk(mu_);
  if (subs_.size() >= limits_.max_subscriptions)
    return mi::Error::failure(503, fmt::format("too many subscriptions (events.max_subscriptions is {})",
                                               limits_.max_subscriptions));
  std::uint64_t id = next_id_++;
  bool from_config = spec.from_config;
  auto sub = std::make_shared<Subscription>(id, std::move(spec), events,
                                            std::move(std::get<std::unique_ptr<Delivery>>(made)),
                                            limits_.queue_size);
  if (!from_config) sub->expire_after(expire_s);
  sub->start(bus_, stats_, statistics_event, delivered_, failed_, dropped_);
  sub->set_bus_id(bus_.attach(events, sub));
  subs_.emplace(id, sub);
  spdlog::info("events: subscription {}: {} -> {} ({})", id, sub->spec().pattern,
               printable_socket(sub->spec().socket), from_config ? "from the configuration" : fmt::format("expires in {} s", expire_s));
  return sub->describe();
}

void Subscriptions::remove_locked(std::map<std::uint64_t, std::shared_ptr<Subscription>>::iterator it) {
  bus_.detach(it->second->bus_id());
  retired_.push_back(it->second);
  subs_.erase(it);
  cv_.notify_all();
}

bool Subscriptions::unsubscribe(const std::string& pattern, const std::string& socket) {
  std::lock_guard lk(mu_);
  for (auto it = subs_.begin(); it != subs_.end(); ++it) {
    if (it->second->spec().pattern == pattern && it->second->spec().socket == socket) {
      remove_locked(it);
      return true;
    }
  }
  return false;
}

mi::Value Subscriptions::list(const std::string& event, const std::string& socket) const {
  std::vector<std::shared_ptr<Subscription>> picked;
  {
    std::lock_guard lk(mu_);
    for (const auto& [id, sub] : subs_) {
      if (!event.empty() && sub->spec().pattern != event && !sub->takes(event)) continue;
      if (!socket.empty() && sub->spec().socket != socket) continue;
      picked.push_back(sub);
    }
  }
  mi::Value rows = mi::Value::array();
  for (const auto& sub : picked) rows.push_back(sub->describe());
  return rows;
}

void Subscriptions::start() {
  housekeeper_ = std::thread([this] { housekeeping(); });
}

void Subscriptions::housekeeping() {
  mi::ThreadTag tag("events");
  std::unique_lock lk(mu_);
  while (!stopping_) {
    cv_.wait_for(lk, std::chrono::milliseconds(500));
    for (auto it = subs_.begin(); it != subs_.end();) {
      auto next = std::next(it);
      if (it->second->expired()) {
        spdlog::info("events: subscription {} ({} -> {}) expired", it->first, it->second->spec().pattern,
                     printable_socket(it->second->spec().socket));
        expired_.inc();
        remove_locked(it);
      }
      it = next;
    }
    // Stopping a subscription joins its thread (it may be finishing a delivery): not under the lock.
    std::vector<std::shared_ptr<Subscription>> done;
    done.swap(retired_);
    lk.unlock();
    for (auto& sub : done) sub->stop(Clock::now() + std::chrono::seconds(1));
    done.clear();
    lk.lock();
  }
}

void Subscriptions::stop(Clock::time_point deadline) {
  std::vector<std::shared_ptr<Subscription>> all;
  {
    std::lock_guard lk(mu_);
    if (stopping_ && subs_.empty() && retired_.empty() && !housekeeper_.joinable()) return;
    stopping_ = true;
    for (auto& [id, sub] : subs_) {
      bus_.detach(sub->bus_id());
      all.push_back(sub);
    }
    subs_.clear();
    for (auto& sub : retired_) all.push_back(sub);
    retired_.clear();
    cv_.notify_all();
  }
  if (housekeeper_.joinable()) housekeeper_.join();
  // In parallel: each delivers what it has queued until the deadline.
  std::vector<std::thread> stoppers;
  for (auto& sub : all) stoppers.emplace_back([sub, deadline] { sub->stop(deadline); });
  for (auto& t : stoppers) t.join();
}

}  // namespace sb::gateway::events
