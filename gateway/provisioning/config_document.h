// config_document.h: the whole provisioned configuration as one JSON document (berofix:
// backup = provisioning = restore) — export, check, compare, write, apply.
//
// Purpose: config_export / config_import / config_restore (provisioning_commands.cpp) and the
// revision history (config_revisions.h) share these steps. A document holds every provisioned
// object: subscribers (HA1 hashes), accounts (secrets included: admin only), dialplan rules in
// order, ports, port groups, and the cause map (read-only here: it is set in the configuration
// file). check() reports every problem by JSON Pointer and normalises the document to the
// export's form, so changes() compares like with like; write() changes the tables inside the
// caller's transaction; apply() makes the engine use them (dialplan swap, ports reread keeping
// their calls, only changed accounts re-register).
// Threading: engine thread (the database connection and the modules are the engine's).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gateway/engine/services.h"
#include "mi/value.h"

namespace sb::gateway {

inline constexpr int kConfigSchemaVersion = 1;

/// The document as the tables hold it now; `revision` and `generated_at` are the caller's.
mi::Value export_config(const SipServices& s);

struct ConfigProblem {
  std::string pointer;  ///< JSON Pointer into the document
  std::string detail;
};

/// Every problem of `doc` (empty: it may be imported); fills `normalized` with the document in
/// the export's form (defaults filled in, HA1s computed from passwords, domains lower-case).
std::vector<ConfigProblem> check_config(const mi::Value& doc, const SipServices& s, mi::Value* normalized);

/// What importing `next` over `current` (both normalised) changes: per kind the keys added,
/// changed and removed, and each change's impact class (none, live, reregister, restart).
mi::Value config_changes(const mi::Value& current, const mi::Value& next);

/// True when `changes` (config_changes) changes anything that write() writes.
bool config_changed(const mi::Value& changes);

/// Writes `next` over `current` into the tables, inside the caller's open transaction.
void write_config(const SipServices& s, const mi::Value& current, const mi::Value& next,
                  std::int64_t now);

/// After the transaction committed: the engine uses what was written (only the kinds that
/// `changes` names). Returns the steps that failed: [{kind, detail}] (empty: all applied).
mi::Value apply_config(const SipServices& s, const mi::Value& changes);

}  // namespace sb::gateway
