// command_helpers.h: what every `engine` command of the SIP modules does around its body —
// answer 503 while the engine (and so the service) is not running, and turn a database failure
// into a logged 500 instead of an exception.
// Threading: used inside engine command handlers (engine thread).
#pragma once

#include <spdlog/spdlog.h>

#include "gateway/engine/services.h"
#include "gateway/store/database.h"
#include "mi/command.h"

namespace sb::gateway {

// The names every command table (`*_commands.cpp`) uses.
using mi::Args;
using mi::Error;
using mi::ParamType;
using mi::Result;
using mi::Value;

/// Runs `fn(*service)`; 503 when `service` is null, 500 (logged under `module`) on StoreError.
template <typename Service, typename Fn>
mi::Result with_service(Service* service, const char* module, Fn fn) {
  if (!service) return mi::Error::failure(503, "SIP engine not running");
  try {
    return fn(*service);
  } catch (const StoreError& e) {
    spdlog::error("{}: database: {}", module, e.what());
    return mi::Error::failure(500, "Internal Error", "database write failed; see the server log");
  }
}

/// The handler of a command row: runs `fn(service, args)` on `services.*member` through
/// with_service(). The service is looked up at call time (services are built after the commands
/// are registered, and are gone after the engine stops).
/// Usage: `.handler = on_service(s, &SipServices::calls, "calls", finish_call)`.
template <typename Service, typename Fn>
mi::SyncHandler on_service(const SipServices& services, Service* SipServices::*member,
                           const char* module, Fn fn) {
  return [&services, member, module, fn](const mi::Args& a) -> mi::Result {
    return with_service(services.*member, module,
                        [&](Service& service) -> mi::Result { return fn(service, a); });
  };
}

}  // namespace sb::gateway
