// provisioning_module.h: the configuration document and its revisions as an engine module
// (engine_module.h): its [config] keys, the revision history it builds on the engine thread,
// its commands (provisioning_commands.h).
// Threading: see engine_module.h.
#pragma once

#include <memory>

#include "gateway/engine/engine_module.h"

namespace sb::gateway {

std::unique_ptr<EngineModule> make_provisioning_module();

}  // namespace sb::gateway
