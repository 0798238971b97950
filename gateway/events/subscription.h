// subscription.h: one event subscription — which events, where they go (a Delivery), its
// bounded queue, the thread that delivers, and what it has done (subscribers_list).
//
// Purpose: the bus offers an event (on the raiser's thread) and the subscription only queues it
// (events.queue_size; when full it is dropped and counted, and the next delivery carries the
// count). Its own thread pops and delivers, so a slow receiver (a webhook retrying, a program
// running, a TCP peer reconnecting) delays nobody else. A subscription to E_STATISTICS also
// gets a sample of its chosen statistics every `interval` seconds from that thread.
// Threading: offer() from any thread; start/stop from the manager; describe() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gateway/events/delivery.h"
#include "mi/event_bus.h"

namespace sb::gateway::events {

struct SubscriptionSpec {
  std::string pattern{};  ///< "E_UL_*", "E_CDR,E_CALL_STATE"
  std::string socket{};   ///< "udp:127.0.0.1:9999", "https://…", "exec:/usr/local/bin/x"
  std::string secret{};   ///< webhooks: HMAC-SHA256 key (never shown)
  bool from_config = false;  ///< from [events] subscribe: never expires
  int interval_s = 10;       ///< E_STATISTICS: seconds between samples (>= 1)
  std::vector<std::string> statistics{};  ///< E_STATISTICS: get_statistics items
};

class Subscription : public mi::EventSink {
 public:
  Subscription(std::uint64_t id, SubscriptionSpec spec, std::vector<const mi::EventSpec*> events,
               std::unique_ptr<Delivery> delivery, std::size_t queue_size);
  ~Subscription() override;

  void offer(const mi::EventPtr& e) override { queue_.push(e); }
  bool wants_cause() const override { return delivery_->kind() == "exec"; }

  /// Starts the delivering thread. `statistics_event` is E_STATISTICS when the filter takes it.
  void start(mi::EventBus& bus, const mi::Statistics& stats, const mi::EventSpec* statistics_event,
             mi::Stat& delivered, mi::Stat& failed, mi::Stat& dropped);
  /// Delivers what is queued until `deadline`, then stops the thread (events still queued are
  /// dropped). Call after the bus no longer offers to it.
  void stop(std::chrono::steady_clock::time_point deadline);

  std::uint64_t id() const { return id_; }
  const SubscriptionSpec& spec() const { return spec_; }
  const std::vector<const mi::EventSpec*>& events() const { return events_; }
  bool takes(std::string_view event) const;
  /// Seconds left, or -1 for a configured one (no expiry).
  std::int64_t expires_in() const;
  /// Sets the expiry `seconds` from now.
  void expire_after(std::int64_t seconds);
  bool expired() const;
  void set_bus_id(std::uint64_t id) { bus_id_ = id; }
  std::uint64_t bus_id() const { return bus_id_; }

  /// The row subscribers_list shows.
  mi::Value describe() const;

 private:
  void run(mi::EventBus& bus, const mi::Statistics& stats, const mi::EventSpec* statistics_event);

  std::uint64_t id_;
  std::uint64_t bus_id_ = 0;
  SubscriptionSpec spec_;
  std::vector<const mi::EventSpec*> events_;
  std::unique_ptr<Delivery> delivery_;
  mi::EventQueue queue_;
  std::atomic<std::int64_t> expires_at_{0};  ///< steady seconds; 0 = never
  std::atomic<bool> stop_{false};
  std::atomic<bool> draining_{false};
  std::atomic<bool> delivery_busy_{false};  ///< programs still running (exec)
  std::chrono::steady_clock::time_point drain_deadline_{};
  std::thread thread_;
  std::atomic<std::uint64_t> delivered_{0}, failed_{0};
  mi::Stat* delivered_stat_ = nullptr;
  mi::Stat* failed_stat_ = nullptr;
  mutable std::mutex state_mu_;  ///< last_error_
  std::string last_error_;
};

}  // namespace sb::gateway::events
