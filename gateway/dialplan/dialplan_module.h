// dialplan_module.h: the dialplan (routing rules) as an engine module (engine_module.h): its configuration section
// (declared in dialplan_module.cpp; conf/switchboard.conf is generated from it), building it on the
// engine thread, its commands, its shutdown.
// Threading: see engine_module.h.
#pragma once

#include <memory>

#include "gateway/engine/engine_module.h"

namespace sb::gateway {

std::unique_ptr<EngineModule> make_dialplan_module();

}  // namespace sb::gateway
