// dialplan_commands.h: module `dialplan` — dp_list, dp_reload, dp_translate, dp_rule_add,
// dp_rule_update, dp_rule_rm, dp_rule_move (the routing table as the monitor and panels use it).
// Threading: every command is flagged `engine` and runs on the engine thread.
#pragma once

#include <optional>
#include <string>

#include "gateway/dialplan/dialplan.h"
#include "gateway/engine/services.h"
#include "mi/registry.h"

namespace sb::gateway {

void register_dialplan_commands(mi::Registry& registry, const SipServices& services);

/// A call source as dp_translate takes it: `account:NAME`, `subscriber:USER[@DOMAIN]`, `port:N`,
/// `group:NAME` (a port in that group) or `any` (a source only `any` rules match). nullopt with
/// `why` set when the text is none of these.
std::optional<CallSource> parse_call_source(const std::string& text, std::string& why);

}  // namespace sb::gateway
