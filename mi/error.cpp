// error.cpp: the single error mapping table of spec/wire.md §2.
#include "mi/error.h"

#include <fmt/format.h>

namespace sb::mi {

namespace {

// One row per kind: the fixed parts of the table. `mi` in a column means "use the Error's own
// code" (handler errors pass through every transport unchanged).
constexpr int kMi = 0;
struct Row {
  ErrorKind kind;
  int jsonrpc_code;         // kMi = the Error's code
  const char* jsonrpc_msg;  // nullptr = the Error's reason
  int xmlrpc_code;          // kMi = the Error's code
  int http;                 // kMi = the Error's code when 4xx/5xx, else 500
  bool text_terminator;     // text dialect: status line followed by an empty line
  const char* problem;      // REST problem type slug; nullptr = by the HTTP status
};

constexpr Row kTable[] = {
    {ErrorKind::handler, kMi, nullptr, kMi, kMi, true, nullptr},
    {ErrorKind::unknown_command, -32601, "Method not found", -32601, 404, false, "unknown-command"},
    {ErrorKind::arity, -32602, "Invalid params", -32602, 400, true, "invalid-params"},
    {ErrorKind::bad_param, -32602, "Invalid params", -32602, 400, true, "invalid-param"},
    {ErrorKind::forbidden, 403, "Forbidden", 403, 403, true, "forbidden"},
    {ErrorKind::timeout, 408, "Request Timeout", 408, 504, true, "timeout"},
    {ErrorKind::parse_error, -32700, "Parse error", -32700, 400, false, "parse-error"},
    {ErrorKind::invalid_request, -32600, "Invalid Request", -32600, 400, false, "invalid-request"},
    {ErrorKind::request_too_large, -32600, "Invalid Request", -32600, 413, false, "request-too-large"},
    {ErrorKind::reply_too_large, 413, nullptr, 413, 500, false, "reply-too-large"},
};

const Row& row(ErrorKind k) {
  for (const Row& r : kTable)
    if (r.kind == k) return r;
  return kTable[0];
}

}  // namespace

Error Error::failure(int code, std::string reason, std::string detail) {
  return Error{ErrorKind::handler, code, std::move(reason), std::move(detail), {}, {}};
}
Error Error::unknown_command(std::string_view name) {
  return Error{ErrorKind::unknown_command, 500, fmt::format("command '{}' not available", name), {}, {}, {}};
}
Error Error::arity(std::string detail) {
  return Error{ErrorKind::arity, 400, "Too few or too many arguments", std::move(detail), {}, {}};
}
Error Error::bad_param(std::string_view name, std::string_view why) {
  std::string text = fmt::format("Bad parameter '{}': {}", name, why);
  return Error{ErrorKind::bad_param, 400, text, text, std::string(name), {}};
}
Error Error::forbidden(std::string detail) {
  return Error{ErrorKind::forbidden, 403, "Forbidden", std::move(detail), {}, {}};
}
Error Error::timeout() { return Error{ErrorKind::timeout, 408, "Request Timeout", {}, {}, {}}; }
Error Error::parse_error(std::string detail, std::string_view command) {
  std::string reason = command.empty() ? std::string("Parse error in command")
                                       : fmt::format("Parse error in command '{}'", command);
  return Error{ErrorKind::parse_error, 400, std::move(reason), std::move(detail), {}, {}};
}
Error Error::invalid_request(std::string detail) {
  return Error{ErrorKind::invalid_request, 400, "Parse error", std::move(detail), {}, {}};
}
Error Error::request_too_large(std::size_t size, std::size_t max) {
  return Error{ErrorKind::request_too_large, 400,
               fmt::format("Request too large ({} > {} bytes)", size, max),
               fmt::format("request too large ({} > {} bytes)", size, max), {}, {}};
}
Error Error::reply_too_large(std::size_t size, std::size_t max, std::string_view hint) {
  return Error{ErrorKind::reply_too_large, 413,
               fmt::format("Reply too large ({} > {} bytes): {}", size, max, hint), {}, {}, {}};
}

std::string text_status_line(const Error& e) { return fmt::format("{} {}", e.code, e.reason); }

bool text_has_body_terminator(const Error& e) { return row(e.kind).text_terminator; }

JsonRpcError jsonrpc_error(const Error& e) {
  const Row& r = row(e.kind);
  JsonRpcError out{r.jsonrpc_code == kMi ? e.code : r.jsonrpc_code,
                   r.jsonrpc_msg ? r.jsonrpc_msg : e.reason, e.detail};
  if (e.kind == ErrorKind::arity && out.data.empty()) out.data = e.reason;
  if (e.kind == ErrorKind::handler && out.data == out.message) out.data.clear();
  return out;
}

int xmlrpc_fault_code(const Error& e) {
  const Row& r = row(e.kind);
  return r.xmlrpc_code == kMi ? e.code : r.xmlrpc_code;
}

Error error_from_jsonrpc(int code, const std::string& message, const std::string& data,
                         std::string_view method) {
  switch (code) {
    case -32601: return Error::unknown_command(method);
    case -32602:
      // bad_param carries its whole reason as data; arity carries the detail of what is wrong.
      if (data.rfind("Bad parameter '", 0) == 0)
        return Error{ErrorKind::bad_param, 400, data, data, {}, {}};
      return Error::arity(data);
    case -32700: return Error::parse_error(data);
    case -32600: return Error::invalid_request(data);
    case 403: return Error::forbidden(data);
    case 408: return Error::timeout();
    default: return Error::failure(code, message, data);
  }
}

int http_status(const Error& e) {
  const Row& r = row(e.kind);
  if (r.http != kMi) return r.http;
  return (e.code >= 400 && e.code <= 599) ? e.code : 500;
}

std::string_view problem_slug(const Error& e) {
  if (const char* slug = row(e.kind).problem) return slug;
  switch (http_status(e)) {
    case 400: return "bad-request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not-found";
    case 405: return "method-not-allowed";
    case 408: return "timeout";
    case 409: return "conflict";
    case 412: return "precondition-failed";
    case 413: return "too-large";
    case 415: return "unsupported-media-type";
    case 422: return "validation";
    case 428: return "precondition-required";
    case 429: return "too-many-requests";
    case 501: return "not-implemented";
    case 503: return "unavailable";
    case 504: return "timeout";
    default: return http_status(e) >= 500 ? "internal-error" : "error";
  }
}

}  // namespace sb::mi
