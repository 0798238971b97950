// calls_module.h: the call engine (B2BUA between SIP legs and ports, CDRs) as an engine module (engine_module.h): its configuration section
// (declared in calls_module.cpp; conf/switchboard.conf is generated from it), building it on the
// engine thread, its commands, its shutdown.
// Threading: see engine_module.h.
#pragma once

#include <memory>

#include "gateway/calls/calls.h"

#include "gateway/engine/engine_module.h"

namespace sb::gateway {

/// The [calls] keys as a CallsConfig (subscribers are challenged when registrar.auth is on).
CallsConfig calls_config(const Config& cfg);

std::unique_ptr<EngineModule> make_calls_module();

}  // namespace sb::gateway
