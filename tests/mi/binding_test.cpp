// binding_test.cpp: positional/named binding of request params to a CommandSpec, defaults, the
// arity / bad-param / invalid-request errors of spec/wire.md §2, and type coercion.
#include "mi/binding.h"
#include "mi/reply_schema.h"

#include <gtest/gtest.h>

#include <string>

namespace sb::mi {
namespace {

CommandSpec make_spec(std::vector<ParamSpec> params, std::string name = "cmd") {
  CommandSpec s;
  s.name = std::move(name);
  s.module = "test";
  s.summary = "Test command.";
  s.reply = schema::any();
  s.params = std::move(params);
  s.handler = [](const Args&) -> Result { return ok_value(); };
  return s;
}

std::vector<Value> bound(const CommandSpec& spec, const Value& params) {
  auto r = bind_params(spec, params);
  if (auto* e = std::get_if<Error>(&r)) {
    ADD_FAILURE() << "unexpected error: " << text_status_line(*e) << " / " << e->detail;
    return {};
  }
  return std::get<std::vector<Value>>(r);
}

Error failed(const CommandSpec& spec, const Value& params) {
  auto r = bind_params(spec, params);
  if (auto* e = std::get_if<Error>(&r)) return *e;
  ADD_FAILURE() << "binding succeeded unexpectedly for " << params.dump();
  return Error{};
}

void expect_arity(const Error& e) {
  EXPECT_EQ(e.kind, ErrorKind::arity);
  EXPECT_EQ(e.code, 400);
  EXPECT_EQ(e.reason, "Too few or too many arguments");
  EXPECT_FALSE(e.detail.empty()) << "arity errors say which param in the detail";
}

// ul_show_contact-like: two required strings.
CommandSpec two_strings() {
  return make_spec({param("table_name", ParamType::string_, "table"),
                    param("aor", ParamType::string_, "aor")},
                   "ul_show_contact");
}

TEST(Binding, PositionalBindsInOrder) {
  auto spec = two_strings();
  auto v = bound(spec, Value::array({"location", "alice@example.com"}));
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0], "location");
  EXPECT_EQ(v[1], "alice@example.com");
}

TEST(Binding, NamedBindsByNameInAnyOrder) {
  auto spec = two_strings();
  auto v = bound(spec, Value{{"aor", "bob@example.com"}, {"table_name", "location"}});
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0], "location");
  EXPECT_EQ(v[1], "bob@example.com");
}

TEST(Binding, NoParamsForACommandWithoutParams) {
  auto spec = make_spec({});
  EXPECT_TRUE(bound(spec, Value()).empty());
  EXPECT_TRUE(bound(spec, Value::array()).empty());
  EXPECT_TRUE(bound(spec, Value::object()).empty());
  expect_arity(failed(spec, Value::array({"extra"})));
}

TEST(Binding, DefaultsForOptionalParams) {
  auto spec = make_spec({param("a", ParamType::string_, "a"),
                         optional_param("n", ParamType::int_, "n", 10),
                         optional_param("flag", ParamType::bool_, "flag", true),
                         optional_param("maybe", ParamType::string_, "no default")});
  auto v = bound(spec, Value::array({"x"}));
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0], "x");
  EXPECT_EQ(v[1], 10);
  EXPECT_EQ(v[2], true);
  EXPECT_TRUE(v[3].is_null());  // absent, no default

  // A given value overrides the default (and is coerced).
  v = bound(spec, Value::array({"x", "3", "no", "given"}));
  EXPECT_EQ(v[1], 3);
  EXPECT_EQ(v[2], false);
  EXPECT_EQ(v[3], "given");

  // Named: skip an optional in the middle.
  v = bound(spec, Value{{"a", "y"}, {"flag", "off"}});
  EXPECT_EQ(v[0], "y");
  EXPECT_EQ(v[1], 10);
  EXPECT_EQ(v[2], false);
  EXPECT_TRUE(v[3].is_null());
}

