// event_bus.h: raising events and handing them to subscribers, without ever blocking the raiser.
//
// Purpose: a module raises a declared event (event_registry.h) with its params; the bus stamps
// it (a sequence number, the time) and queues it (one short lock; no system call while the
// bus's dispatcher thread is busy or has been idle less than 0.5 ms: it looks again by itself); the dispatcher renders its params once and offers it to
// every attached sink whose filter takes that event. The bus's own queue is bounded
// (pending_limit; beyond it events are dropped, counted in events:bus_dropped). A sink only queues (EventQueue: bounded; when full the
// event is dropped and counted, and the next delivery says how many were lost); its own thread
// (a subscription's, a WebSocket's) does the I/O. When nobody listens to an event, wanted() is
// false and the raiser skips building its params: the SIP engine pays one atomic load.
// Events raised by a SIP request may carry the request (SipCause) for exec subscribers, built
// only when wants_cause() says such a subscriber exists.
// Threading: raise(), wanted(), attach(), detach() from any thread. Sinks' offer() runs on the
// dispatcher thread and must not block (take a short lock, queue, notify).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mi/event_registry.h"
#include "mi/statistics.h"
#include "mi/value.h"

namespace sb::mi {

/// The SIP request that caused an event, as SER's exec module passed it to programs.
struct SipCause {
  std::vector<std::pair<std::string, std::string>> headers;  ///< name as sent, value
  std::string tid;     ///< transaction id (SIP_TID)
  std::string did;     ///< dialog id: the To tag (SIP_DID)
  std::string srcip;   ///< source address (SIP_SRCIP)
  std::string ruri;    ///< request URI (SIP_RURI)
  std::string oruri;   ///< the original request URI (SIP_ORURI)
  std::string user;    ///< user part of the request URI (SIP_USER)
  std::string ouser;   ///< user part of the original request URI (SIP_OUSER)
};

struct Event {
  const EventSpec* spec = nullptr;
  std::uint64_t seq = 0;   ///< 1, 2, … per daemon run (raised events; samples share the counter)
  double time = 0;         ///< unix time, seconds with microseconds
  Value params;
  /// Set by raise_deferred(): `params` = build(payload), on the bus's thread (then cleared).
  std::shared_ptr<const void> payload;
  Value (*build)(const void* payload) = nullptr;
  std::string params_json;  ///< params rendered once (compact JSON)
  std::shared_ptr<const SipCause> cause;

  /// {"jsonrpc":"2.0","method":"E_…","params":{…},"seq":N,"time":T[,"dropped":D]}
  std::string jsonrpc(std::uint64_t dropped) const;
  /// {"event":"E_…","seq":N,"time":T,"params":{…}[,"dropped":D]} (the WebSocket message)
  std::string stream_message(std::uint64_t dropped) const;
  /// stream_message(0), rendered once for every stream that gets this event.
  std::shared_ptr<const std::string> stream_text() const;

 private:
  std::string envelope(std::string_view head, std::uint64_t dropped) const;
  mutable std::once_flag stream_once_;
  mutable std::shared_ptr<const std::string> stream_text_;
};
using EventPtr = std::shared_ptr<const Event>;

/// A bounded queue of events with a lost-events count: one per subscriber.
/// Threading: push() from any thread (never blocks beyond a short lock); pop from one consumer.
class EventQueue {
 public:
  explicit EventQueue(std::size_t capacity) : capacity_(capacity) {}
  /// False (and the event counted as dropped) when full or closed.
  bool push(EventPtr e);
  /// Waits until an event is queued, the queue is closed or `deadline`; returns the next
  /// event (null on timeout/closed) and, in `dropped`, the events lost since the last pop.
  EventPtr pop(std::chrono::steady_clock::time_point deadline, std::uint64_t* dropped);
  /// Without waiting.
  EventPtr try_pop(std::uint64_t* dropped);
  /// Wakes the consumer; later pushes are refused.
  void close();
  /// Wakes a waiting consumer (e.g. to look at a stop flag).
  void wake();
  std::size_t size() const;
  std::size_t capacity() const { return capacity_; }
  std::uint64_t dropped_total() const { return dropped_total_.load(std::memory_order_relaxed); }
  std::uint64_t queued_total() const { return queued_total_.load(std::memory_order_relaxed); }
  /// A callback run (outside the lock) when an event was dropped: counts events:dropped.
  void on_drop(std::function<void()> fn) { on_drop_ = std::move(fn); }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<EventPtr> q_;
  std::size_t capacity_;
  std::uint64_t dropped_since_pop_ = 0;
  bool closed_ = false;
  bool woken_ = false;
  std::atomic<std::uint64_t> dropped_total_{0};
  std::atomic<std::uint64_t> queued_total_{0};
  std::function<void()> on_drop_;
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  /// On the raiser's thread: queue it (never block).
  virtual void offer(const EventPtr& e) = 0;
  /// Wants the SIP request of events raised by one (an exec subscriber).
  virtual bool wants_cause() const { return false; }
};

class EventBus {
 public:
  /// Starts the dispatcher thread; `pending_limit` bounds the events raised but not yet
  /// dispatched (events.bus_queue).
  EventBus(const EventRegistry& registry, Statistics& stats, std::size_t pending_limit = 8192);
  /// Stops the dispatcher (events still pending are dropped: flush() first).
  ~EventBus();
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;
  /// Waits up to `within` until every event raised so far has been offered to the sinks.
  bool flush(std::chrono::milliseconds within);
  void set_pending_limit(std::size_t n) {
    std::lock_guard lk(pending_mu_);
    pending_limit_ = n;
  }

