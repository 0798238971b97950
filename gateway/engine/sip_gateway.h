// sip_gateway.h: the SIP side of the daemon in one object — the engine thread and, built on it,
// the database connection, the SIP stack, usrloc, subscribers, the registrar, tm, the SIP
// accounts (outbound registrations), the dialplan, ports and calls, plus their MI commands. main() creates it, registers its
// commands, starts it, and stops it last.
//
// Threading: register_commands/start/stop from the main thread. Everything it owns lives on the
// engine thread (see engine.h); the commands reach it as `engine` commands.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gateway/accounts/accounts.h"
#include "gateway/calls/calls.h"
#include "gateway/engine/engine.h"
#include "gateway/engine/services.h"
#include "gateway/registrar/registrar.h"
#include "gateway/sip/sip_stack.h"
#include "gateway/store/database.h"
#include "mi/dispatcher.h"

namespace sb::gateway {

class Config;

struct SipGatewayConfig {
  DatabaseOptions db;
  SipConfig sip;
  RegistrarConfig registrar;
  CallsConfig calls;
  AccountsConfig accounts;
  unsigned expiry_interval_s = 1;
  std::size_t max_queue = 4096;         ///< sip.max_queue: MI jobs waiting for the engine
  std::size_t max_transactions = 1024;  ///< tm.max_transactions: t_uac_dlg in flight
};

/// The [core] db, [sip], [registrar], [tm], [usrloc], [calls] and [accounts] keys as a SipGatewayConfig.
SipGatewayConfig sip_gateway_config(const Config& cfg);

class SipGateway {
 public:
  SipGateway(SipGatewayConfig config, mi::Statistics& stats);
  ~SipGateway();
  SipGateway(const SipGateway&) = delete;
  SipGateway& operator=(const SipGateway&) = delete;

  /// Registers the SIP modules' commands (they answer 503 until start()).
  void register_commands(mi::Registry& registry);
  /// Starts the engine (database, listeners, usrloc load) and hands it to the dispatcher.
  /// Throws EngineError with the reason (e.g. the SIP port is taken).
  void start(mi::Dispatcher& dispatcher);
  /// Graceful stop: new SIP requests get 503, the accounts' bindings are removed (Expires: 0),
  /// pending transactions get up to `grace` to finish, then the rest is aborted and the
  /// listeners closed. Idempotent.
  void stop(std::chrono::milliseconds grace);
  /// What the SIP stack listens on (real ports), known after start().
  const std::vector<std::string>& listening() const { return listening_; }

 private:
  struct Parts;
  void build(su_root_s* root);
  void teardown();
  /// What the call engine needs from the dialplan and accounts modules.
  CallsHooks calls_hooks();

  SipGatewayConfig config_;
  mi::Statistics& stats_;
  Engine engine_;
  SipServices services_;
  std::unique_ptr<Parts> parts_;
  std::vector<std::string> listening_;
  mi::Dispatcher* dispatcher_ = nullptr;
};

}  // namespace sb::gateway
