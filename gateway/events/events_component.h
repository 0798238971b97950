// events_component.h: the event interface as a daemon component — the [events] keys, the
// event commands (events_commands.h), the subscriptions from the configuration file, and the
// delivery threads (subscriptions.h). Started after the core and before the SIP engine, so
// configured subscriptions see the engine's first events; stopped after it, delivering what is
// queued (E_CORE_SHUTDOWN included) within the shutdown grace period.
// Threading: as gateway::Component (main thread).
#pragma once

#include "gateway/component/component.h"
#include "gateway/events/events_commands.h"

namespace sb::gateway::events {

class EventsComponent final : public Component {
 public:
  std::string_view name() const override { return "events"; }
  void declare(ConfigSchema& schema) const override;
  void configure(const Config& cfg) override;
  void register_commands(Runtime& rt) override;
  void start(Runtime& rt) override;
  void finish(std::chrono::milliseconds left) override;

 private:
  EventsLimits limits_;
  std::size_t bus_queue_ = 8192;
  std::vector<std::pair<std::string, std::string>> configured_;  ///< subscribe lines, origins
  EventsContext ctx_;
};

}  // namespace sb::gateway::events
