// module_bridge.h: the C++ side of the module ABI (mi/module_abi.h) — turns a module's C
// command declaration into a CommandSpec whose handler calls the C function safely.
//
// Purpose: the handler built here gives the C function opaque sb_args / sb_reply / sb_async
// handles over the dispatcher's Args, Value and Completion, and checks what comes back: a C++
// exception, a status other than SB_OK, no result and no error, an error code outside 400..599
// or a misuse of the reply API (member in an array, item without key in an object, duplicate
// key, invalid UTF-8, root set twice, …) all become `500 module '<m>' command '<c>': <why>`
// for that call, logged with the module name — never a crash of the daemon. The sb_* C functions
// the modules call are defined in module_bridge.cpp (exported by the daemon, see CMakeLists.txt).
// Threading: specs are immutable; a sync handler builds its reply on the calling worker; an
// async call's reply may be built and completed from any thread (one at a time per call).
#pragma once

#include <stdexcept>
#include <string>

#include "mi/command.h"
#include "mi/module_abi.h"

namespace sb::mi {

/// Builds the spec of one command exported by module `module` (name, summary, typed args with
/// help and defaults, flags, handler). Throws std::invalid_argument naming the problem for what
/// the Registry cannot see (unknown argument type or flag bits, a default that does not fit its
/// type, neither or both handlers); Registry::add checks the rest.
/// `reply` is the command's reply schema (the loader finds it in sb_module.reply_schemas).
CommandSpec module_command_spec(const std::string& module, const sb_command_export& cmd,
                                Value reply);

/// The bus sb_raise_event() raises on (null: SB_ENOENT). Set when the daemon starts serving,
/// cleared before it goes away.
void set_module_event_bus(class EventBus* bus);

}  // namespace sb::mi
