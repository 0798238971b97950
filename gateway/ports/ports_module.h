// ports_module.h: the ports (line interfaces, port groups) as an engine module (engine_module.h): its configuration section
// (declared in ports_module.cpp; conf/switchboard.conf is generated from it), building it on the
// engine thread, its commands, its shutdown.
// Threading: see engine_module.h.
#pragma once

#include <memory>

#include "gateway/engine/engine_module.h"

namespace sb::gateway {

std::unique_ptr<EngineModule> make_ports_module();

}  // namespace sb::gateway