TEST(Binding, ArgsAccessors) {
  auto spec = make_spec({param("s", ParamType::string_, "s"), param("n", ParamType::int_, "n"),
                         param("b", ParamType::bool_, "b"), param("d", ParamType::double_, "d"),
                         optional_param("opt", ParamType::string_, "opt"),
                         optional_param("list", ParamType::array_, "list")});
  Args args(&spec, bound(spec, Value::array({"str", "42", "yes", "2.5"})), Caller{"test", "", Role::admin});
  EXPECT_EQ(args.str("s"), "str");
  EXPECT_EQ(args.integer("n"), 42);
  EXPECT_TRUE(args.boolean("b"));
  EXPECT_DOUBLE_EQ(args.number("d"), 2.5);
  EXPECT_TRUE(args.has("s"));
  EXPECT_FALSE(args.has("opt"));
  EXPECT_EQ(args.str("opt"), "");
  EXPECT_TRUE(args.array("list").is_array());
  EXPECT_TRUE(args.array("list").empty());
  EXPECT_TRUE(args.get("nosuch").is_null());
  EXPECT_EQ(args.caller().transport, "test");
}

TEST(Binding, MissingRequiredIsArity) {
  auto spec = two_strings();
  Error e = failed(spec, Value::array({"location"}));
  expect_arity(e);
  EXPECT_NE(e.detail.find("aor"), std::string::npos) << e.detail;
  expect_arity(failed(spec, Value()));
  expect_arity(failed(spec, Value::array()));
  e = failed(spec, Value{{"aor", "a@b"}});
  expect_arity(e);
  EXPECT_NE(e.detail.find("table_name"), std::string::npos) << e.detail;
  // The JSON-RPC and text spellings of that error (wire.md §2 row 2).
  EXPECT_EQ(text_status_line(e), "400 Too few or too many arguments");
  EXPECT_EQ(jsonrpc_error(e).code, -32602);
}

TEST(Binding, TooManyPositionalIsArity) {
  auto spec = two_strings();
  Error e = failed(spec, Value::array({"location", "a@b", "extra"}));
  expect_arity(e);
  EXPECT_NE(e.detail.find("3"), std::string::npos) << e.detail;
}

TEST(Binding, UnknownNamedIsArity) {
  auto spec = two_strings();
  Error e = failed(spec, Value{{"table_name", "location"}, {"aor", "a@b"}, {"bogus", "1"}});
  expect_arity(e);
  EXPECT_NE(e.detail.find("bogus"), std::string::npos) << e.detail;
}

TEST(Binding, NeitherArrayNorObjectIsInvalidRequest) {
  auto spec = two_strings();
  for (const Value& p : {Value("location"), Value(5), Value(true), Value(2.5)}) {
    Error e = failed(spec, p);
    EXPECT_EQ(e.kind, ErrorKind::invalid_request) << p.dump();
    EXPECT_EQ(jsonrpc_error(e).code, -32600);
  }
}

// ---- coercion ----

ParamSpec int_param() { return param("n", ParamType::int_, "a number"); }

Value coerced(const ParamSpec& p, const Value& v) {
  auto r = coerce(p, v);
  if (auto* why = std::get_if<std::string>(&r)) {
    ADD_FAILURE() << "coercion of " << v.dump() << " failed: " << *why;
    return {};
  }
  return std::get<Value>(r);
}

std::string refused(const ParamSpec& p, const Value& v) {
  auto r = coerce(p, v);
  if (auto* why = std::get_if<std::string>(&r)) return *why;
  ADD_FAILURE() << "coercion of " << v.dump() << " succeeded: " << std::get<Value>(r).dump();
  return {};
}

