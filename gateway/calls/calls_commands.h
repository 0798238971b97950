// calls_commands.h: the `calls` module's MI commands (call_list, call_show, call_finish,
// call_stats, call_stats_reset, call_durations, cdr_list, cdr_flush, cause_map).
// Threading: registration at start-up; the handlers run on the engine thread (kEngine).
#pragma once

#include "gateway/engine/services.h"
#include "mi/registry.h"

namespace sb::gateway {

void register_calls_commands(mi::Registry& registry, const SipServices& services);

}  // namespace sb::gateway
