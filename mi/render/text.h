// text.h: the serctl / OpenSIPS-2 tree text rendering of a Result (spec/wire.md §3).
//
//   <code> <reason>\n  <body lines>  \n
// Body from the Value, one TAB of indent per level:
//   object member, scalar   → `key:: value`
//   object member, object   → `key::` then its members one level deeper
//   object member, array    → per element: scalar `key:: value`; container `key::` + deeper
//   top-level array         → one line per scalar element; a container element is written as
//                             `<index>::` then its content one level deeper (spec is silent)
//   top-level scalar        → one line; the string "OK" prints no body
//   true/false as words, null as an empty value; control characters escaped (\n \r \t \\,
//   others as \xHH) so one line is always one node.
// Errors: `<code> <reason>\n`, plus the empty line when the mapping table says the error is a
// rendered tree (handler errors, arity, bad params) rather than a transport-level one.
// Threading: pure functions.
#pragma once

#include <string>

#include "mi/command.h"

namespace sb::mi {

std::string render_text(const Result& r);
/// As above, through the command's own text_reply when it has one (spec may be null).
std::string render_text(const Result& r, const CommandSpec* spec);
/// SER 0.9's t_uac_dlg text reply from its result {Status, Message?}: the SIP final status as
/// the status line; with a received reply, the dialog's request-URI, next hop and route lines
/// ("." each: no dialog is kept) and the reply from its first header; a local reply (408 on a
/// timeout) is its status line alone. So the status line (and sbctl's exit code) shows a failure.
std::string render_uac_reply_text(const Value& v);
/// Only the body lines of a successful Value (no status line, no terminating empty line).
std::string render_text_body(const Value& v);
/// One element of the array member `key` (already escaped) at `level`, as the body shows it:
/// how a streamed reply (mi/render/chunked.h) writes its items one by one.
void render_text_element(std::string& out, std::string_view key, const Value& el, int level);
/// Escapes control characters and backslashes so a value stays on one line.
std::string escape_text_value(std::string_view s);

}  // namespace sb::mi
