// render_text_test.cpp: the serctl / OpenSIPS-2 tree text of spec/wire.md §3, against golden
// files (tests/golden/text_*.txt, exact bytes; see golden.h).
#include "mi/render/text.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "golden.h"
#include "mi/binding.h"

namespace sb::mi {
namespace {

using test::matches_golden;

std::string ok_text(const Value& v) { return render_text(Result(v)); }

TEST(RenderText, EveryValueTypeAsMembers) {
  Value v = Value::object();
  v["string"] = "hello world";
  v["int"] = 42;
  v["negative"] = -17;
  v["double"] = 2.5;
  v["true"] = true;
  v["false"] = false;
  v["null"] = nullptr;
  v["empty_string"] = "";
  v["empty_object"] = Value::object();
  v["empty_array"] = Value::array();
  v["last"] = "end";
  EXPECT_TRUE(matches_golden("text_value_types.txt", ok_text(v)));
}

TEST(RenderText, NestedObjects) {
  Value v = Value::object();
  v["Dialog"]["ID"] = "a1b2:c3";
  v["Dialog"]["State"]["Code"] = 4;
  v["Dialog"]["State"]["Caller"]["URI"] = "sip:alice@example.com";
  v["Dialog"]["State"]["Caller"]["Tag"] = "t-1";
  v["Dialog"]["Timeout"] = 120;
  v["Total"] = 1;
  EXPECT_TRUE(matches_golden("text_nested.txt", ok_text(v)));
}

TEST(RenderText, ArrayOfScalarsUnderAKeyRepeatsTheKey) {
  Value v = Value::object();
  v["AOR"] = "alice@example.com";
  v["Contact"] = Value::array({"sip:alice@192.0.2.1:5060", "sip:alice@198.51.100.7", 3, true});
  v["Count"] = 4;
  EXPECT_TRUE(matches_golden("text_array_under_key.txt", ok_text(v)));
}

TEST(RenderText, ArrayOfObjectsUnderAKeyRepeatsTheBlock) {
  // Like OpenSIPS ps: one `Processes::` block per element.
  Value v = Value::object();
  v["Processes"] = Value::array();
  v["Processes"].push_back(Value{{"ID", 0}, {"PID", 18625}, {"Type", "attendant"}});
  v["Processes"].push_back(Value{{"ID", 1}, {"PID", 18626}, {"Type", "MI FIFO"}});
  v["Processes"].push_back(Value{{"ID", 2}, {"PID", 18627}, {"Type", "MI worker"}});
  EXPECT_TRUE(matches_golden("text_ps.txt", ok_text(v)));
}

TEST(RenderText, TopLevelArrayOfScalars) {
  // `which`: one command per line.
  Value v = Value::array({"uptime", "version", "which", "ps", "get_statistics"});
  EXPECT_TRUE(matches_golden("text_which.txt", ok_text(v)));
}

TEST(RenderText, TopLevelArrayOfArraysAndObjects) {
  Value v = Value::array();
  v.push_back(Value::array({1, 2}));
  v.push_back(Value{{"name", "udp:127.0.0.1:5060"}, {"children", 4}});
  v.push_back(Value::array({Value{{"a", 1}}, "x"}));
  v.push_back("scalar");
  EXPECT_TRUE(matches_golden("text_toplevel_containers.txt", ok_text(v)));
}

TEST(RenderText, TopLevelScalar) {
  EXPECT_TRUE(matches_golden("text_toplevel_string.txt", ok_text("Server: Switchboard 0.1.0")));
  EXPECT_TRUE(matches_golden("text_toplevel_int.txt", ok_text(3600)));
}

TEST(RenderText, OkPrintsNoBody) {
  EXPECT_TRUE(matches_golden("text_ok.txt", ok_text(ok_value())));
  EXPECT_EQ(ok_text(ok_value()), "200 OK\n\n");
  // Only the exact string: "ok" or "OK " are ordinary values.
  EXPECT_EQ(ok_text("ok"), "200 OK\nok\n\n");
}

TEST(RenderText, Escaping) {
  Value v = Value::object();
  v["newline"] = "line1\nline2";
  v["cr"] = "a\rb";
  v["crlf"] = "Via: x\r\nTo: y";
  v["tab"] = "a\tb";
  v["backslash"] = "C:\\dir\\n";
  const char controls[] = "nul\x00 bel\x07 esc\x1b us\x1f del\x7f";
  v["controls"] = std::string(controls, sizeof controls - 1);
  v["unicode"] = "Gr\u00fc\u00dfe \u260e \u65e5\u672c";
  v["key\twith tab"] = "keys are escaped too";
  v["list"] = Value::array({"a\nb", "c"});
  EXPECT_TRUE(matches_golden("text_escaping.txt", ok_text(v)));
  // The escaping function alone.
  EXPECT_EQ(escape_text_value("a\nb\rc\td\\e"), "a\\nb\\rc\\td\\\\e");
  EXPECT_EQ(escape_text_value(std::string("\x01\x7f", 2)), "\\x01\\x7f");
  EXPECT_EQ(escape_text_value("\u00e9\u260e"), "\u00e9\u260e");  // UTF-8 bytes kept
  // One node is always one line: the body has exactly as many lines as scalar members.
  std::string body = render_text_body(v);
  EXPECT_EQ(std::count(body.begin(), body.end(), '\n'), 10);
}

TEST(RenderText, UptimeExampleOfTheSpec) {
  Value v = Value::object();
  v["Now"] = "Sun Nov 22 10:00:00 2026";
  v["Up since"] = "Sun Nov 22 09:00:00 2026";
  v["Up time"] = "3600 [sec]";
  // wire.md §3, verbatim.
  EXPECT_EQ(ok_text(v),
            "200 OK\nNow:: Sun Nov 22 10:00:00 2026\nUp since:: Sun Nov 22 09:00:00 2026\n"
            "Up time:: 3600 [sec]\n\n");
  EXPECT_TRUE(matches_golden("text_uptime.txt", ok_text(v)));
}

TEST(RenderText, ErrorUnknownCommandIsOneLine) {
  std::string out = render_text(Error::unknown_command("nosuch"));
  EXPECT_EQ(out, "500 command 'nosuch' not available\n");  // wire.md §3, verbatim
  EXPECT_TRUE(matches_golden("text_error_unknown.txt", out));
}

TEST(RenderText, ErrorArity) {
  EXPECT_TRUE(matches_golden("text_error_arity.txt",
                             render_text(Error::arity("missing parameter 'aor'"))));
}

TEST(RenderText, ErrorBadParamFromBinding) {
  CommandSpec spec;
  spec.name = "t";
  spec.params = {param("n", ParamType::int_, "n")};
  auto r = bind_params(spec, Value::array({"5x"}));
  ASSERT_TRUE(std::holds_alternative<Error>(r));
  EXPECT_TRUE(matches_golden("text_error_bad_param.txt", render_text(std::get<Error>(r))));
}

TEST(RenderText, ErrorFromHandler) {
  EXPECT_TRUE(matches_golden("text_error_handler_404.txt",
                             render_text(Error::failure(404, "AOR not found", "detail never shown"))));
}

TEST(RenderText, ErrorTimeout) {
  EXPECT_TRUE(matches_golden("text_error_timeout.txt", render_text(Error::timeout())));
}

TEST(RenderText, ErrorForbiddenAndFramingErrors) {
  EXPECT_EQ(render_text(Error::forbidden("'kill' needs the admin role")), "403 Forbidden\n\n");
  EXPECT_EQ(render_text(Error::parse_error("bad first line")), "400 Parse error in command\n");
  EXPECT_EQ(render_text(Error::parse_error("mixed", "ul_add")),
            "400 Parse error in command 'ul_add'\n");
  EXPECT_EQ(render_text(Error::invalid_request("x")), "400 Parse error\n");
  EXPECT_EQ(render_text(Error::reply_too_large(70000, 65457)),
            "413 Reply too large (70000 > 65457 bytes): use the FIFO or HTTP\n");
}

}  // namespace
}  // namespace sb::mi
