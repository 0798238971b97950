// error.h: canonical failures of a command call and the single error mapping table
// (../shared/spec/wire.md §2), implemented once here for every transport.
//
// Purpose: an Error is {kind, code, reason, detail}. `kind` says which row of the mapping table
// applies; `code`/`reason` are the SER/OpenSIPS three-digit status and text ("404 AOR not
// found"). Transports never invent codes: they ask this table how to spell an Error on their wire.
// Threading: plain values and pure functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sb::mi {

/// Which row of the mapping table an Error belongs to.
enum class ErrorKind {
  handler,            ///< a command's own status, e.g. 404 AOR not found (passes through)
  unknown_command,    ///< 500 command '<x>' not available / -32601
  arity,              ///< 400 Too few or too many arguments / -32602 (detail says which)
  bad_param,          ///< 400 Bad parameter '<name>': <why> / -32602
  forbidden,          ///< 403 Forbidden
  timeout,            ///< 408 Request Timeout
  parse_error,        ///< 400 Parse error in command / -32700 (the bytes are not a request)
  invalid_request,    ///< 400 Parse error / -32600 (well-formed bytes, not a valid request)
  request_too_large,  ///< 400 Request too large / -32600 (over the transport's request limit)
  reply_too_large,    ///< 413 Reply too large (<n> > <max> bytes): use the FIFO or HTTP
};

struct Error {
  ErrorKind kind = ErrorKind::handler;
  int code = 500;
  std::string reason;  ///< the text after the code on the status line
  std::string detail;  ///< optional: JSON-RPC `data`, logs; never on the text status line
  std::string param;   ///< bad_param: the param's name (REST points at it in the body)
  /// A refused document (config_import): every problem as {JSON Pointer, what is wrong}; REST
  /// lists them in `errors`, the other dialects read them in `detail`.
  std::vector<std::pair<std::string, std::string>> problems{};

  // Constructors for each row; handlers normally use `failure(code, reason)`.
  static Error failure(int code, std::string reason, std::string detail = {});
  static Error unknown_command(std::string_view name);
  static Error arity(std::string detail);
  static Error bad_param(std::string_view name, std::string_view why);
  static Error forbidden(std::string detail = {});
  static Error timeout();
  static Error parse_error(std::string detail, std::string_view command = {});
  static Error invalid_request(std::string detail);
  static Error request_too_large(std::size_t size, std::size_t max);
  static Error reply_too_large(std::size_t size, std::size_t max,
                               std::string_view hint = "use the FIFO or HTTP");
};

/// One JSON-RPC error object's fields, as the mapping table spells it.
struct JsonRpcError {
  int code;
  std::string message;
  std::string data;  ///< empty = no `data` member
};

/// The status line of the text dialects (FIFO/datagram): `<code> <reason>` without newline.
std::string text_status_line(const Error& e);
/// True when the text dialect ends this error with an empty line (a rendered tree) rather than
/// the single status line OpenSIPS 2 uses for transport-level errors.
bool text_has_body_terminator(const Error& e);
JsonRpcError jsonrpc_error(const Error& e);
/// XML-RPC faultCode (negative for protocol errors, like JSON-RPC; MI code otherwise).
int xmlrpc_fault_code(const Error& e);
/// HTTP status for REST (wire.md §2 last column).
int http_status(const Error& e);
/// The RFC 9457 problem type of an Error, a slug of this table ("not-found", "invalid-param",
/// "conflict" …; handler errors by their status). REST spells it tag:switchboard,2026:problem:<slug>.
std::string_view problem_slug(const Error& e);

/// The inverse of jsonrpc_error(): the Error a JSON-RPC error object stands for, so a client
/// that spoke JSON-RPC can print the text dialect's status line (sbctl over HTTP prints exactly
/// what it prints over the FIFO). `method` is the called command (for "command '<x>' not
/// available").
Error error_from_jsonrpc(int code, const std::string& message, const std::string& data,
                         std::string_view method);

}  // namespace sb::mi
