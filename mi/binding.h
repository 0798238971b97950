// binding.h: binds a request's params (positional array or named object) to a CommandSpec and
// coerces each value to the spec type, producing the Args values or the spec/wire.md §2 error.
//
// Rules (one place, every transport):
//  - positional: in declaration order; an `array` param (always last) takes every remaining
//    positional value (a single JSON array given in its place is used as is);
//  - named: by name; an unknown name or a missing required param is an arity error;
//  - strings from text transports are coerced: "5" → 5 for int, true/false/1/0/yes/no/on/off
//    for bool, numbers for double; a number given for a string param becomes its text;
//  - anything else that does not fit the type is `400 Bad parameter '<name>': <why>`.
// Threading: pure functions.
#pragma once

#include <variant>
#include <vector>

#include "mi/command.h"

namespace sb::mi {

/// One Value per spec param (null = absent without default), or the error to answer.
std::variant<std::vector<Value>, Error> bind_params(const CommandSpec& spec, const Value& params);

/// Coerces one value to a param's type; returns the error text ("expected an integer") on failure.
std::variant<Value, std::string> coerce(const ParamSpec& p, const Value& v);

}  // namespace sb::mi
