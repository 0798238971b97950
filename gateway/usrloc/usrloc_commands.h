// usrloc_commands.h: module `usrloc` — ul_show_contact, ul_add, ul_rm, ul_rm_contact, ul_dump,
// ul_flush, ul_sync (OpenSIPS 3.4 names, params and shapes; research §3.6).
// Threading: every command is flagged `engine` and runs on the engine thread.
#pragma once

#include "gateway/engine/services.h"
#include "mi/registry.h"

namespace sb::gateway {

void register_usrloc_commands(mi::Registry& registry, const SipServices& services);

}  // namespace sb::gateway
