// port_events.cpp: E_PORT_STATE — a port came up, went down, was blocked or unblocked, was
// added or deleted, or the number of its channels carrying a call changed.
#include "gateway/ports/ports.h"

#include "mi/reply_schema.h"

namespace sb::gateway {

const mi::EventSpec& Ports::declare_events(mi::EventRegistry& events) {
  using namespace mi::schema;
  return events.add({.name = "E_PORT_STATE", .module = "ports",
                     .summary = "A port's state or its channels in use changed",
                     .params = object({{"port", uint("the port number")},
                                       {"state", enum_of({"up", "down", "blocked", "deleted"}, "the state now")},
                                       {"reason", nullable(str("why it is down"))},
                                       {"in_use", uint("channels carrying a call")},
                                       {"channels", uint("channels it has (0 once deleted)")},
                                       {"previous", nullable(enum_of({"up", "down", "blocked"}, "the state before; null for a new port"))}})});
}

void Ports::states_changed() {
  // What each port was is kept even while nobody listens, so that a new listener's first
  // events say what changed (and from what), not every port.
  const bool raise = bus_ && port_state_event_ && bus_->wanted(*port_state_event_);
  for (const auto& [number, p] : ports_) {
    Seen now;
    now.state = state(p, &now.why);
    now.in_use = p.in_use;
    auto it = seen_.find(number);
    if (it != seen_.end() && it->second == now) continue;
    mi::Value previous = it == seen_.end() ? mi::Value(nullptr) : mi::Value(it->second.state);
    if (raise)
      bus_->raise(*port_state_event_,
                mi::Value{{"port", number}, {"state", now.state},
                          {"reason", now.why.empty() ? mi::Value(nullptr) : mi::Value(now.why)},
                          {"in_use", now.in_use}, {"channels", p.channels}, {"previous", previous}});
    seen_[number] = std::move(now);
  }
  for (auto it = seen_.begin(); it != seen_.end();) {
    if (ports_.count(it->first)) {
      ++it;
      continue;
    }
    if (raise)
      bus_->raise(*port_state_event_, mi::Value{{"port", it->first}, {"state", "deleted"}, {"reason", nullptr},
                                                {"in_use", 0}, {"channels", 0}, {"previous", it->second.state}});
    it = seen_.erase(it);
  }
}

}  // namespace sb::gateway
