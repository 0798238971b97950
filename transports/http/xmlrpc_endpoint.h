// xmlrpc_endpoint.h: one XML-RPC call (POST /RPC2 body) → the Dispatcher → one XML reply.
//
// system.listMethods, system.methodHelp and system.methodSignature are hidden read-only MI
// commands (register_xmlrpc_commands), dispatched like every other methodName (roles,
// statistics); system.multicall is handled here (at most core.max_batch calls, each one
// dispatched). Decoding/encoding is mi/codec/xmlrpc (xmlrpc-c).
// Faults follow the single error mapping table (faultCode per mi::xmlrpc_fault_code).
// Threading: `done` runs exactly once, on whichever thread completes the call.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "mi/dispatcher.h"

namespace sb::transports {

/// Registers the introspection commands (module `xmlrpc`, hidden, read-only).
void register_xmlrpc_commands(mi::Registry& registry);

void handle_xmlrpc(mi::Dispatcher& dispatcher, std::string_view body, const mi::Caller& caller,
                   std::function<void(std::string xml)> done);

}  // namespace sb::transports
