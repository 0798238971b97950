// component.h: one part of the daemon (the core, the SIP engine, the loadable modules, each
// transport) as the daemon's start-up and shutdown loop sees it.
//
// Purpose: the daemon (gateway/daemon/main.cpp) knows no component by name. It asks each one,
// in the order of gateway/daemon/components.cpp, to declare its configuration keys, then to
// configure itself from the loaded Config, to register its commands, to start; at shutdown it
// stops them in reverse order, in three rounds: stop_accepting() (no new work), finish() (let
// what runs end, within the grace period), release() (only once no MI request runs any more).
// A component that fails to start throws (std::runtime_error: the message is printed as the
// start-up error); the ones already started are then stopped the same way.
// Adding a component = a class implementing this interface in its own folder + one line in
// gateway/daemon/components.cpp.
// Threading: every member function is called from the main thread, one at a time.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "gateway/config/config.h"
#include "mi/dispatcher.h"
#include "mi/event_bus.h"

namespace sb::gateway {

class Component;

/// A service a component offers on the network, as zeroconf announces it
/// (gateway/zeroconf/): the HTTP host's management API and panel, each SIP listener.
struct Announcement {
  std::string what;     ///< the [zeroconf] announce word that selects it: "mi", "panel", "sip"
  std::string type;     ///< DNS-SD service type: "_switchboard-mi._tcp", "_sip._udp"
  std::string address;  ///< the listener's address as bound: "127.0.0.1", "0.0.0.0", "::"
  int port = 0;         ///< the bound port
  std::vector<std::string> txt{};  ///< TXT items "key=value"
  std::string label{};  ///< tells apart several of one type ("udp 127.0.0.1:5060")
};

/// What a component gets to work with. The dispatcher exists from start() on.
struct Runtime {
  mi::Registry& registry;
  mi::Statistics& stats;
  mi::Dispatcher* dispatcher = nullptr;
  /// The daemon's command line as given (a component masks what it shows).
  std::vector<std::string> argv;
  /// Begins a graceful shutdown (the `kill` command); thread-safe.
  std::function<void()> request_shutdown;
  /// Re-reads the configuration and applies what can change live (the `reload` command, as
  /// SIGHUP does), waiting for the main thread to have done it; thread-safe. Returns
  /// {"applied": [...], "restart_needed": [...]} or throws std::runtime_error (bad file).
  std::function<mi::Value()> request_reload;
  /// --check-config: components are configured and register their commands, nothing starts
  /// (a loadable module is loaded without its init hook).
  bool check_only = false;
  /// Another component by name (null when there is none).
  std::function<Component*(std::string_view name)> find;
  /// Every component in start order: {name, enabled, its describe() line} (system_info).
  std::function<std::vector<std::tuple<std::string, bool, std::string>>()> components;
  /// The event bus (mi/event_bus.h): events are declared in registry.events(), raised here.
  mi::EventBus* events = nullptr;
  /// What the components started so far offer on the network (their announcements()).
  std::function<std::vector<Announcement>()> announcements{};
};

class Component {
 public:
  virtual ~Component() = default;
  /// Short lower-case name ("fifo", "sip"), as the start-up log and errors name it.
  virtual std::string_view name() const = 0;
  /// Adds its [sections] to the daemon's schema (static declarations; no state needed).
  virtual void declare(ConfigSchema& schema) const = 0;
  /// Reads its keys from the validated configuration.
  virtual void configure(const Config& cfg) = 0;
  /// Registers its MI commands (before the dispatcher exists).
  virtual void register_commands(Runtime& /*rt*/) {}
  /// False when its configuration turns it off (e.g. an empty listen address): not started.
  virtual bool enabled() const { return true; }
  /// Starts serving; throws std::runtime_error with a message for the operator.
  virtual void start(Runtime& rt) = 0;
  /// "FIFO: /run/x", "HTTP: port 8888" for the start-up log line (empty: not shown).
  virtual std::string describe() const { return {}; }
  /// Once started: the services it listens for on the network, for zeroconf to announce.
  virtual std::vector<Announcement> announcements() const { return {}; }
  /// `reload` (SIGHUP): applies the keys of its sections declared `live` from the new, valid
  /// configuration `cfg` (the others keep their values until a restart). Throws
  /// std::runtime_error when it cannot (its old values stay).
  virtual void reload(const Config& /*cfg*/) {}
  /// Shutdown, round 1: refuse new work (close listeners); returns at once.
  virtual void stop_accepting() {}
  /// Round 2: wait for its own in-flight work, at most `left`.
  virtual void finish(std::chrono::milliseconds /*left*/) {}
  /// Round 3, only when no MI request is running any more: free what handlers may use.
  virtual void release() {}
};

}  // namespace sb::gateway
