// module_bridge_test.cpp: the C side of the module ABI without dlopen — module_command_spec()
// turning C declarations into CommandSpecs (and refusing bad ones), the sb_arg_* accessors, the
// reply checks the faulty module does not reach (non-finite numbers, nesting depth, NULL and
// invalid keys), and the dispatcher's flag rules on module commands.
#include "mi/module_bridge.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "mi/dispatcher.h"
#include "mi/reply_schema.h"
#include "support/mi_harness.h"

namespace sb::mi {
namespace {

int reply_ok(const sb_args*, sb_reply* r) { return sb_reply_null(r); }
void async_ok(const sb_args*, sb_async* c) { sb_async_complete(c); }

sb_command_export command(const char* name, sb_command_fn fn, const sb_arg_export* args = nullptr,
                          unsigned flags = 0) {
  return sb_command_export{name, "A module test command", fn, nullptr, args, flags, nullptr};
}

std::string spec_error(const sb_command_export& c) {
  try {
    CommandSpec s = module_command_spec("m", c, schema::any());
    return Registry::validate(s);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
}

TEST(ModuleCommandSpec, CarriesNameModuleArgsAndFlags) {
  const sb_arg_export args[] = {{"a", SB_ARG_INT, 0, nullptr, "an int"},
                                {"b", SB_ARG_BOOL, 1, "on", "a bool"},
                                {nullptr, 0, 0, nullptr, nullptr}};
  CommandSpec s =
      module_command_spec("m", command("cmd", reply_ok, args, SB_CMD_READ_ONLY | SB_CMD_HIDDEN),
                          schema::any());
  EXPECT_EQ(s.name, "cmd");
  EXPECT_EQ(s.module, "m");
  EXPECT_EQ(s.flags, kReadOnly | kHidden);
  ASSERT_EQ(s.params.size(), 2u);
  EXPECT_EQ(s.params[0].type, ParamType::int_);
  EXPECT_TRUE(s.params[0].required);
  EXPECT_FALSE(s.params[1].required);
  EXPECT_EQ(s.params[1].default_value, true);  // "on" coerced at load
  sb_command_export async{"a", "Async", nullptr, async_ok, nullptr, SB_CMD_ADMIN, nullptr};
  EXPECT_EQ(module_command_spec("m", async, schema::any()).flags, kAsync | kAdmin);
}

TEST(ModuleCommandSpec, RefusesWhatTheRegistryCannotSee) {
  const sb_arg_export bad_type[] = {{"a", 9, 0, nullptr, "x"}, {nullptr, 0, 0, nullptr, nullptr}};
  EXPECT_EQ(spec_error(command("c", reply_ok, bad_type)),
            "command 'c': argument 'a': unknown argument type 9");
  EXPECT_EQ(spec_error(command("c", reply_ok, nullptr, 1u << 7)),
            "command 'c': unknown flag bits 0x80");
  EXPECT_EQ(spec_error(command("c", nullptr)),
            "command 'c': needs exactly one of handler and async_handler");
  sb_command_export both{"c", "Both", reply_ok, async_ok, nullptr, 0, nullptr};
  EXPECT_EQ(spec_error(both), "command 'c': needs exactly one of handler and async_handler");
  const sb_arg_export bad_default[] = {{"n", SB_ARG_INT, 1, "abc", "x"},
                                       {nullptr, 0, 0, nullptr, nullptr}};
  EXPECT_EQ(spec_error(command("c", reply_ok, bad_default)),
            "command 'c': default 'abc' of argument 'n': expected an integer, got 'abc'");
  const sb_arg_export required_default[] = {{"n", SB_ARG_INT, 0, "1", "x"},
                                            {nullptr, 0, 0, nullptr, nullptr}};
  EXPECT_EQ(spec_error(command("c", reply_ok, required_default)),
            "command 'c': required argument 'n' has a default");
  // …and the Registry's own rules still apply
  const sb_arg_export no_help[] = {{"n", SB_ARG_INT, 0, nullptr, nullptr},
                                   {nullptr, 0, 0, nullptr, nullptr}};
  EXPECT_EQ(spec_error(command("c", reply_ok, no_help)), "command 'c': param 'n' has no help text");
  sb_command_export no_summary{"c", nullptr, reply_ok, nullptr, nullptr, 0, nullptr};
  EXPECT_EQ(spec_error(no_summary), "command 'c' has an empty summary");
}

// Handlers exercising the argument accessors and the reply checks.
int arg_report(const sb_args* a, sb_reply* r) {
  std::int64_t i = 0;
  double d = 0;
  int b = 0;
  sb_node* o = sb_reply_object(r);
  sb_add_bool(o, "given_s", sb_arg_given(a, "s"));
  sb_add_bool(o, "given_nosuch", sb_arg_given(a, "nosuch"));
  sb_add_int(o, "int_of_string", sb_arg_int(a, "s", &i));
  sb_add_int(o, "int_absent", sb_arg_int(a, "nosuch", &i));
  sb_add_int(o, "bool_of_int", sb_arg_bool(a, "i", &b));
  sb_add_int(o, "double_of_int", sb_arg_double(a, "i", &d));
  sb_add_double(o, "double", d);
  sb_add_bool(o, "string_of_int_is_null", sb_arg_string(a, "i") == nullptr);
  sb_add_int(o, "array_size_of_scalar", static_cast<std::int64_t>(sb_arg_array_size(a, "s")));
  sb_add_bool(o, "item_past_end_is_null", sb_arg_array_item(a, "s", 0) == nullptr);
  return SB_OK;
}
int not_finite(const sb_args*, sb_reply* r) {
  return sb_add_double(sb_reply_array(r), nullptr, std::numeric_limits<double>::infinity());
}
int too_deep(const sb_args*, sb_reply* r) {
  sb_node* n = sb_reply_array(r);
  for (int i = 0; i < 40; ++i) n = sb_add_array(n, nullptr);  // NULL once refused: no crash
  return SB_OK;
}
int null_string(const sb_args*, sb_reply* r) {
  return sb_add_string(sb_reply_object(r), "k", nullptr);
}
int bad_key(const sb_args*, sb_reply* r) { return sb_add_int(sb_reply_object(r), "\xc0\xaf", 1); }
int null_handles(const sb_args*, sb_reply* r) {
  // every function tolerates NULL handles (a module ignoring a failed sb_add_object)
  if (sb_add_int(nullptr, "k", 1) != SB_EINVAL || sb_add_object(nullptr, "k") != nullptr ||
      sb_reply_int(nullptr, 1) != SB_EINVAL || sb_arg_string(nullptr, "x") != nullptr ||
      sb_async_reply(nullptr) != nullptr)
    return sb_reply_error(r, 599, "NULL handle accepted");
  return sb_reply_string(r, "tolerated");
}

class ModuleBridge : public ::testing::Test, public sb::test::MiHarness {
 protected:
  void add(sb_command_export c) { registry_.add(module_command_spec("m", c, schema::any())); }
};

TEST_F(ModuleBridge, ArgumentAccessorsReportAbsenceAndType) {
  const sb_arg_export args[] = {{"s", SB_ARG_STRING, 0, nullptr, "s"},
                                {"i", SB_ARG_INT, 0, nullptr, "i"},
                                {nullptr, 0, 0, nullptr, nullptr}};
  add(command("args", arg_report, args));
  Result r = call("args", Value::array({"text", "5"}));
  ASSERT_TRUE(r.ok()) << r.error().reason;
  EXPECT_EQ(r.value(), Value::parse(R"({"given_s":true,"given_nosuch":false,"int_of_string":-3,
      "int_absent":-2,"bool_of_int":-3,"double_of_int":0,"double":5.0,
      "string_of_int_is_null":true,"array_size_of_scalar":0,"item_past_end_is_null":true})"));
}

TEST_F(ModuleBridge, InvalidTreesAnswer500) {
  add(command("not_finite", not_finite));
  add(command("too_deep", too_deep));
  add(command("null_string", null_string));
  add(command("bad_key", bad_key));
  const std::pair<const char*, const char*> cases[] = {
      {"not_finite", "sb_add_double: the number is not finite"},
      {"too_deep", "sb_add_array: the reply is nested deeper than 32 levels"},
      {"null_string", "sb_add_string: the string is NULL"},
      {"bad_key", "sb_add_int: the key is not valid UTF-8"},
  };
  for (const auto& [cmd, why] : cases) {
    Result r = call(cmd);
    ASSERT_FALSE(r.ok()) << cmd;
    EXPECT_EQ(r.error().code, 500) << cmd;
    EXPECT_EQ(r.error().reason, fmt::format("module 'm' command '{}': {}", cmd, why));
  }
}

TEST_F(ModuleBridge, NullHandlesAreRefusedNotDereferenced) {
  add(command("null_handles", null_handles));
  Result r = call("null_handles");
  ASSERT_TRUE(r.ok()) << r.error().reason;
  EXPECT_EQ(r.value(), "tolerated");
}

TEST_F(ModuleBridge, FlagsAreEnforcedByTheDispatcher) {
  add(command("mutating", reply_ok));
  add(command("dangerous", reply_ok, nullptr, SB_CMD_ADMIN));
  EXPECT_EQ(call("mutating", nullptr, Role::read_only).error().code, 403);
  EXPECT_TRUE(call("mutating", nullptr, Role::operator_).ok());
  EXPECT_EQ(call("dangerous", nullptr, Role::operator_).error().code, 403);
  EXPECT_TRUE(call("m:dangerous").ok());
}

}  // namespace
}  // namespace sb::mi
