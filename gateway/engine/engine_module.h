// engine_module.h: one module of the SIP engine (database, dialplan, usrloc, SIP stack,
// registrar, tm, ports, calls, accounts) as the engine (sip_gateway.h) drives it.
//
// Purpose: the engine knows no module by name. It iterates the list in engine_modules.cpp:
// each module declares its [section] of configuration keys, reads them, registers its MI
// commands; on the engine thread it is built in list order (it may use what earlier modules
// published in SipServices, and publishes itself there), then linked (wiring to modules built
// after it), and at shutdown quiesced and torn down in reverse order.
// Adding an engine module = a folder with a class implementing this interface + one line in
// gateway/engine/engine_modules.cpp (+ a SipServices field if other modules or commands of
// other modules need it).
// Threading: declare/configure/register_commands on the main thread before the engine starts;
// everything else on the engine thread.
#pragma once

#include <string>
#include <string_view>

#include "gateway/config/config.h"
#include "gateway/engine/services.h"
#include "mi/event_bus.h"
#include "mi/registry.h"
#include "mi/statistics.h"

struct su_root_s;

namespace sb::gateway {

class Engine;

/// What a module builds on (engine thread).
struct EngineContext {
  su_root_s* root;
  Engine& engine;
  mi::Statistics& stats;
  SipServices& services;  ///< what the modules built so far publish
  mi::EventBus& events;   ///< raise the events the module declared in register_commands
};

class EngineModule {
 public:
  virtual ~EngineModule() = default;
  virtual std::string_view name() const = 0;
  /// Its [section] (a static declaration), or null when it has no keys of its own.
  virtual const ConfigSection* config_section() const { return nullptr; }
  virtual void configure(const Config& /*cfg*/) {}
  /// Its MI commands (and its events, in registry.events()); they reach the module through
  /// `services` (null = engine off: 503).
  virtual void register_commands(mi::Registry& /*registry*/, const SipServices& /*services*/) {}

  /// Builds its part; throws (std::runtime_error) to fail the engine start.
  virtual void build(EngineContext& ctx) = 0;
  /// After every module is built: wiring to modules that come later in the list.
  virtual void link(EngineContext& /*ctx*/) {}
  /// "3 rules loaded" for the engine's start-up log line (empty: nothing to say).
  virtual std::string summary() const { return {}; }

  /// `reload`: applies its live keys from `cfg` (engine thread); throws std::runtime_error.
  virtual void reload(const Config& /*cfg*/, EngineContext& /*ctx*/) {}
  /// Graceful stop begins: refuse new work, start unregistering…
  virtual void begin_stop() {}
  /// Still finishing work begun before the stop (the engine waits, within the grace period).
  virtual bool busy() const { return false; }
  /// Reverse order, before any teardown: end what is still running (calls, transactions).
  virtual void quiesce() {}
  /// Reverse order: destroy its part and clear what it published in SipServices.
  virtual void teardown(SipServices& services) = 0;
};

}  // namespace sb::gateway