TEST(Coercion, IntFromStrings) {
  auto p = int_param();
  Value v = coerced(p, "5");
  EXPECT_TRUE(v.is_number_integer());
  EXPECT_EQ(v, 5);
  EXPECT_EQ(coerced(p, " 7 "), 7);
  EXPECT_EQ(coerced(p, "-12"), -12);
  EXPECT_EQ(coerced(p, 9), 9);
  EXPECT_EQ(refused(p, "5x"), "expected an integer, got '5x'");
  EXPECT_FALSE(refused(p, "").empty());
  EXPECT_FALSE(refused(p, "2.5").empty());
  EXPECT_FALSE(refused(p, "99999999999999999999999").empty());  // out of range
  EXPECT_FALSE(refused(p, Value::array({1})).empty());
  EXPECT_FALSE(refused(p, Value::object()).empty());
}

TEST(Coercion, IntFromWholeDouble) {
  auto p = int_param();
  Value v = coerced(p, 5.0);
  EXPECT_TRUE(v.is_number_integer());
  EXPECT_EQ(v.get<std::int64_t>(), 5);
  EXPECT_FALSE(refused(p, 5.5).empty());
}

TEST(Coercion, BadIntegerParamError) {
  auto spec = make_spec({int_param()});
  Error e = failed(spec, Value::array({"5x"}));
  EXPECT_EQ(e.kind, ErrorKind::bad_param);
  EXPECT_EQ(e.code, 400);
  EXPECT_EQ(e.reason, "Bad parameter 'n': expected an integer, got '5x'");
  EXPECT_EQ(text_status_line(e), "400 Bad parameter 'n': expected an integer, got '5x'");
  EXPECT_EQ(jsonrpc_error(e).code, -32602);
  EXPECT_EQ(jsonrpc_error(e).data, "Bad parameter 'n': expected an integer, got '5x'");
  // Named binding coerces the same way.
  e = failed(spec, Value{{"n", "5x"}});
  EXPECT_EQ(e.reason, "Bad parameter 'n': expected an integer, got '5x'");
  EXPECT_EQ(bound(spec, Value{{"n", " 7 "}})[0], 7);
}

TEST(Coercion, Bool) {
  auto p = param("b", ParamType::bool_, "a flag");
  for (const char* t : {"true", "1", "yes", "on", "TRUE", "Yes", " on "}) {
    Value v = coerced(p, t);
    EXPECT_TRUE(v.is_boolean()) << t;
    EXPECT_EQ(v, true) << t;
  }
  for (const char* f : {"false", "0", "no", "off", "False", "NO"}) {
    Value v = coerced(p, f);
    EXPECT_TRUE(v.is_boolean()) << f;
    EXPECT_EQ(v, false) << f;
  }
  EXPECT_EQ(coerced(p, true), true);
  EXPECT_EQ(coerced(p, 0), false);
  EXPECT_EQ(coerced(p, 1), true);
  EXPECT_FALSE(refused(p, 2).empty());
  EXPECT_NE(refused(p, "maybe").find("'maybe'"), std::string::npos);
  EXPECT_FALSE(refused(p, "").empty());

  auto spec = make_spec({p});
  Error e = failed(spec, Value::array({"maybe"}));
  EXPECT_EQ(e.kind, ErrorKind::bad_param);
  EXPECT_EQ(e.code, 400);
  EXPECT_EQ(e.reason.rfind("Bad parameter 'b': ", 0), 0u) << e.reason;
}

TEST(Coercion, NumberToStringParamBecomesItsText) {
  auto p = param("s", ParamType::string_, "text");
  EXPECT_EQ(coerced(p, 5), "5");
  EXPECT_EQ(coerced(p, -42), "-42");
  EXPECT_EQ(coerced(p, 2.5), "2.5");
  EXPECT_EQ(coerced(p, "as is"), "as is");
  EXPECT_EQ(coerced(p, " kept "), " kept ");  // strings are not trimmed for string params
  EXPECT_FALSE(refused(p, Value::object()).empty());
  EXPECT_FALSE(refused(p, Value::array({"a"})).empty());
  auto spec = make_spec({p});
  EXPECT_EQ(bound(spec, Value::array({1234}))[0], "1234");
}

