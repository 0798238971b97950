// call_events.h: the call engine's events — E_CALL_STATE (new, ringing, early, answered,
// ended: ids, numbers, rule, port, cause) and E_CDR (a CDR row, once committed) — declared once
// and raised by Calls at each transition.
// Threading: declare at start-up; raise on the engine thread (the bus never blocks).
#pragma once

#include <memory>

#include "mi/event_bus.h"

namespace sb::gateway {

struct Call;

class CallEvents {
 public:
  explicit CallEvents(mi::EventRegistry& registry);
  void attach(mi::EventBus* bus) { bus_ = bus; }
  /// An exec subscriber of E_CALL_STATE wants the INVITE.
  bool wants_cause() const { return bus_ && bus_->wants_cause(*state_); }
  /// E_CALL_STATE with the call's state now (`cause`: the INVITE, for "new").
  void state(const Call& call, std::shared_ptr<const mi::SipCause> cause = {}) const;
  /// E_CDR for the call's committed CDR row `row`.
  void cdr(const Call& call, std::int64_t row) const;

 private:
  mi::EventBus* bus_ = nullptr;
  const mi::EventSpec* state_;
  const mi::EventSpec* cdr_;
};

}  // namespace sb::gateway
