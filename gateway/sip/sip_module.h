// sip_module.h: the SIP stack (sofia-sip nta: listeners, transactions) as an engine module (engine_module.h): its configuration section
// (declared in sip_module.cpp; conf/switchboard.conf is generated from it), building it on the
// engine thread, its commands, its shutdown.
// Threading: see engine_module.h.
#pragma once

#include <memory>

#include "gateway/sip/sip_stack.h"

#include "gateway/engine/engine_module.h"

namespace sb::gateway {

/// The [sip] keys as a SipConfig (server_name: "Switchboard <version>").
SipConfig sip_config(const Config& cfg);

std::unique_ptr<EngineModule> make_sip_module();

}  // namespace sb::gateway
