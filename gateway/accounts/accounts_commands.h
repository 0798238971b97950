// accounts_commands.h: module `accounts` — account_add, account_update, account_rm,
// account_list (SIP accounts / trunks; the secret is never shown), reg_list (outbound
// registration state per account) and reg_reload (re-read the table, restart every registration).
//
// reg_list entry: name, state (disabled|registering|registered|failed|unregistering), registrar
// (Request-URI sip:<domain>), next_hop, contact, expires (granted, s), expires_in (s left),
// last_error ("<code> <reason>" or a transport/configuration problem), last_change (unix time),
// failures (consecutive), next_retry_in (s, when failed), refresh_in (s, when registered).
// Threading: every command is flagged `engine` and runs on the engine thread.
#pragma once

#include "gateway/engine/services.h"
#include "mi/registry.h"

namespace sb::gateway {

void register_accounts_commands(mi::Registry& registry, const SipServices& services);

}  // namespace sb::gateway
