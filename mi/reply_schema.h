// reply_schema.h: builders for the reply schema every command declares (a JSON Schema subset,
// as Redis's command JSON files have), so a `*_commands.cpp` row reads
//   .reply = object({{"Now", str()}, {"Up since", str()}, {"Up time", integer()}}),
// The schema is a plain Value: the validator (reply_validator.h) checks replies against it,
// XML-RPC system.methodSignature and the OpenAPI document are produced from it.
//
// Subset used: type (object, array, string, integer, number, boolean, null), properties,
// required, additionalProperties, items, enum, const, anyOf, minimum, description.
// object() requires every property and refuses unknown ones, except those wrapped in opt();
// map_of() is an object with free keys (statistics, per-port tables).
// Threading: pure functions returning values.
#pragma once

#include <initializer_list>
#include <string_view>
#include <string>
#include <utility>
#include <vector>

#include "mi/value.h"

namespace sb::mi::schema {

Value str(std::string description = {});
Value integer(std::string description = {});
/// An integer >= 0 (counters, ids, seconds).
Value uint(std::string description = {});
Value number(std::string description = {});
Value boolean(std::string description = {});
Value null();
/// Anything (a value passed through from elsewhere, e.g. a module's free-form reply).
Value any(std::string description = {});
/// The reply of a command with nothing to report: the string "OK".
Value ok();
/// One of these strings.
Value enum_of(std::initializer_list<const char*> values, std::string description = {});
Value array_of(Value items, std::string description = {});
/// An object with exactly these properties (all required unless wrapped in opt()).
Value object(std::initializer_list<std::pair<std::string, Value>> properties,
             std::string description = {});
/// The same, from a vector (for schemas assembled in code).
Value object(std::vector<std::pair<std::string, Value>> properties, std::string description = {});
/// An object whose keys are free and whose values all match `values`.
Value map_of(Value values, std::string description = {});
/// A property that may be absent (only meaningful inside object()).
Value opt(Value property);
/// Any one of these shapes.
Value any_of(std::initializer_list<Value> shapes, std::string description = {});
/// `shape` or null.
Value nullable(Value shape);
/// Adds or replaces the description of a schema.
Value described(Value schema, std::string description);

/// Why `schema` is not a schema this project understands (empty when it is): unknown keywords,
/// a property without a schema, a bad `type` …. The registry refuses such a command.
std::string check(const Value& schema);

/// How a reader of replies (the monitor) finds a field: `path` names object properties, "[]"
/// steps into array items; an anyOf matches when one alternative declares the rest of the path.
enum class Declared { no, optional, always };
/// Whether `schema` declares `path`, and whether every step of it is required.
Declared declares(const Value& schema, const std::vector<std::string_view>& path);

/// The one-word type XML-RPC's system.methodSignature names for a schema: "struct", "array",
/// "string", "int", "double", "boolean", "nil" (or "string" for anything mixed).
std::string xmlrpc_type(const Value& schema);

}  // namespace sb::mi::schema
