// registrar_module.h: the registrar (REGISTER, digest authentication) and the subscriber table as an engine module (engine_module.h): its configuration section
// (declared in registrar_module.cpp; conf/switchboard.conf is generated from it), building it on the
// engine thread, its commands, its shutdown.
// Threading: see engine_module.h.
#pragma once

#include <memory>

#include "gateway/registrar/registrar.h"

#include "gateway/engine/engine_module.h"

namespace sb::gateway {

/// The [registrar] keys as a RegistrarConfig.
RegistrarConfig registrar_config(const Config& cfg);

std::unique_ptr<EngineModule> make_registrar_module();

}  // namespace sb::gateway
