// conformance_test.cpp: the cross-transport conformance matrix. One table of calls runs through
// every channel of the real daemon; each answer must spell the expected outcome exactly as the
// single error mapping table (mi/error.h, spec/wire.md §2) says for that channel's family, and
// successful results must decode to the same value everywhere (the text dialect must render it
// byte for byte as mi::render_text_body does).
#include <variant>

#include <gtest/gtest.h>

#include "conformance/channels.h"
#include "mi/error.h"
#include "mi/render/text.h"

namespace sb::conformance {
namespace {

struct Row {
  std::string name;
  Call call;
  std::variant<std::monostate, Json, mi::Error> expect;  ///< monostate: "all channels agree"
};

std::string unicode_and_controls() { return "h\xc3\xa9llo \xe2\x98\x83\tcaf\xc3\xa9 \"q\" <x>&y \x7f end"; }

std::vector<Row> table() {
  return {
      {"success, scalar", {"print", {"hello world"}}, Json("hello world")},
      {"success, nested arrays", {"which", {"log_level"}},
       Json::parse(R"([[],["level"],["level","pid"]])")},
      {"success, object with an array of objects", {"help", {"print"}}, std::monostate{}},
      {"success, OK", {"reset_statistics", {"mi:print_calls"}}, Json("OK")},
      {"unknown command", {"nosuch", {}}, mi::Error::unknown_command("nosuch")},
      {"module-qualified name", {"core:print", {"q"}}, Json("q")},
      {"too many params", {"print", {"a", "b"}}, mi::Error::arity("")},
      {"missing param", {"print", {}}, mi::Error::arity("")},
      {"bad type", {"log_level", {"info", "abc"}},
       mi::Error::bad_param("pid", "expected an integer, got 'abc'")},
      {"handler error", {"help", {"nosuch"}}, mi::Error::failure(404, "unknown MI command")},
      {"large reply", {"print", {std::string(20000, 'L')}}, Json(std::string(20000, 'L'))},
      {"unicode and control characters", {"print", {unicode_and_controls()}},
       Json(unicode_and_controls())},
      // Commands of loadable modules (mi/module_abi.h): served unchanged by every transport.
      {"engine command, handler error", {"ul_show_contact", {"location", "nobody@example.com"}},
       mi::Error::failure(404, "AOR not found")},
      {"engine command, bad AOR", {"ul_show_contact", {"location", "nodomain"}},
       mi::Error::failure(400, "Domain missing in AOR")},
      {"engine command, success", {"ul_dump", {"1"}},
       Json{{"Domains", Json::array({Json{{"name", "location"}, {"hash_size", 1}, {"AORs", Json::array()}}})}}},
      {"module command, sync", {"hello", {"Bob"}}, Json("Hi, Bob!")},
      {"module command, qualified name", {"example:hello", {}}, Json("Hi, world!")},
      {"module command, async from a module thread", {"hello_async", {"20", "Ann"}},
       Json{{"message", "Hi, Ann!"}, {"delay_ms", 20}}},
      {"module handler error", {"hello_async", {"99999"}},
       mi::Error::failure(400, "delay_ms must be 0..5000")},
      {"module handler throws", {"throws", {}},
       mi::Error::failure(500, "module 'faulty' command 'throws': handler threw an exception "
                               "(see the server log)")},
      {"module reply not UTF-8", {"bad_utf8", {}},
       mi::Error::failure(500, "module 'faulty' command 'bad_utf8': sb_reply_string: the string "
                               "is not valid UTF-8")},
  };
}

// Order-insensitive comparison of objects (XML-RPC structs need not keep member order).
bool same_value(const Json& a, const Json& b) {
  return nlohmann::json::parse(a.dump()) == nlohmann::json::parse(b.dump());
}

void check_error(const Channel& ch, const Outcome& o, const mi::Error& e) {
  SCOPED_TRACE(ch.name);
  ASSERT_FALSE(o.ok) << "expected an error, got a result";
  switch (ch.family) {
    case Family::text:
      EXPECT_EQ(o.status_line, mi::text_status_line(e));
      break;
    case Family::jsonrpc: {
      mi::JsonRpcError je = mi::jsonrpc_error(e);
      EXPECT_EQ(o.code, je.code);
      EXPECT_EQ(o.message, je.message);
      break;
    }
    case Family::xmlrpc:
      EXPECT_EQ(o.code, mi::xmlrpc_fault_code(e));
      break;
    case Family::mi_json:
      // mi_json (OpenSIPS 2) answers with the MI status itself: {"error":{"code":500,...}}.
      EXPECT_EQ(o.code, e.code);
      EXPECT_EQ(o.message, e.reason);
      break;
  }
}

void check_value(const Channel& ch, const Outcome& o, const Json& expected) {
  SCOPED_TRACE(ch.name);
  ASSERT_TRUE(o.ok) << "expected a result, got " << o.code << " " << o.message;
  if (ch.family == Family::text)
    EXPECT_EQ(o.text_body, mi::render_text_body(expected));
  else
    EXPECT_TRUE(same_value(o.value, expected)) << "got " << o.value.dump() << "\nexpected "
                                               << expected.dump();
}

class Conformance : public ::testing::TestWithParam<std::size_t> {
 protected:
  static void SetUpTestSuite() {
    daemon_ = new test::TestDaemon({"modules.path=" SB_MODULE_DIR ":" SB_TEST_MODULE_DIR,
                                    "modules.load=example.so, faulty.so",
                                    "module.example.greeting=Hi"});
  }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }
  static test::TestDaemon* daemon_;
};
test::TestDaemon* Conformance::daemon_ = nullptr;

TEST_P(Conformance, EveryChannelAgreesWithTheMappingTable) {
  const Row row = table()[GetParam()];
  SCOPED_TRACE(row.name);
  auto channels = all_channels(*daemon_);
  std::vector<Outcome> outcomes;
  for (const auto& ch : channels) {
    outcomes.push_back(ch.send(row.call));
    ASSERT_TRUE(outcomes.back().transport_ok) << ch.name << ": " << outcomes.back().transport_error;
  }
  if (auto* e = std::get_if<mi::Error>(&row.expect)) {
    for (std::size_t i = 0; i < channels.size(); ++i) check_error(channels[i], outcomes[i], *e);
    return;
  }
  // The reference is the explicit value, or HTTP JSON-RPC's result (every channel must agree).
  Json reference;
  if (auto* v = std::get_if<Json>(&row.expect)) {
    reference = *v;
  } else {
    for (std::size_t i = 0; i < channels.size(); ++i)
      if (channels[i].name == "http jsonrpc") reference = outcomes[i].value;
    ASSERT_FALSE(reference.is_null());
  }
  for (std::size_t i = 0; i < channels.size(); ++i) check_value(channels[i], outcomes[i], reference);
}

INSTANTIATE_TEST_SUITE_P(Table, Conformance, ::testing::Range<std::size_t>(0, table().size()),
                         [](const ::testing::TestParamInfo<std::size_t>& info) {
                           std::string n = table()[info.param].name;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
}  // namespace sb::conformance
