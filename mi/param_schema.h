// param_schema.h: the JSON Schema of a command's params, from their declarations.
//
// Purpose: one translation of ParamSpec (type, range, choices, secret, help, default) into JSON
// Schema, used by REST to validate a request body (every problem at once, each with a JSON
// Pointer) and by the OpenAPI document to describe it, so the document and the server agree.
// Threading: pure functions.
#pragma once

#include <functional>

#include "mi/command.h"

namespace sb::mi {

/// The schema of one param's value as JSON carries it: string (enum), integer (minimum,
/// maximum), boolean, number, array, object; `description` from the help, `default`,
/// `writeOnly` for a secret.
Value param_schema(const ParamSpec& p);

/// An object holding the params `include` accepts: required ones listed in `required`, no
/// other member allowed.
Value params_object_schema(const CommandSpec& spec,
                           const std::function<bool(const ParamSpec&)>& include);

}  // namespace sb::mi