  /// Someone listens to this event: build its params and raise it.
  bool wanted(const EventSpec& e) const {
    return interest_[e.index].load(std::memory_order_relaxed) != 0;
  }
  /// Some listener of this event wants the SIP request (build a SipCause).
  bool wants_cause(const EventSpec& e) const {
    return cause_interest_[e.index].load(std::memory_order_relaxed) != 0;
  }
  /// Stamps the event and offers it to the sinks whose filter takes it. Never blocks.
  void raise(const EventSpec& e, Value params, std::shared_ptr<const SipCause> cause = {});
  /// raise() with params built on the bus's thread, for the SIP engine's hot paths: the raiser
  /// only makes `payload` (what the params need, ideally one allocation: a copy of a binding,
  /// say) and names the function that turns it into the params. Call it only when wanted(e)
  /// (or validating): with no listener nothing is queued; with validate_params on, the params
  /// are checked once built.
  void raise_deferred(const EventSpec& e, std::shared_ptr<const void> payload, Value (*build)(const void*),
                      std::shared_ptr<const SipCause> cause = {});
  /// raise() with params built only when someone listens: `raise_if(E, [&] { return Value…; })`.
  template <class Build>
  void raise_if(const EventSpec& e, Build&& build) {
    if (wanted(e) || validate_) raise(e, build());
  }
  /// A stamped event that goes to no sink (a statistics sample for one subscriber).
  EventPtr stamp(const EventSpec& e, Value params);

  /// Attaches a sink taking `events`; returns its id for detach().
  std::uint64_t attach(const std::vector<const EventSpec*>& events, std::shared_ptr<EventSink> sink);
  /// Detaches it (no offer() runs on it once this returns).
  void detach(std::uint64_t id);
  std::size_t sinks() const;

  /// With core.validate_replies on: every raised event's params are checked against its
  /// declaration; a mismatch is logged and counted (events:invalid) — tests assert none.
  void validate_params(bool on) { validate_ = on; }
  const EventRegistry& registry() const { return registry_; }
  /// How many sinks take this event now (events_list).
  std::uint32_t listeners(const EventSpec& e) const { return interest_[e.index].load(std::memory_order_relaxed); }
  /// Why `params` do not match the event's declaration (empty when they do).
  static std::string check_params(const EventSpec& e, const Value& params);

 private:
  struct Attached {
    std::uint64_t id;
    std::vector<bool> takes;  ///< by EventSpec::index
    std::shared_ptr<EventSink> sink;
    bool cause;
  };
  void count_interest(const Attached& a, int delta);
  /// Numbers `e` and queues it for the dispatcher (or counts it in events:bus_dropped).
  void enqueue(std::shared_ptr<Event> e);
  void validate(const EventSpec& spec, const Value& params);
  void dispatch();

  const EventRegistry& registry_;
  mutable std::shared_mutex mu_;  ///< sinks_
  std::vector<Attached> sinks_;
  std::mutex pending_mu_;
  std::condition_variable pending_cv_, drained_cv_;
  std::deque<std::shared_ptr<Event>> pending_;  ///< raised, not yet dispatched
  std::size_t pending_limit_;
  std::size_t in_flight_ = 0;     ///< being dispatched now
  enum class State { busy, light, deep };
  /// light: polling again within kLightSleep; deep: waiting until a raise() wakes it.
  State dispatcher_state_ = State::busy;
  static constexpr std::chrono::microseconds kLightSleep{500};
  bool stopping_ = false;
  std::thread dispatcher_;
  std::uint64_t next_id_ = 1;
  std::atomic<std::uint64_t> seq_{0};
  std::array<std::atomic<std::uint32_t>, EventRegistry::kMaxEvents> interest_{};
  std::array<std::atomic<std::uint32_t>, EventRegistry::kMaxEvents> cause_interest_{};
  bool validate_ = false;
  Stat& raised_;
  Stat& invalid_;
  Stat& bus_dropped_;
};

}  // namespace sb::mi
