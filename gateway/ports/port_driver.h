// port_driver.h: the line-interface driver interface. A driver knows its ports' options, whether
// a port is up, and how to place a call on it (the outbound leg). Two drivers exist:
// - `virtual` (virtual_line.cpp): the line simulator — answers, rings, or rejects with a cause;
// - `sip` (sip_port_driver.cpp): the channels of a SIP account — the call goes out through it.
// A new driver (ISDN, GSM hardware) implements this interface and is listed in port_drivers();
// Ports and the call engine do not change.
// Threading: drivers are stateless singletons; their methods run on the engine thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gateway/sip/sofia.h"
#include "mi/value.h"

namespace sb::gateway {

class CauseMap;
class Engine;
class Leg;
class LegObserver;
struct Port;

/// What a driver may need to place a call (from the call engine).
struct DialContext {
  Engine& engine;
  su_root_t* root;
  LegObserver& observer;  ///< the call
  const CauseMap& causes;
  std::string called;     ///< the number after the dialplan
  /// A SIP leg out through the named account; nullptr and *why when there is no such account.
  std::function<std::unique_ptr<Leg>(const std::string& account, std::string* why)> via_account;
};

class PortDriver {
 public:
  virtual ~PortDriver() = default;
  virtual std::string name() const = 0;
  /// Checks the driver options (a JSON object) and stores them in the port; empty or why not.
  virtual std::string configure(const mi::Value& options, Port& port) const = 0;
  /// "up" or "down" (+ *why) for a port that is not blocked. `account_state` gives a SIP
  /// account's registration state ("" = no such account).
  virtual std::string state(const Port& port, const std::function<std::string(const std::string&)>& account_state,
                            std::string* why) const = 0;
  /// The outbound leg of a call placed on the port (not dialled yet); nullptr and *why when the
  /// port cannot carry it.
  virtual std::unique_ptr<Leg> dial(const Port& port, DialContext& ctx, std::string* why) const = 0;
  /// Whether the port can be the caller of port_call (a simulated line can; a trunk cannot).
  virtual bool can_originate() const { return false; }
};

/// The driver named `name`, or null.
const PortDriver* find_port_driver(const std::string& name);
/// The names of every driver ("virtual, sip").
std::string port_driver_names();

/// The two drivers (defined next to what they drive).
const PortDriver& virtual_port_driver();
const PortDriver& sip_port_driver();

}  // namespace sb::gateway
