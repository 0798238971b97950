// render_jsonrpc_test.cpp: JSON-RPC 2.0 replies (compact, key order jsonrpc, result|error, id;
// every error row of spec/wire.md §2) against golden files (tests/golden/jsonrpc_*.json, exact
// bytes, no trailing newline), and decode_jsonrpc (research/mi-protocols.md §3.1-3.2).
#include "mi/codec/jsonrpc.h"

#include <gtest/gtest.h>

#include "golden.h"
#include "mi/binding.h"

namespace sb::mi {
namespace {

using test::matches_golden;

// ---- rendering ----

TEST(RenderJsonRpc, ResultWithStringId) {
  std::string out = render_jsonrpc(ok_value(), "x1");
  EXPECT_EQ(out, R"({"jsonrpc":"2.0","result":"OK","id":"x1"})");  // research §3.2 example
  EXPECT_TRUE(matches_golden("jsonrpc_result_string_id.json", out));
}

TEST(RenderJsonRpc, ResultWithNumberIdKeepsMemberOrder) {
  Value v = Value::object();
  v["Now"] = "Sun Nov 22 10:00:00 2026";
  v["Up since"] = "Sun Nov 22 09:00:00 2026";
  v["Up time"] = 3600;
  v["Zeta"] = Value{{"b", 1}, {"a", 2}};  // insertion order, not sorted
  EXPECT_TRUE(matches_golden("jsonrpc_result_number_id.json", render_jsonrpc(v, 7)));
}

TEST(RenderJsonRpc, ResultWithNullIdAndEveryType) {
  Value v = Value::array({"s", 42, -17, 2.5, true, false, nullptr, "", Value::object(),
                          Value::array()});
  EXPECT_TRUE(matches_golden("jsonrpc_result_null_id.json", render_jsonrpc(v, nullptr)));
}

TEST(RenderJsonRpc, ErrorMethodNotFound) {
  std::string out = render_jsonrpc(Error::unknown_command("nosuch"), 0);
  // research §3.2: the exact line OpenSIPS 3 sends (issue #1894).
  EXPECT_EQ(out, R"({"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":0})");
  EXPECT_TRUE(matches_golden("jsonrpc_error_method_not_found.json", out));
}

TEST(RenderJsonRpc, ErrorInvalidParamsArity) {
  EXPECT_TRUE(matches_golden(
      "jsonrpc_error_arity.json",
      render_jsonrpc(Error::arity("missing parameter 'aor' of 'ul_show_contact'"), 7)));
}

TEST(RenderJsonRpc, ErrorInvalidParamsBadParam) {
  CommandSpec spec;
  spec.name = "t";
  spec.params = {param("n", ParamType::int_, "n")};
  auto r = bind_params(spec, Value::array({"5x"}));
  ASSERT_TRUE(std::holds_alternative<Error>(r));
  EXPECT_TRUE(matches_golden("jsonrpc_error_bad_param.json",
                             render_jsonrpc(std::get<Error>(r), "req-2")));
}

TEST(RenderJsonRpc, ErrorParse) {
  auto msg = decode_jsonrpc("{not json");
  ASSERT_TRUE(msg.error);
  EXPECT_TRUE(matches_golden("jsonrpc_error_parse.json", render_jsonrpc(*msg.error, nullptr)));
}

TEST(RenderJsonRpc, ErrorInvalidRequest) {
  auto msg = decode_jsonrpc(R"({"jsonrpc":"1.0","method":"uptime","id":3})");
  ASSERT_EQ(msg.items.size(), 1u);
  ASSERT_TRUE(msg.items[0].error);
  EXPECT_TRUE(matches_golden("jsonrpc_error_invalid_request.json",
                             render_jsonrpc(*msg.items[0].error, msg.items[0].id)));
}

TEST(RenderJsonRpc, ErrorFromHandlerKeepsItsCode) {
  std::string out = render_jsonrpc(Error::failure(404, "AOR not found"), 8);
  EXPECT_EQ(out, R"({"jsonrpc":"2.0","error":{"code":404,"message":"AOR not found"},"id":8})");
  EXPECT_TRUE(matches_golden("jsonrpc_error_handler_404.json", out));
  // A detail different from the reason becomes `data`.
  EXPECT_TRUE(matches_golden(
      "jsonrpc_error_handler_data.json",
      render_jsonrpc(Error::failure(500, "Internal error", "boom"), 9)));
  // OpenSIPS's ul_sync quirk: an error object with code 200.
  EXPECT_TRUE(matches_golden("jsonrpc_error_code_200.json",
                             render_jsonrpc(Error::failure(200, "Contacts already synced"), 10)));
}

TEST(RenderJsonRpc, ErrorForbidden) {
  EXPECT_TRUE(matches_golden(
      "jsonrpc_error_forbidden.json",
      render_jsonrpc(Error::forbidden("'kill' needs the admin role"), "k")));
}

TEST(RenderJsonRpc, ErrorTimeout) {
  EXPECT_TRUE(matches_golden("jsonrpc_error_timeout.json", render_jsonrpc(Error::timeout(), 11)));
}

TEST(RenderJsonRpc, ErrorReplyTooLarge) {
  // Datagram replies that do not fit: a JSON-RPC error {"code":413,...} (wire.md §4).
  EXPECT_TRUE(matches_golden("jsonrpc_error_reply_too_large.json",
                             render_jsonrpc(Error::reply_too_large(70000, 65457), 12)));
}

TEST(RenderJsonRpc, EscapingOfControlCharactersAndUnicode) {
  Value v = Value::object();
  v["quote"] = "say \"hi\"";
  v["backslash"] = "C:\\dir";
  v["controls"] = std::string("\n\r\t\b\f\x01\x1f", 7);
  v["del"] = "\x7f";
  v["slash"] = "a/b";
  v["unicode"] = "Gr\u00fc\u00dfe \u260e \u65e5\u672c \U0001F600";
  EXPECT_TRUE(matches_golden("jsonrpc_escaping.json", render_jsonrpc(v, 1)));
}

TEST(RenderJsonRpc, InvalidUtf8IsReplacedNotThrown) {
  Value v = Value::object();
  v["bad"] = std::string("ok\xff\xfe-end");
  v["truncated"] = std::string("\xe2\x98");
  v["overlong"] = std::string("\xc0\xaf");
  std::string out;
  ASSERT_NO_THROW(out = render_jsonrpc(v, 1));
  EXPECT_TRUE(matches_golden("jsonrpc_invalid_utf8.json", out));
  // The output is valid JSON again.
  EXPECT_FALSE(Value::parse(out, nullptr, false).is_discarded());
  // Invalid UTF-8 in an error reason too.
  ASSERT_NO_THROW(out = render_jsonrpc(Error::failure(404, "no \xff here"), 2));
  EXPECT_EQ(out, "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":404,\"message\":\"no \xef\xbf\xbd here\"},\"id\":2}");
}

TEST(RenderJsonRpc, Batch) {
  std::vector<std::string> replies = {
      render_jsonrpc(ok_value(), 1),
      render_jsonrpc(Error::unknown_command("nosuch"), 2),
      render_jsonrpc(Error::invalid_request("a request must be a JSON object"), nullptr),
  };
  std::string out = render_jsonrpc_batch(replies);
  EXPECT_TRUE(matches_golden("jsonrpc_batch.json", out));
  EXPECT_FALSE(Value::parse(out, nullptr, false).is_discarded());
  EXPECT_EQ(render_jsonrpc_batch({render_jsonrpc(ok_value(), 1)}),
            R"([{"jsonrpc":"2.0","result":"OK","id":1}])");
  // All notifications: nothing to send.
  EXPECT_EQ(render_jsonrpc_batch({}), "");
}

// ---- decoding ----

TEST(DecodeJsonRpc, ValidSingle) {
  auto msg = decode_jsonrpc(
      R"({"jsonrpc":"2.0","method":"ul_show_contact","params":{"table_name":"location","aor":"bob@example.com"},"id":8})");
  EXPECT_FALSE(msg.error);
  EXPECT_FALSE(msg.batch);
  ASSERT_EQ(msg.items.size(), 1u);
  const auto& it = msg.items[0];
  EXPECT_FALSE(it.error);
  EXPECT_FALSE(it.notification);
  EXPECT_EQ(it.request.method, "ul_show_contact");
  EXPECT_EQ(it.request.params, (Value{{"table_name", "location"}, {"aor", "bob@example.com"}}));
  EXPECT_EQ(it.id, 8);

  msg = decode_jsonrpc(R"({"jsonrpc":"2.0","method":"get_statistics","params":[["dialog:","tm:"]],"id":1})");
  ASSERT_EQ(msg.items.size(), 1u);
  EXPECT_EQ(msg.items[0].request.params, Value::array({Value::array({"dialog:", "tm:"})}));
  // No params at all.
  msg = decode_jsonrpc(R"({"jsonrpc":"2.0","method":"uptime","id":1})");
  ASSERT_EQ(msg.items.size(), 1u);
  EXPECT_FALSE(msg.items[0].error);
  EXPECT_TRUE(msg.items[0].request.params.is_null());
  // Whitespace around and inside is fine.
  msg = decode_jsonrpc(" {\n\"jsonrpc\" : \"2.0\", \"method\":\"uptime\", \"id\":1}\n");
  EXPECT_FALSE(msg.error);
  EXPECT_FALSE(msg.items.at(0).error);
}

TEST(DecodeJsonRpc, NotificationHasNoId) {
  auto msg = decode_jsonrpc(R"({"jsonrpc":"2.0","method":"log_level","params":[3]})");
  ASSERT_EQ(msg.items.size(), 1u);
  EXPECT_TRUE(msg.items[0].notification);
  EXPECT_FALSE(msg.items[0].error);
  EXPECT_TRUE(msg.items[0].id.is_null());
  EXPECT_EQ(msg.items[0].request.params, Value::array({3}));
  // An explicit null id is NOT a notification.
  msg = decode_jsonrpc(R"({"jsonrpc":"2.0","method":"uptime","id":null})");
  EXPECT_FALSE(msg.items.at(0).notification);
  EXPECT_TRUE(msg.items[0].id.is_null());
}

TEST(DecodeJsonRpc, IdTypes) {
  auto id_of = [](const std::string& id) {
    auto msg = decode_jsonrpc(R"({"jsonrpc":"2.0","method":"uptime","id":)" + id + "}");
    EXPECT_EQ(msg.items.size(), 1u);
    return msg.items.at(0);
  };
  EXPECT_EQ(id_of(R"("abc")").id, "abc");
  EXPECT_EQ(id_of("42").id, 42);
  EXPECT_EQ(id_of("-1").id, -1);
  EXPECT_EQ(id_of("1.5").id, 1.5);
  // The id comes back exactly as given.
  EXPECT_EQ(render_jsonrpc(ok_value(), id_of(R"("abc")").id),
            R"({"jsonrpc":"2.0","result":"OK","id":"abc"})");
  for (const char* bad : {"[1]", R"({"a":1})", "true"}) {
    auto it = id_of(bad);
    ASSERT_TRUE(it.error) << bad;
    EXPECT_EQ(it.error->kind, ErrorKind::invalid_request) << bad;
    EXPECT_EQ(jsonrpc_error(*it.error).code, -32600);
  }
}

TEST(DecodeJsonRpc, BadVersion) {
  for (const char* req : {R"({"jsonrpc":"1.0","method":"uptime","id":1})",
                          R"({"jsonrpc":2.0,"method":"uptime","id":1})",
                          R"({"method":"uptime","id":1})"}) {
    auto msg = decode_jsonrpc(req);
    EXPECT_FALSE(msg.error) << req;
    ASSERT_EQ(msg.items.size(), 1u);
    ASSERT_TRUE(msg.items[0].error) << req;
    EXPECT_EQ(jsonrpc_error(*msg.items[0].error).code, -32600) << req;
    EXPECT_EQ(msg.items[0].id, 1) << "the id is kept so the error can answer it";
  }
}

TEST(DecodeJsonRpc, MissingOrBadMethod) {
  for (const char* req : {R"({"jsonrpc":"2.0","id":1})", R"({"jsonrpc":"2.0","method":5,"id":1})",
                          R"({"jsonrpc":"2.0","method":"","id":1})"}) {
    auto msg = decode_jsonrpc(req);
    ASSERT_EQ(msg.items.size(), 1u);
    ASSERT_TRUE(msg.items[0].error) << req;
    EXPECT_EQ(jsonrpc_error(*msg.items[0].error).code, -32600) << req;
  }
}

TEST(DecodeJsonRpc, ScalarParamsAreInvalidRequest) {
  for (const char* p : {R"("location")", "5", "true"}) {
    auto msg = decode_jsonrpc(std::string(R"({"jsonrpc":"2.0","method":"ul_dump","params":)") + p +
                              R"(,"id":1})");
    ASSERT_EQ(msg.items.size(), 1u);
    ASSERT_TRUE(msg.items[0].error) << p;
    EXPECT_EQ(msg.items[0].error->kind, ErrorKind::invalid_request);
    EXPECT_EQ(jsonrpc_error(*msg.items[0].error).code, -32600) << p;
  }
  // "params": null counts as absent.
  auto msg = decode_jsonrpc(R"({"jsonrpc":"2.0","method":"ul_dump","params":null,"id":1})");
  EXPECT_FALSE(msg.items.at(0).error);
}

TEST(DecodeJsonRpc, NotJsonIsParseError) {
  for (const char* bad : {"{not json", "", "   ", R"({"jsonrpc":"2.0")", "[1,2", "nul"}) {
    auto msg = decode_jsonrpc(bad);
    ASSERT_TRUE(msg.error) << "'" << bad << "'";
    EXPECT_EQ(msg.error->kind, ErrorKind::parse_error);
    EXPECT_EQ(jsonrpc_error(*msg.error).code, -32700);
    EXPECT_EQ(jsonrpc_error(*msg.error).message, "Parse error");
    EXPECT_TRUE(msg.items.empty());
  }
}

TEST(DecodeJsonRpc, NonObjectRequestIsInvalid) {
  for (const char* bad : {"5", R"("uptime")", "null"}) {
    auto msg = decode_jsonrpc(bad);
    EXPECT_FALSE(msg.error) << bad;
    ASSERT_EQ(msg.items.size(), 1u) << bad;
    ASSERT_TRUE(msg.items[0].error) << bad;
    EXPECT_EQ(jsonrpc_error(*msg.items[0].error).code, -32600);
  }
}

TEST(DecodeJsonRpc, EmptyBatch) {
  auto msg = decode_jsonrpc("[]");
  EXPECT_TRUE(msg.batch);
  ASSERT_TRUE(msg.error);
  EXPECT_EQ(msg.error->kind, ErrorKind::invalid_request);
  EXPECT_EQ(jsonrpc_error(*msg.error).code, -32600);
  EXPECT_EQ(jsonrpc_error(*msg.error).message, "Invalid Request");
  EXPECT_TRUE(msg.items.empty());
}

TEST(DecodeJsonRpc, BatchWithMixedItems) {
  auto msg = decode_jsonrpc(
      R"([{"jsonrpc":"2.0","method":"uptime","id":1},)"
      R"(5,)"
      R"({"jsonrpc":"2.0","method":"log_level","params":[2]},)"
      R"({"jsonrpc":"2.0","id":"no-method"},)"
      R"({"jsonrpc":"2.0","method":"which","params":{"command":"ps"},"id":"w"}])");
  EXPECT_FALSE(msg.error);
  EXPECT_TRUE(msg.batch);
  ASSERT_EQ(msg.items.size(), 5u);
  EXPECT_FALSE(msg.items[0].error);
  EXPECT_EQ(msg.items[0].request.method, "uptime");
  EXPECT_EQ(msg.items[0].id, 1);
  ASSERT_TRUE(msg.items[1].error);
  EXPECT_EQ(jsonrpc_error(*msg.items[1].error).code, -32600);
  EXPECT_TRUE(msg.items[1].id.is_null());
  EXPECT_FALSE(msg.items[2].error);
  EXPECT_TRUE(msg.items[2].notification);
  ASSERT_TRUE(msg.items[3].error);
  EXPECT_EQ(msg.items[3].id, "no-method");
  EXPECT_FALSE(msg.items[4].error);
  EXPECT_EQ(msg.items[4].request.method, "which");
  EXPECT_EQ(msg.items[4].request.params, (Value{{"command", "ps"}}));
  EXPECT_EQ(msg.items[4].id, "w");
}

TEST(DecodeJsonRpc, EmptyParamsMeanNoParams) {
  for (const char* p : {"[]", "{}"}) {
    auto msg = decode_jsonrpc(std::string(R"({"jsonrpc":"2.0","method":"uptime","params":)") + p +
                              R"(,"id":1})");
    ASSERT_EQ(msg.items.size(), 1u);
    EXPECT_FALSE(msg.items[0].error) << p;
    EXPECT_TRUE(msg.items[0].request.params.is_null()) << p;
  }
}

}  // namespace
}  // namespace sb::mi
