// ports.h: line interfaces ("ports") and port groups — the berofix hardware/PSTN-group model.
//
// A port has a number, a driver (port_driver.h) and a channel count. Drivers:
// - `virtual`: a lab line simulator (demos, tests). It answers, rings out without answering, or
//   rejects with a configured Q.850 cause, after configured delays; it carries no media.
// - `sip`: the channels of a SIP account (trunk). A call placed on the port goes out through that
//   account; the port is up while the account is registered (or does not register).
// Ports and groups are stored in SQLite (tables `port`, `port_group`); the block flag is kept
// across restarts. A blocked port takes no new calls; calls already up continue.
// Groups list ports in hunting order (`linear`: first usable; `roundrobin`: the one after the
// last used). The call engine asks hunt() for a port and counts channel use and per-port call
// statistics here.
//
// Threading: engine thread only (the ports commands and the call engine run there).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mi/event_bus.h"
#include "mi/command.h"
#include "mi/statistics.h"
#include "mi/value.h"

namespace sb::gateway {

class Database;

/// How a virtual port behaves when a call is placed on it.
struct VirtualBehaviour {
  std::string mode = "answer";      ///< answer | ring | reject | busy
  unsigned ring_after_ms = 0;       ///< 180 Ringing after this delay
  unsigned answer_after_ms = 1000;  ///< answer: 200 after this delay
  unsigned hangup_after_ms = 0;     ///< answer: the line hangs up after this long (0 = never)
  unsigned reject_after_ms = 0;     ///< reject/busy: the rejection comes after this delay
  int cause = 17;                   ///< reject: Q.850 cause (busy: always 17)
};

struct PortCounters {
  std::uint64_t calls = 0, answered = 0, failed = 0;
  std::int64_t connected_ms = 0;  ///< summed answer-to-end time of ended calls
};

struct Port {
  int number = 0;
  std::string driver;   ///< virtual | sip
  int channels = 1;
  bool blocked = false;
  std::string label;
  mi::Value options = mi::Value::object();
  VirtualBehaviour behaviour;  ///< driver virtual
  std::string account;         ///< driver sip
  int in_use = 0;
  std::uint64_t restarts = 0;
  std::int64_t last_change = 0;  ///< unix time of the last block/restart/add
  PortCounters counters;
};

struct PortGroup {
  std::string name;
  std::vector<int> ports;
  std::string hunt = "linear";  ///< linear | roundrobin
  std::size_t next = 0;         ///< roundrobin position
};

class Ports {
 public:
  /// Account registration state by account name ("registered", "disabled", "failed", ...;
  /// empty = no such account). Set by the wiring when the accounts module is present.
  using AccountState = std::function<std::string(const std::string& account)>;
  /// Ends the calls on a port (port_restart); returns how many. Set by the call engine.
  using DropCalls = std::function<std::size_t(int port)>;

  Ports(Database& db, mi::Statistics& stats);
  /// Reads ports and groups from the database (throws StoreError).
  void load();
  /// Reads them again (after a configuration import) keeping what runs: the calls a port
  /// carries, its counters and restarts, a group's round-robin position.
  void reload();
  void set_account_state(AccountState fn) { account_state_ = std::move(fn); }
  void set_drop_calls(DropCalls fn) { drop_calls_ = std::move(fn); }

  Port* find(int number);
  const std::map<int, Port>& all() const { return ports_; }
  const std::map<std::string, PortGroup>& groups() const { return groups_; }
  std::vector<std::string> groups_of(int number) const;
  /// "up", "down" or "blocked" (+ why when down).
  std::string state(const Port& p, std::string* why = nullptr) const;
  bool usable(const Port& p) const { return !p.blocked && state(p) == "up" && p.in_use < p.channels; }
  /// The next port of `group` that can take a call; nullptr and *why (a Q.850 cause 34 case).
  Port* hunt(const std::string& group, std::string* why);

  // The commands' operations: validated, stored in one transaction, then applied.
  mi::Result add(int number, const std::string& driver, int channels, const std::string& options_json,
                 const std::string& label);
  mi::Result remove(int number);
  mi::Result set_blocked(int number, std::optional<bool> blocked);
  mi::Result restart(int number);
  mi::Result group_add(const std::string& name, const std::string& ports, const std::string& hunt);
  mi::Result group_rm(const std::string& name);

  mi::Value port_value(const Port& p) const;
  mi::Value group_value(const PortGroup& g) const;

  /// Declares E_PORT_STATE (port_events.cpp).
  static const mi::EventSpec& declare_events(mi::EventRegistry& events);
  /// Raises E_PORT_STATE on `bus` from now on.
  void set_events(mi::EventBus* bus, const mi::EventSpec* port_state) {
    bus_ = bus;
    port_state_event_ = port_state;
  }
  /// Raises E_PORT_STATE for every port whose state or channels in use changed since the last
  /// call (after a block, a restart, a call taking or releasing a channel, an account's
  /// registration changing). Cheap when nobody listens.
  void states_changed();

 private:
  void update_stats();

  Database& db_;
  std::map<int, Port> ports_;
  std::map<std::string, PortGroup> groups_;
  AccountState account_state_;
  DropCalls drop_calls_;
  mi::Stat& ports_stat_;
  mi::Stat& blocked_stat_;
  mi::Stat& restarts_stat_;
  mi::EventBus* bus_ = nullptr;
  const mi::EventSpec* port_state_event_ = nullptr;
  struct Seen {
    std::string state, why;
    int in_use = 0;
    bool operator==(const Seen&) const = default;
  };
  std::map<int, Seen> seen_;  ///< what E_PORT_STATE last said of each port
};

inline constexpr int kMaxPort = 9999;        ///< port numbers are 1..kMaxPort
inline constexpr int kMaxChannels = 1000;    ///< a port carries 1..kMaxChannels calls
/// 1..64 letters, digits, '_', '-' or '.'.
bool valid_port_group_name(const std::string& name);

/// Parses and checks a port's driver options (JSON object text); fills `out`. Empty or why not.
std::string parse_port_options(const std::string& driver, const std::string& json, Port& out);
/// "1,2,5-7" → {1,2,5,6,7}; empty + why when malformed.
std::vector<int> parse_port_list(const std::string& text, std::string* why);

}  // namespace sb::gateway
