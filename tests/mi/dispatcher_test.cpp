// dispatcher_test.cpp: Dispatcher::call end to end with small test commands
// (dispatcher_fixture.h): lookup, aliases, rights, binding and handler errors, exceptions, and
// the text layout. Async completion, timeouts, the pool, engine commands, statistics, shutdown and
// concurrency are in dispatcher_async_test.cpp.
#include "mi/dispatcher.h"

#include <gtest/gtest.h>

#include "mi/dispatcher_fixture.h"

namespace sb::mi {
namespace {

TEST_F(DispatcherTest, CallsACommand) {
  auto r = call_wait(*d, req("echo", Value::array({"hi"})));
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->ok());
  EXPECT_EQ(r->value(), "hi");
  // Defaults apply.
  r = call_wait(*d, req("echo"));
  ASSERT_TRUE(r && r->ok());
  EXPECT_EQ(r->value(), "none");
  // call_sync is the blocking convenience of the same path.
  Result s = d->call_sync(req("echo_n", Value{{"n", "17"}}));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s.value(), 17);
}

TEST_F(DispatcherTest, UnknownCommand) {
  auto r = call_wait(*d, req("x"));
  ASSERT_TRUE(r);
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->error().kind, ErrorKind::unknown_command);
  EXPECT_EQ(r->error().code, 500);
  EXPECT_EQ(text_status_line(r->error()), "500 command 'x' not available");
  EXPECT_EQ(stat("mi:unknown_commands"), 1);
}

TEST_F(DispatcherTest, ModuleQualifiedAlias) {
  auto r = call_wait(*d, req("test:echo", Value::array({"q"})));
  ASSERT_TRUE(r && r->ok());
  EXPECT_EQ(r->value(), "q");
  // Stats are per command, whatever name was used.
  EXPECT_EQ(stat("mi:echo_calls"), 1);
  r = call_wait(*d, req("other:echo"));
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().kind, ErrorKind::unknown_command);
}

TEST_F(DispatcherTest, CaseInsensitiveOnlyWhenAsked) {
  auto r = call_wait(*d, req("ECHO", Value::array({"a"})));
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().reason, "command 'ECHO' not available");
  r = call_wait(*d, req("ECHO", Value::array({"a"}), Role::admin, true));
  ASSERT_TRUE(r && r->ok());
  EXPECT_EQ(r->value(), "a");
  r = call_wait(*d, req("Test:Echo", Value::array({"b"}), Role::admin, true));
  ASSERT_TRUE(r && r->ok());
  EXPECT_EQ(r->value(), "b");
}

TEST_F(DispatcherTest, ReadOnlyCallerRights) {
  auto r = call_wait(*d, req("set_x", nullptr, Role::read_only));
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().kind, ErrorKind::forbidden);
  EXPECT_EQ(r->error().code, 403);
  EXPECT_EQ(text_status_line(r->error()), "403 Forbidden");
  EXPECT_EQ(stat("mi:set_x_errors"), 1);
  r = call_wait(*d, req("echo", Value::array({"ro"}), Role::read_only));
  ASSERT_TRUE(r && r->ok());
  EXPECT_EQ(r->value(), "ro");
  r = call_wait(*d, req("set_x", nullptr, Role::operator_));
  ASSERT_TRUE(r && r->ok());
}

TEST_F(DispatcherTest, AdminFlagNeedsAdminRole) {
  for (Role role : {Role::read_only, Role::operator_}) {
    auto r = call_wait(*d, req("kill", nullptr, role));
    ASSERT_TRUE(r && !r->ok());
    EXPECT_EQ(r->error().kind, ErrorKind::forbidden);
    EXPECT_EQ(r->error().code, 403);
  }
  auto r = call_wait(*d, req("kill", nullptr, Role::admin));
  ASSERT_TRUE(r && r->ok());
}

TEST_F(DispatcherTest, BindingErrorsComeBack) {
  auto r = call_wait(*d, req("echo_n"));
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().kind, ErrorKind::arity);
  r = call_wait(*d, req("echo_n", Value::array({"5x"})));
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().reason, "Bad parameter 'n': expected an integer, got '5x'");
  r = call_wait(*d, req("echo_n", Value("5")));
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().kind, ErrorKind::invalid_request);
}

TEST_F(DispatcherTest, HandlerErrorPassesThrough) {
  auto r = call_wait(*d, req("ul_show_contact"));
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().kind, ErrorKind::handler);
  EXPECT_EQ(r->error().code, 404);
  EXPECT_EQ(r->error().reason, "AOR not found");
}

TEST_F(DispatcherTest, HandlerThatThrowsGives500AndTheDispatcherKeepsWorking) {
  for (int i = 0; i < 3; ++i) {
    auto r = call_wait(*d, req("boom"));
    ASSERT_TRUE(r && !r->ok());
    EXPECT_EQ(r->error().code, 500);
    EXPECT_EQ(r->error().kind, ErrorKind::handler);
    // The exception text goes to the server log, not to the client.
    EXPECT_EQ(r->error().reason, "Internal error");
    EXPECT_EQ(r->error().detail.find("boom inside"), std::string::npos);
    r = call_wait(*d, req("boom_odd"));
    ASSERT_TRUE(r && !r->ok());
    EXPECT_EQ(r->error().code, 500);
    r = call_wait(*d, req("echo", Value::array({"still here"})));
    ASSERT_TRUE(r && r->ok());
    EXPECT_EQ(r->value(), "still here");
  }
  EXPECT_EQ(stat("mi:boom_errors"), 3);
}

TEST_F(DispatcherTest, TextLayout) {
  reg.add([] {
    CommandSpec s = spec("t_uac_dlg",
                         {param("method", ParamType::string_, "method"),
                          param("ruri", ParamType::string_, "ruri"),
                          param("next_hop", ParamType::string_, "next hop"),
                          param("headers", ParamType::string_, "headers"),
                          param("body", ParamType::string_, "body")},
                         0, [](const Args&) -> Result { return ok_value(); });
    s.params[3].text_block = TextBlock::line_set;
    s.params[4].text_block = TextBlock::body;
    return s;
  }());
  EXPECT_EQ(stat("mi:t_uac_dlg_calls"), 0);  // added after the dispatcher started: stats exist
  std::vector<TextBlock> want = {TextBlock::line, TextBlock::line, TextBlock::line,
                                 TextBlock::line_set, TextBlock::body};
  EXPECT_EQ(d->text_layout("t_uac_dlg"), want);
  EXPECT_EQ(d->text_layout("T_UAC_DLG"), want);  // text dialect lookups are case-insensitive
  EXPECT_EQ(d->text_layout("echo"), std::vector<TextBlock>{TextBlock::line});
  EXPECT_TRUE(d->text_layout("nosuch").empty());
}

}  // namespace
}  // namespace sb::mi
