// engine_modules.h: the SIP engine's modules, in build order (torn down in reverse).
// Threading: called on the main thread.
#pragma once

#include <memory>
#include <vector>

#include "gateway/engine/engine_module.h"

namespace sb::gateway {

/// A fresh instance of every engine module, in build order.
std::vector<std::unique_ptr<EngineModule>> make_engine_modules();

}  // namespace sb::gateway
