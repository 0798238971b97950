// xmlrpc_endpoint.h: one XML-RPC call (POST /RPC2 body) → the Dispatcher → one XML reply.
//
// Handles the introspection methods system.listMethods, system.methodHelp,
// system.methodSignature and system.multicall itself (from the Registry's specs); every other
// methodName is dispatched as an MI command. Decoding/encoding is mi/codec/xmlrpc (xmlrpc-c).
// Faults follow the single error mapping table (faultCode per mi::xmlrpc_fault_code).
// Threading: `done` runs exactly once, on whichever thread completes the call.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "mi/dispatcher.h"

namespace sb::transports {

void handle_xmlrpc(mi::Dispatcher& dispatcher, std::string_view body, const mi::Caller& caller,
                   std::function<void(std::string xml)> done);

}  // namespace sb::transports
