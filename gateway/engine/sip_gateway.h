// sip_gateway.h: the SIP side of the daemon in one object — the engine thread and the engine
// modules built on it (engine_modules.cpp: database, dialplan, usrloc, SIP stack, registrar,
// tm, ports, calls, accounts), their configuration sections and their MI commands.
// The SipComponent (sip_component.h) creates it, registers its commands, starts it, and stops
// it after the transports.
//
// Threading: declare/configure/register_commands/start/stop from the main thread. Everything the
// modules own lives on the engine thread (see engine.h); the commands reach it as `engine`
// commands.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gateway/engine/engine.h"
#include "gateway/engine/engine_module.h"
#include "gateway/engine/services.h"
#include "mi/dispatcher.h"

struct su_timer_s;

namespace sb::gateway {

class SipGateway {
 public:
  SipGateway(mi::Statistics& stats, mi::EventBus& events);
  ~SipGateway();
  SipGateway(const SipGateway&) = delete;
  SipGateway& operator=(const SipGateway&) = delete;

  /// Every engine module's [section] (engine-wide keys: [sip] max_queue, in the sip module's).
  static void declare(ConfigSchema& schema);
  void configure(const Config& cfg);
  /// Registers the SIP modules' commands (they answer 503 until start()).
  void register_commands(mi::Registry& registry);
  /// Starts the engine (builds every module on its thread) and hands it to the dispatcher.
  /// Throws EngineError with the reason (e.g. the SIP port is taken).
  void start(mi::Dispatcher& dispatcher);
  /// Graceful stop: new SIP requests get 503, the accounts' bindings are removed (Expires: 0),
  /// pending transactions get up to `grace` to finish, then the rest is aborted and the
  /// listeners closed. Idempotent.
  void stop(std::chrono::milliseconds grace);
  /// `reload`: every module applies its live keys of `cfg`, on the engine thread; returns when
  /// done, rethrowing a module's std::runtime_error.
  void reload(const Config& cfg);
  /// What the SIP stack listens on (real ports), known after start().
  const std::vector<std::string>& listening() const { return listening_; }

 private:
  void build(su_root_s* root);
  void teardown();

  mi::Statistics& stats_;
  mi::EventBus& events_;
  std::vector<std::unique_ptr<EngineModule>> modules_;
  std::size_t built_ = 0;  ///< modules built (torn down in reverse)
  std::size_t max_queue_ = 4096;
  Engine engine_;
  SipServices services_;
  std::vector<std::string> listening_;
  mi::Dispatcher* dispatcher_ = nullptr;
  su_timer_s* heartbeat_ = nullptr;  ///< engine thread
  su_root_s* root_ = nullptr;        ///< engine thread (reload's EngineContext)
};

}  // namespace sb::gateway
