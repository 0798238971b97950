// xmlrpc.h: the XML-RPC codec of POST /RPC2 (spec/wire.md §5; research/mi-protocols.md §2.6,
// §3.3 and §5 items 7-9 for the mi_xmlrpc_ng behaviour we keep and the bugs we do not copy).
//
// Decoding uses xmlrpc-c (xmlrpc_parse_call, C API). Accepted value types and what they become:
//   <string>, untyped <value>text</value>   → string
//   <int>, <i4>, <i8>, <ex:i8>              → integer (an <int>/<i4> outside 32 bits, which
//                                             xmlrpc-c refuses, is read as <i8>, as PHP sends it)
//   <boolean> → bool, <double> → double, <nil/>, <ex:nil/> → null
//   <array> → array, <struct> → object (member order kept)
//   <base64> → string holding the decoded bytes (mi_xmlrpc 1.x accepted base64 as text too)
//   <dateTime.iso8601> → its string in xmlrpc-c's normal form, e.g. "20240101T10:00:00"
// One <struct> param = named params (object); otherwise the params are positional (array);
// a missing <params> or an empty one = no params (null). Strings come back with line ends as
// LF (xmlrpc-c normalises CR and CRLF, as XML does for literal line breaks).
// Characters outside the Basic Multilingual Plane (emoji) are accepted although xmlrpc-c
// refuses them: they are shielded into BMP placeholders before parsing and restored after.
// Malformed XML (and invalid UTF-8) → Error::parse_error (faultCode -32700); well-formed bytes
// that are not a valid methodCall or a value out of range → Error::invalid_request (-32600);
// over kXmlRpcMaxRequest → request_too_large (-32600).
// Refused before xmlrpc-c sees the body (-32600, the reason in the faultString): any encoding
// but UTF-8/US-ASCII (a UTF-16/32 byte-order mark, NUL bytes, another declared encoding: such a
// body would hide markup from our byte scans), a <!DOCTYPE> or <!ENTITY> anywhere (no entity
// expansion games), and elements nested deeper than core.max_nesting levels of values
// (xmlrpc-c builds and frees its element tree recursively: 340 000 open tags overflow the stack).
//
// Encoding is ours (not xmlrpc-c's serializer, which refuses code points above U+FFFD, emits
// raw control characters, drops CR, writes <i4> and recurses forever on NaN): the same layout
// as xmlrpc-c (CRLF line ends, `<?xml version="1.0" encoding="UTF-8"?>`), with
//   string → <string> (XML-escaped; invalid UTF-8 bytes, C0 controls other than TAB/LF/CR and
//            U+FFFE/U+FFFF → U+FFFD, since XML 1.0 cannot carry them; CR → &#13;)
//   integer → <int>, or <i8> when it does not fit 32 bits (an unsigned above INT64_MAX → <double>)
//   double → <double> (shortest round-trip digits, never an exponent; NaN/±inf → <nil/>)
//   bool → <boolean>0|1</boolean>, null → <nil/>, array → <array>, object → <struct> in the
//   Value's member order (insertion order).
// Faults: faultCode = mi::xmlrpc_fault_code(e) (any int), faultString = xmlrpc_fault_string(e).
// Threading: pure functions (the xmlrpc-c size limit is raised once, under std::call_once).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "mi/command.h"

namespace sb::mi {

/// Largest methodCall decode_xmlrpc_call() accepts (the HTTP transport has its own, smaller,
/// body limit); xmlrpc-c's own 512 KiB default is raised above it once.
inline constexpr std::size_t kXmlRpcMaxRequest = 64u << 20;

struct XmlRpcCall {
  std::optional<Error> error;  ///< set when the body is not a usable methodCall
  std::string method;
  Value params;  ///< null (no params), array (positional) or object (one <struct> param)
};

XmlRpcCall decode_xmlrpc_call(std::string_view body);

/// A whole methodResponse: `<params><param>` + value, or a `<fault>` for an Error.
std::string render_xmlrpc(const Result& r);
/// A fault methodResponse with any code and text.
std::string render_xmlrpc_fault(int code, std::string_view text);
/// Just the `<value>…</value>` element of a Value (no line end after it).
std::string render_xmlrpc_value(const Value& v);

/// The faultString for an Error:
///  - handler errors, 403, 408, 413: the reason as is ("AOR not found"), like mi_xmlrpc_ng;
///  - protocol errors: the JSON-RPC message, then what went wrong:
///    "Method not found: command 'x' not available",
///    "Invalid params: Too few or too many arguments (missing parameter 'text' of 'print')",
///    "Invalid params: Bad parameter 'level': unknown log level 'x'",
///    "Parse error: <xmlrpc-c's words>", "Invalid Request: <why>".
std::string xmlrpc_fault_string(const Error& e);
/// `{"faultCode": …, "faultString": …}` (member order as in a fault), for system.multicall.
Value xmlrpc_fault_value(const Error& e);

}  // namespace sb::mi
