// events_commands.h: the event commands (events_list, event_subscribe, event_unsubscribe,
// subscribers_list, raise_event) and the events the core and this module raise.
#pragma once

#include <memory>

#include "gateway/events/subscriptions.h"
#include "mi/registry.h"

namespace sb::gateway::events {

/// What the handlers reach; `subscriptions` is null until the component starts (503).
struct EventsContext {
  mi::EventBus* bus = nullptr;
  std::unique_ptr<Subscriptions> subscriptions;
};

/// Declares E_CORE_STARTUP, E_CORE_SHUTDOWN and E_STATISTICS.
void declare_core_events(mi::EventRegistry& events);
void register_events_commands(mi::Registry& registry, EventsContext& ctx);

}  // namespace sb::gateway::events
