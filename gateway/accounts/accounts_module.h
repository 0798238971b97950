// accounts_module.h: the SIP accounts (trunks and their outbound registrations) as an engine module (engine_module.h): its configuration section
// (declared in accounts_module.cpp; conf/switchboard.conf is generated from it), building it on the
// engine thread, its commands, its shutdown.
// Threading: see engine_module.h.
#pragma once

#include <memory>

#include "gateway/accounts/accounts.h"

#include "gateway/engine/engine_module.h"

namespace sb::gateway {

/// The [accounts] keys as an AccountsConfig.
AccountsConfig accounts_config(const Config& cfg);

std::unique_ptr<EngineModule> make_accounts_module();

}  // namespace sb::gateway
