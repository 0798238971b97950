// reply_schema_test.cpp: what a command declares beyond its name (issue #12 §3) — typed params
// (uint, ranges, enums, objects, secrets) checked by the binding, the reply schema the registry
// requires, and the dispatcher answering a reply that breaks its schema with 500.
#include "mi/reply_schema.h"

#include <gtest/gtest.h>

#include "mi/binding.h"
#include "mi/codec/limits.h"
#include "mi/dispatcher.h"
#include "mi/registry.h"
#include "mi/reply_validator.h"
#include "support/mi_harness.h"

namespace sb::mi {
namespace {

CommandSpec spec_with(std::vector<ParamSpec> params, Value reply = schema::ok()) {
  CommandSpec s;
  s.name = "typed";
  s.module = "test";
  s.summary = "Take typed params.";
  s.params = std::move(params);
  s.reply = std::move(reply);
  s.handler = [](const Args& a) -> Result {
    Value out = Value::object();
    for (std::size_t i = 0; i < a.values().size(); ++i) out[std::to_string(i)] = a.values()[i];
    return out;
  };
  return s;
}

std::string bind_error(const CommandSpec& s, const Value& params) {
  auto r = bind_params(s, params);
  if (auto* e = std::get_if<Error>(&r)) return e->reason;
  return {};
}

TEST(TypedParams, UintRefusesNegativesAndCoercesText) {
  auto s = spec_with({param("n", ParamType::uint_, "a count")});
  EXPECT_EQ(bind_error(s, Value::array({"-1"})), "Bad parameter 'n': expected an integer >= 0");
  auto ok = bind_params(s, Value::array({"42"}));
  ASSERT_TRUE(std::holds_alternative<std::vector<Value>>(ok));
  EXPECT_EQ(std::get<std::vector<Value>>(ok)[0], 42);
}

TEST(TypedParams, RangesAreCheckedByTheBindingWithOneMessage) {
  auto s = spec_with({param("port", ParamType::int_, "a port").range(1, 9999)});
  EXPECT_EQ(bind_error(s, Value::array({0})), "Bad parameter 'port': must be 1..9999");
  EXPECT_EQ(bind_error(s, Value::array({"10000"})), "Bad parameter 'port': must be 1..9999");
  EXPECT_EQ(bind_error(s, Value::array({"9999"})), "");
  auto low = spec_with({param("id", ParamType::int_, "an id").at_least(1)});
  EXPECT_EQ(bind_error(low, Value::array({0})), "Bad parameter 'id': must be >= 1");
}

TEST(TypedParams, ChoicesAreAnEnum) {
  auto s = spec_with({param("hunt", ParamType::string_, "how").one_of({"linear", "roundrobin"})});
  EXPECT_EQ(bind_error(s, Value::array({"random"})),
            "Bad parameter 'hunt': must be one of: linear, roundrobin");
  EXPECT_EQ(bind_error(s, Value::array({"roundrobin"})), "");
}

TEST(TypedParams, ObjectsComeAsObjectsOrAsJsonTextFromTheTextDialects) {
  auto s = spec_with({param("options", ParamType::object_, "options")});
  auto as_object = bind_params(s, Value{{"options", {{"timeout_s", 5}}}});
  ASSERT_TRUE(std::holds_alternative<std::vector<Value>>(as_object));
  EXPECT_EQ(std::get<std::vector<Value>>(as_object)[0], (Value{{"timeout_s", 5}}));
  auto as_text = bind_params(s, Value::array({R"({"timeout_s":5})"}));
  ASSERT_TRUE(std::holds_alternative<std::vector<Value>>(as_text));
  EXPECT_EQ(std::get<std::vector<Value>>(as_text)[0], (Value{{"timeout_s", 5}}));
  auto blank = bind_params(s, Value::array({""}));
  ASSERT_TRUE(std::holds_alternative<std::vector<Value>>(blank));
  EXPECT_EQ(std::get<std::vector<Value>>(blank)[0], Value::object());
  EXPECT_EQ(bind_error(s, Value::array({"[1,2]"})), "Bad parameter 'options': expected a JSON object");
  EXPECT_EQ(bind_error(s, Value::array({"{oops"})),
            "Bad parameter 'options': expected a JSON object, got text that is not JSON");
  EXPECT_EQ(bind_error(s, Value::array({Value::array({1})})),
            "Bad parameter 'options': expected a JSON object");
}

TEST(TypedParams, ObjectTextIsDepthLimitedBeforeItIsParsed) {
  auto s = spec_with({param("options", ParamType::object_, "options")});
  std::string deep = "{\"a\":" + std::string(5000, '[') + std::string(5000, ']') + "}";
  std::string why = bind_error(s, Value::array({deep}));
  EXPECT_NE(why.find("core.max_nesting"), std::string::npos) << why;
}

TEST(TypedParams, ASecretIsNeverEchoedInAnError) {
  auto s = spec_with({param("pin", ParamType::int_, "a PIN").secret()});
  std::string why = bind_error(s, Value::array({"hunter2"}));
  EXPECT_EQ(why.find("hunter2"), std::string::npos) << why;
  EXPECT_EQ(why, "Bad parameter 'pin': not a valid int");
}

TEST(TypedParams, TheRegistryRefusesConstraintsThatDoNotFitTheType) {
  Registry r;
  EXPECT_THROW(r.add(spec_with({param("s", ParamType::string_, "text").range(1, 2)})), RegistryError);
  EXPECT_THROW(r.add(spec_with({param("n", ParamType::int_, "num").one_of({"a"})})), RegistryError);
  EXPECT_THROW(r.add(spec_with({optional_param("n", ParamType::int_, "num", 0).range(1, 5)})),
               RegistryError);  // the default itself is out of range
}

TEST(ReplySchemas, TheRegistryRefusesACommandWithoutOne) {
  Registry r;
  CommandSpec s = spec_with({});
  s.reply = nullptr;
  try {
    r.add(s);
    FAIL() << "a command without a reply schema was accepted";
  } catch (const RegistryError& e) {
    EXPECT_EQ(std::string(e.what()),
              "command 'typed' declares no reply schema (.reply, mi/reply_schema.h)");
  }
}

TEST(ReplySchemas, TheRegistryRefusesWhatIsNotASchema) {
  Registry r;
  EXPECT_THROW(r.add(spec_with({}, Value{{"type", "strnig"}})), RegistryError);
  EXPECT_THROW(r.add(spec_with({}, Value{{"typo", "string"}})), RegistryError);
  EXPECT_THROW(r.add(spec_with({}, schema::opt(schema::str()))), RegistryError);  // opt() outside an object
  EXPECT_THROW(r.add(spec_with({}, Value("string"))), RegistryError);
}

TEST(ReplySchemas, BuildersMakeStrictObjects) {
  Value s = schema::object({{"a", schema::str()}, {"b", schema::opt(schema::uint())}});
  EXPECT_EQ(s["required"], Value::array({"a"}));
  EXPECT_EQ(s["additionalProperties"], false);
  EXPECT_FALSE(s["properties"]["b"].contains("x-optional"));
  EXPECT_EQ(schema::check(s), "");
  ReplyValidator v(s);
  EXPECT_EQ(v.validate(Value{{"a", "x"}}), "");
  EXPECT_EQ(v.validate(Value{{"a", "x"}, {"b", 3}}), "");
  EXPECT_NE(v.validate(Value{{"a", "x"}, {"b", -3}}), "");  // uint
  EXPECT_NE(v.validate(Value{{"b", 3}}), "");               // a is required
  EXPECT_NE(v.validate(Value{{"a", "x"}, {"c", 1}}), "");   // no extra keys
  EXPECT_NE(v.validate(Value{{"a", 1}}), "");               // wrong type
}

TEST(ReplySchemas, AMismatchSaysWhere) {
  ReplyValidator v(schema::object({{"Calls", schema::array_of(schema::object({{"id", schema::uint()}}))}}));
  std::string why = v.validate(Value{{"Calls", Value::array({Value{{"id", "seven"}}})}});
  EXPECT_NE(why.find("Calls"), std::string::npos) << why;
  EXPECT_NE(why.find("id"), std::string::npos) << why;
}

TEST(ReplySchemas, XmlRpcTypesComeFromTheSchema) {
  EXPECT_EQ(schema::xmlrpc_type(schema::ok()), "string");
  EXPECT_EQ(schema::xmlrpc_type(schema::map_of(schema::integer())), "struct");
  EXPECT_EQ(schema::xmlrpc_type(schema::array_of(schema::str())), "array");
  EXPECT_EQ(schema::xmlrpc_type(schema::uint()), "int");
  EXPECT_EQ(schema::xmlrpc_type(schema::nullable(schema::number())), "double");
  EXPECT_EQ(schema::xmlrpc_type(schema::any_of({schema::str(), schema::object({})})), "string");
}

class ValidatedDispatch : public ::testing::Test, public test::MiHarness {};

TEST_F(ValidatedDispatch, AReplyThatBreaksItsSchemaIsA500NamingThePath) {
  CommandSpec s = spec_with({}, schema::object({{"count", schema::uint()}}));
  s.name = "liar";
  s.handler = [](const Args&) -> Result { return Value{{"count", "many"}}; };
  registry_.add(s);
  Result r = call("liar");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 500);
  EXPECT_EQ(r.error().reason, "Reply does not match its schema");
  EXPECT_NE(r.error().detail.find("count"), std::string::npos) << r.error().detail;
}

TEST_F(ValidatedDispatch, ErrorsAreNotValidatedAndMatchingRepliesPass) {
  CommandSpec s = spec_with({param("fail", ParamType::bool_, "fail?")},
                            schema::object({{"0", schema::boolean()}}));
  s.handler = [](const Args& a) -> Result {
    if (a.boolean("fail")) return Error::failure(404, "Not here");
    return Value{{"0", false}};
  };
  registry_.add(s);
  EXPECT_TRUE(call("typed", Value::array({false})).ok());
  Result r = call("typed", Value::array({true}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 404);
}

TEST(UnvalidatedDispatch, WithoutTheOptionTheReplyGoesOutAsIs) {
  Registry registry;
  Statistics stats;
  Dispatcher d(registry, stats);
  CommandSpec s = spec_with({}, schema::object({{"count", schema::uint()}}));
  s.handler = [](const Args&) -> Result { return Value{{"count", "many"}}; };
  registry.add(s);
  Result r = d.call_sync(Request{"typed", nullptr, {"test", "t", Role::admin}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value()["count"], "many");
}

}  // namespace
}  // namespace sb::mi
