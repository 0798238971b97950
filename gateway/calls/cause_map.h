// cause_map.h: Q.850 cause ↔ SIP status mapping (RFC 3398 §7.2.4.1 and §8.2.6.1, the berofix
// "causes map"), with per-entry overrides from the configuration (`calls.q850_to_sip`,
// `calls.sip_to_q850`: "17=486, 34=503"). Line interfaces speak Q.850; SIP legs speak status
// codes; the call engine translates between them and records both in CDRs.
// Threading: immutable after construction; any thread.
#pragma once

#include <map>
#include <string>

#include "mi/value.h"

namespace sb::gateway {

class CauseMap {
 public:
  /// The RFC 3398 defaults, then the overrides; throws std::invalid_argument naming a bad entry.
  explicit CauseMap(const std::string& q850_to_sip = {}, const std::string& sip_to_q850 = {});
  /// SIP final status (400..699) for a Q.850 cause (1..127).
  int status_for_cause(int q850) const;
  /// Q.850 cause for a SIP final status (a 2xx or an unknown code maps by class).
  int cause_for_status(int status) const;
  /// A short name of a Q.850 cause ("User busy"), or "cause N".
  static std::string q850_name(int cause);
  /// {"q850_to_sip": {...}, "sip_to_q850": {...}} as the cause_map command prints it.
  mi::Value value() const;

 private:
  std::map<int, int> to_sip_;
  std::map<int, int> to_q850_;
};

/// Checks a "code=code, …" override list; empty when fine, else why not.
std::string check_cause_overrides(const std::string& text, bool q850_first);

}  // namespace sb::gateway
