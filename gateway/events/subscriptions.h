// subscriptions.h: every event subscription of the daemon — made at run time (event_subscribe:
// in memory, expiring, as OpenSIPS's) or read from the configuration ([events] subscribe lines:
// made at start-up, never expire, survive restarts because the file does).
//
// Purpose: one place that checks a subscription (its pattern against the event registry, its
// socket by building the Delivery, exec programs at run time only from events.exec_dirs, the
// events.max_subscriptions bound), attaches it to the bus, refreshes it when the same pattern
// and socket subscribe again, and removes it when it expires or is unsubscribed.
// Threading: any thread (a mutex); a housekeeping thread removes expired subscriptions.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "gateway/events/subscription.h"
#include "mi/error.h"
#include "mi/event_bus.h"

namespace sb::gateway::events {

struct EventsLimits {
  std::size_t queue_size = 1000;
  std::size_t max_subscriptions = 64;
  int statistics_interval_s = 10;
  std::vector<std::string> statistics;  ///< default E_STATISTICS items
  std::vector<std::string> exec_dirs;   ///< run-time exec: programs only from these directories
  DeliveryLimits delivery;
};

class Subscriptions {
 public:
  Subscriptions(mi::EventBus& bus, mi::Statistics& stats, EventsLimits limits);
  ~Subscriptions();

  /// Adds or refreshes (same pattern and socket) a subscription; `expire_s` 0 removes it.
  /// Returns its row (subscribers_list's shape), "OK" for a removal, or an Error (400 for a bad
  /// pattern or socket, 403 for a run-time exec outside events.exec_dirs, 503 when full).
  std::variant<mi::Value, mi::Error> subscribe(SubscriptionSpec spec, std::int64_t expire_s);
  /// Removes the subscription of that pattern and socket; false when there is none.
  bool unsubscribe(const std::string& pattern, const std::string& socket);
  /// The rows of subscriptions taking `event` (all when empty) on `socket` (any when empty).
  mi::Value list(const std::string& event, const std::string& socket) const;

  /// Starts the expiry thread.
  void start();
  /// Detaches everything from the bus, delivers what is queued until `deadline`, stops.
  void stop(std::chrono::steady_clock::time_point deadline);

 private:
  void housekeeping();
  void remove_locked(std::map<std::uint64_t, std::shared_ptr<Subscription>>::iterator it);
  std::string check_exec(const std::string& program) const;

  mi::EventBus& bus_;
  mi::Statistics& stats_;
  EventsLimits limits_;
  mi::Stat& delivered_;
  mi::Stat& failed_;
  mi::Stat& dropped_;
  mi::Stat& expired_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::map<std::uint64_t, std::shared_ptr<Subscription>> subs_;
  std::vector<std::shared_ptr<Subscription>> retired_;  ///< removed, stopped outside the lock
  std::uint64_t next_id_ = 1;
  std::thread housekeeper_;
};

}  // namespace sb::gateway::events
