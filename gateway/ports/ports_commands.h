// ports_commands.h: the `ports` module's MI commands (port_list, port_add, port_block, ...).
// Threading: registration at start-up; the handlers run on the engine thread (kEngine).
#pragma once

#include "gateway/engine/services.h"
#include "mi/registry.h"

namespace sb::gateway {

void register_ports_commands(mi::Registry& registry, const SipServices& services);

}  // namespace sb::gateway
