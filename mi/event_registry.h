// event_registry.h: the one table of events the daemon can raise, declared like commands.
//
// Purpose: an event is declared once (EventSpec: name, module, summary, the JSON Schema of its
// params built with mi/reply_schema.h, each property with a description) by the module that
// raises it. events_list, the OpenAPI document (its `webhooks`), subscription filters and the
// test daemons' check of every raised event's params all read this table. The registry refuses
// incomplete specs (a name not E_[A-Z0-9_]+, no summary, params that are not an object schema,
// a param without a description) with a RegistryError naming the event.
// Patterns: `E_UL_CONTACT_INSERT` (one event), `E_UL_*` (a prefix), several separated by commas.
// Threading: add() at start-up (mutex); lookups from any thread (shared lock). Specs are never
// removed, so pointers stay valid; `index` numbers them from 0 in registration order.
#pragma once

#include <cstddef>
#include <deque>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mi/value.h"

namespace sb::mi {

struct EventSpec {
  std::string name{};         ///< E_UL_CONTACT_INSERT (OpenSIPS names where they exist)
  std::string module{};       ///< the module that raises it ("usrloc", "core", a loaded module)
  std::string summary{};      ///< one line: when it is raised
  std::string description{};  ///< optional longer help
  /// The params object (mi/reply_schema.h object()): every property described.
  Value params{};
  /// Raised by a SIP request (a REGISTER, an INVITE): exec subscribers also get the request in
  /// SER exec's variables (SIP_HF_<HEADER>, SIP_SRCIP, SIP_RURI, …).
  bool from_sip_request = false;
  std::size_t index = 0;  ///< set by the registry
};

class EventRegistry {
 public:
  /// At most this many events (the bus keeps a fixed interest table).
  static constexpr std::size_t kMaxEvents = 512;

  /// Adds an event; throws RegistryError (mi/registry.h) when incomplete or the name is taken.
  const EventSpec& add(EventSpec spec);
  const EventSpec* find(std::string_view name) const;
  std::vector<const EventSpec*> all() const;
  std::size_t size() const;

  /// The events a pattern names ("E_UL_*", "E_CDR", "E_A,E_B"), each once, in registration
  /// order. A part that names no event makes `error` say which (and the result is empty).
  std::vector<const EventSpec*> match(std::string_view pattern, std::string* error) const;

  /// Why the spec would be refused (empty when acceptable).
  static std::string validate(const EventSpec& spec);

 private:
  mutable std::shared_mutex mu_;
  std::deque<EventSpec> specs_;
  std::unordered_map<std::string, const EventSpec*> by_name_;
};

/// The params of an event as events_list shows them: [{name, type, required, help}].
Value event_params_list(const EventSpec& spec);

}  // namespace sb::mi
