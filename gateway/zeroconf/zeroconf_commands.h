// zeroconf_commands.h: zeroconf_list, zeroconf_publish, zeroconf_unpublish (the [zeroconf]
// component's commands; zeroconf.h does the work).
#pragma once

#include <memory>

#include "gateway/zeroconf/zeroconf.h"
#include "mi/registry.h"

namespace sb::gateway::zeroconf {

/// What the handlers reach; `zeroconf` is null while the component is off or stopped (503).
struct ZeroconfContext {
  std::unique_ptr<Zeroconf> zeroconf;
};

void register_zeroconf_commands(mi::Registry& registry, ZeroconfContext& ctx);

}  // namespace sb::gateway::zeroconf