TEST(Coercion, Double) {
  auto p = param("d", ParamType::double_, "a number");
  Value v = coerced(p, "2.5");
  EXPECT_TRUE(v.is_number_float());
  EXPECT_DOUBLE_EQ(v.get<double>(), 2.5);
  EXPECT_DOUBLE_EQ(coerced(p, " -0.25 ").get<double>(), -0.25);
  EXPECT_DOUBLE_EQ(coerced(p, 3).get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(coerced(p, "1e3").get<double>(), 1000.0);
  EXPECT_NE(refused(p, "2.5x").find("'2.5x'"), std::string::npos);
  EXPECT_FALSE(refused(p, "").empty());
  EXPECT_FALSE(refused(p, "nan").empty());
  EXPECT_FALSE(refused(p, "inf").empty());
  EXPECT_FALSE(refused(p, true).empty());
}

TEST(Coercion, NullIsRefused) {
  EXPECT_FALSE(refused(int_param(), Value()).empty());
}

// ---- array params ----

CommandSpec stats_spec() {
  return make_spec({param("statistics", ParamType::array_, "statistics to show")},
                   "get_statistics");
}

TEST(ArrayParam, FoldsRemainingPositionalValues) {
  auto spec = stats_spec();
  auto v = bound(spec, Value::array({"dialog:", "tm:", "core:rcv_requests"}));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], Value::array({"dialog:", "tm:", "core:rcv_requests"}));

  // After leading scalar params.
  auto spec2 = make_spec({param("event", ParamType::string_, "event"),
                          param("items", ParamType::array_, "items")});
  v = bound(spec2, Value::array({"E_UL", "a", "b"}));
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0], "E_UL");
  EXPECT_EQ(v[1], Value::array({"a", "b"}));
  // A single remaining value is folded into a one-element array.
  v = bound(spec2, Value::array({"E_UL", "a"}));
  EXPECT_EQ(v[1], Value::array({"a"}));
}

TEST(ArrayParam, SingleJsonArrayInItsPositionIsUsedAsIs) {
  auto spec = stats_spec();
  auto v = bound(spec, Value::array({Value::array({"dialog:", "tm:"})}));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], Value::array({"dialog:", "tm:"}));
}

TEST(ArrayParam, NamedStringBecomesOneElementArray) {
  auto spec = stats_spec();
  auto v = bound(spec, Value{{"statistics", "all"}});
  EXPECT_EQ(v[0], Value::array({"all"}));
  v = bound(spec, Value{{"statistics", Value::array({"a", "b"})}});
  EXPECT_EQ(v[0], Value::array({"a", "b"}));
  Error e = failed(spec, Value{{"statistics", Value::object()}});
  EXPECT_EQ(e.kind, ErrorKind::bad_param);
}

TEST(ArrayParam, EmptyRequiredArrayIsBadParam) {
  auto spec = stats_spec();
  Error e = failed(spec, Value{{"statistics", Value::array()}});
  EXPECT_EQ(e.kind, ErrorKind::bad_param);
  EXPECT_EQ(e.code, 400);
  EXPECT_EQ(e.reason.rfind("Bad parameter 'statistics': ", 0), 0u) << e.reason;
  e = failed(spec, Value::array({Value::array()}));
  EXPECT_EQ(e.kind, ErrorKind::bad_param);
  // No value at all is a missing param (arity), not a bad one.
  expect_arity(failed(spec, Value()));
  // An optional array may be empty.
  auto opt = make_spec({optional_param("statistics", ParamType::array_, "stats")});
  EXPECT_EQ(bound(opt, Value{{"statistics", Value::array()}})[0], Value::array());
  EXPECT_TRUE(bound(opt, Value())[0].is_null());
}

}  // namespace
}  // namespace sb::mi
