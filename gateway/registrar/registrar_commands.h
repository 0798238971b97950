// registrar_commands.h: module `registrar` — subscriber_add, subscriber_rm, subscriber_list.
// Threading: every command is flagged `engine` and runs on the engine thread.
#pragma once

#include "gateway/engine/services.h"
#include "mi/registry.h"

namespace sb::gateway {

void register_registrar_commands(mi::Registry& registry, const SipServices& services);

}  // namespace sb::gateway
