// system_commands.h: the core's commands for panels and REST — system_info (GET /system),
// statistics_show (GET /statistics?group=), command_list (GET /commands: the catalogue).
// Threading: registered at start-up; handlers are cheap reads of immutable or atomic state.
#pragma once

#include "gateway/core/core_commands.h"
#include "mi/registry.h"
#include "mi/statistics.h"

namespace sb::gateway {

void register_system_commands(mi::Registry& registry, mi::Statistics& stats, CoreContext& ctx);

}  // namespace sb::gateway
