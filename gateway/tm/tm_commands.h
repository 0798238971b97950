// tm_commands.h: module `tm` — t_uac_dlg (async) and t_uac_cancel.
// Threading: both are flagged `engine`; t_uac_dlg completes later, from the nta callback.
#pragma once

#include "gateway/engine/services.h"
#include "mi/registry.h"

namespace sb::gateway {

void register_tm_commands(mi::Registry& registry, const SipServices& services);

}  // namespace sb::gateway
