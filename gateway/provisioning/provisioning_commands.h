// provisioning_commands.h: config_export, config_import, config_revisions, config_revision_show,
// config_restore (the configuration as one document, with revisions).
// Threading: engine commands (engine thread).
#pragma once

#include "gateway/engine/services.h"
#include "mi/registry.h"

namespace sb::gateway {

void register_provisioning_commands(mi::Registry& registry, const SipServices& services);

}  // namespace sb::gateway
