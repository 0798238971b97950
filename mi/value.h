// value.h: the reply tree every command returns and every renderer consumes.
//
// Purpose: one JSON-like tree type (null, bool, int, double, string, array, object with insertion
// order) shared by handlers, the dispatcher, the renderers and (later) REST and the panel. It is
// nlohmann::ordered_json itself, not a second tree type.
// Threading: a Value is a plain value; it is moved from the handler's thread to the transport's.
#pragma once

#include <nlohmann/json.hpp>

namespace sb::mi {

using Value = nlohmann::ordered_json;

/// Commands with nothing to report return this (renders as no text body, `"OK"` in JSON).
inline Value ok_value() { return Value("OK"); }

/// Compact JSON text of a Value; invalid UTF-8 is replaced (SIP data is not always UTF-8).
std::string to_compact_json(const Value& v);
/// The same text appended to `out` (no temporary string: a reply envelope is written in one
/// buffer).
void append_compact_json(std::string& out, const Value& v);

}  // namespace sb::mi
