// error_table_test.cpp: the single error mapping table of spec/wire.md §2, row by row: text
// status line and terminator, JSON-RPC code/message/data, XML-RPC faultCode, HTTP status.
#include "mi/error.h"

#include <gtest/gtest.h>

#include <string>

namespace sb::mi {
namespace {

struct Row {
  const char* what;
  Error error;
  ErrorKind kind;
  std::string text_status;  // `<code> <reason>`
  bool text_terminator;     // status line followed by an empty line (a rendered tree)
  int jsonrpc_code;
  std::string jsonrpc_message;
  std::string jsonrpc_data;  // "" = no data member
  int xmlrpc_fault;
  int http;
};

void check(const Row& r) {
  SCOPED_TRACE(r.what);
  EXPECT_EQ(r.error.kind, r.kind);
  EXPECT_EQ(text_status_line(r.error), r.text_status);
  EXPECT_EQ(text_has_body_terminator(r.error), r.text_terminator);
  JsonRpcError j = jsonrpc_error(r.error);
  EXPECT_EQ(j.code, r.jsonrpc_code);
  EXPECT_EQ(j.message, r.jsonrpc_message);
  EXPECT_EQ(j.data, r.jsonrpc_data);
  EXPECT_EQ(xmlrpc_fault_code(r.error), r.xmlrpc_fault);
  EXPECT_EQ(http_status(r.error), r.http);
}

TEST(ErrorTable, UnknownCommand) {
  check({"unknown command", Error::unknown_command("nosuch"), ErrorKind::unknown_command,
         "500 command 'nosuch' not available", false, -32601, "Method not found", "", -32601, 404});
}

TEST(ErrorTable, WrongNumberOfParams) {
  check({"arity", Error::arity("missing parameter 'aor' of 'ul_show_contact'"), ErrorKind::arity,
         "400 Too few or too many arguments", true, -32602, "Invalid params",
         "missing parameter 'aor' of 'ul_show_contact'", -32602, 400});
  // "data says which": never empty, even without a detail.
  check({"arity without detail", Error::arity(""), ErrorKind::arity,
         "400 Too few or too many arguments", true, -32602, "Invalid params",
         "Too few or too many arguments", -32602, 400});
}

TEST(ErrorTable, BadParam) {
  check({"bad param", Error::bad_param("n", "expected an integer, got '5x'"), ErrorKind::bad_param,
         "400 Bad parameter 'n': expected an integer, got '5x'", true, -32602, "Invalid params",
         "Bad parameter 'n': expected an integer, got '5x'", -32602, 400});
}

TEST(ErrorTable, HandlerErrorPassesThrough) {
  check({"handler 404", Error::failure(404, "AOR not found"), ErrorKind::handler,
         "404 AOR not found", true, 404, "AOR not found", "", 404, 404});
  check({"handler 481", Error::failure(481, "No such transaction"), ErrorKind::handler,
         "481 No such transaction", true, 481, "No such transaction", "", 481, 481});
  check({"handler 503", Error::failure(503, "SIP engine not running"), ErrorKind::handler,
         "503 SIP engine not running", true, 503, "SIP engine not running", "", 503, 503});
  check({"handler 500 with detail", Error::failure(500, "Internal error", "boom"),
         ErrorKind::handler, "500 Internal error", true, 500, "Internal error", "boom", 500, 500});
  // A detail equal to the reason is not repeated as data.
  check({"handler detail = reason", Error::failure(400, "Bad value", "Bad value"),
         ErrorKind::handler, "400 Bad value", true, 400, "Bad value", "", 400, 400});
}

TEST(ErrorTable, HandlerCodeOutsideHttpErrorRangeIsHttp500) {
  // OpenSIPS ul_sync answers an *error* with code 200: every MI wire keeps 200, HTTP cannot.
  check({"handler 200", Error::failure(200, "Contacts already synced"), ErrorKind::handler,
         "200 Contacts already synced", true, 200, "Contacts already synced", "", 200, 500});
  check({"handler 302", Error::failure(302, "Moved"), ErrorKind::handler, "302 Moved", true, 302,
         "Moved", "", 302, 500});
  check({"handler 600", Error::failure(600, "Busy Everywhere"), ErrorKind::handler,
         "600 Busy Everywhere", true, 600, "Busy Everywhere", "", 600, 500});
}

TEST(ErrorTable, Forbidden) {
  check({"forbidden", Error::forbidden("'kill' needs the admin role"), ErrorKind::forbidden,
         "403 Forbidden", true, 403, "Forbidden", "'kill' needs the admin role", 403, 403});
  check({"forbidden without detail", Error::forbidden(), ErrorKind::forbidden, "403 Forbidden",
         true, 403, "Forbidden", "", 403, 403});
}

TEST(ErrorTable, Timeout) {
  check({"timeout", Error::timeout(), ErrorKind::timeout, "408 Request Timeout", true, 408,
         "Request Timeout", "", 408, 504});
}

TEST(ErrorTable, ParseError) {
  // XML-RPC uses the negative -32700 too (wire.md §2: "negative!").
  check({"parse error", Error::parse_error("not JSON"), ErrorKind::parse_error,
         "400 Parse error in command", false, -32700, "Parse error", "not JSON", -32700, 400});
  check({"parse error naming the command", Error::parse_error("mixed params", "ul_add"),
         ErrorKind::parse_error, "400 Parse error in command 'ul_add'", false, -32700,
         "Parse error", "mixed params", -32700, 400});
  EXPECT_LT(xmlrpc_fault_code(Error::parse_error("x")), 0);
}

TEST(ErrorTable, InvalidRequest) {
  check({"invalid request", Error::invalid_request("'method' must be a non-empty string"),
         ErrorKind::invalid_request, "400 Parse error", false, -32600, "Invalid Request",
         "'method' must be a non-empty string", -32600, 400});
}

TEST(ErrorTable, RequestTooLarge) {
  // wire.md §3: over-limit input is answered with 400.
  Error e = Error::request_too_large(70000, 65536);
  EXPECT_EQ(e.kind, ErrorKind::request_too_large);
  EXPECT_EQ(e.code, 400);
  EXPECT_EQ(text_status_line(e).rfind("400 ", 0), 0u);
  EXPECT_NE(text_status_line(e).find("70000 > 65536"), std::string::npos);
  EXPECT_FALSE(text_has_body_terminator(e));
  EXPECT_EQ(jsonrpc_error(e).code, -32600);
  EXPECT_EQ(jsonrpc_error(e).message, "Invalid Request");
  EXPECT_EQ(xmlrpc_fault_code(e), -32600);
}

TEST(ErrorTable, ReplyTooLarge) {
  Error e = Error::reply_too_large(70000, 65457);
  EXPECT_EQ(e.kind, ErrorKind::reply_too_large);
  EXPECT_EQ(text_status_line(e), "413 Reply too large (70000 > 65457 bytes): use the FIFO or HTTP");
  EXPECT_FALSE(text_has_body_terminator(e));
  // Datagram JSON replies that do not fit: {"code":413,...} (wire.md §4).
  EXPECT_EQ(jsonrpc_error(e).code, 413);
  EXPECT_EQ(jsonrpc_error(e).message, "Reply too large (70000 > 65457 bytes): use the FIFO or HTTP");
}

}  // namespace
}  // namespace sb::mi

namespace sb::mi {
namespace {

// Every row survives the round trip Error → JSON-RPC error → Error as far as the text dialect
// can see it (the status line), so a JSON-RPC client can print what the FIFO prints.
TEST(ErrorFromJsonRpc, RoundTripsTheTextStatusLine) {
  const Error rows[] = {Error::unknown_command("nosuch"),
                        Error::arity("missing parameter 'text' of 'print'"),
                        Error::bad_param("pid", "expected an integer, got 'abc'"),
                        Error::failure(404, "AOR not found"),
                        Error::failure(500, "Internal error", "see the log"),
                        Error::forbidden("read-only caller"),
                        Error::timeout(),
                        Error::parse_error("not JSON"),
                        Error::invalid_request("'method' must be a string")};
  for (const Error& e : rows) {
    JsonRpcError je = jsonrpc_error(e);
    Error back = error_from_jsonrpc(je.code, je.message, je.data, "nosuch");
    EXPECT_EQ(text_status_line(back), text_status_line(e)) << text_status_line(e);
    EXPECT_EQ(back.kind, e.kind) << text_status_line(e);
  }
}

}  // namespace
}  // namespace sb::mi
