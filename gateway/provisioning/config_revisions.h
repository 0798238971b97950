// config_revisions.h: the configuration's revision number and the last N documents.
//
// Purpose: every successful write of the provisioned configuration — a config_import or
// config_restore, or any command flagged kConfig (subscriber_add, dp_rule_move, …) — makes a
// new revision: its number (the ETag of GET /api/v1/config) and the whole document after it,
// kept for the last `keep` revisions (config.keep_revisions) so that config_restore can go back.
// Threading: engine thread (the engine's database connection).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "gateway/engine/services.h"
#include "mi/event_bus.h"
#include "mi/value.h"

namespace sb::gateway {

class ConfigRevisions {
 public:
  ConfigRevisions(const SipServices& services, std::size_t keep);

  /// The current revision (0 before the first write).
  std::int64_t current() const;
  /// The document as it is now, stamped with the current revision and the time.
  mi::Value document() const;
  /// Records a new revision made by `source` (a command name) with the document as the tables
  /// hold it now; inside the caller's transaction when one is open. Returns its number.
  /// Raises E_CONFIG_CHANGED (revision, source, what changed) when a listener wants it.
  std::int64_t record(const std::string& source);
  void set_events(mi::EventBus* bus, const mi::EventSpec* changed) {
    bus_ = bus;
    changed_event_ = changed;
  }
  static const mi::EventSpec& declare_events(mi::EventRegistry& events);
  /// [{revision, created, source}], newest first.
  mi::Value list() const;
  /// The document of revision `n`, or nullopt when it is not kept.
  std::optional<mi::Value> find(std::int64_t n) const;

 private:
  const SipServices& services_;
  std::size_t keep_;
  mi::EventBus* bus_ = nullptr;
  const mi::EventSpec* changed_event_ = nullptr;
};

}  // namespace sb::gateway
