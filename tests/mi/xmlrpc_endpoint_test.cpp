// xmlrpc_endpoint_test.cpp: transports/http/xmlrpc_endpoint (handle_xmlrpc) in-process, with
// the real Registry, Dispatcher and core commands: plain calls, system.listMethods /
// methodHelp / methodSignature, system.multicall (success, unknown method, arity error, nested
// multicall), faults, and that `done` runs exactly once.
#include "transports/http/xmlrpc_endpoint.h"
#include "mi/reply_schema.h"

#include <xmlrpc-c/base.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <algorithm>
#include <future>
#include <thread>
#include <stdexcept>

#include <gtest/gtest.h>

#include "gateway/core/core_commands.h"
#include "mi/codec/xmlrpc.h"
#include "support/xmlrpc_response.h"

namespace sb::transports {
namespace {

using mi::Value;

Value parse_response(const std::string& xml) { return test::parse_xmlrpc_response(xml); }

Value ok(Value v) { return Value{{"ok", std::move(v)}}; }

std::string call_xml(std::string_view method, std::string_view params_inner = "") {
  return "<?xml version=\"1.0\"?><methodCall><methodName>" + std::string(method) +
         "</methodName><params>" + std::string(params_inner) + "</params></methodCall>";
}
std::string str_param(std::string_view s) {
  return "<param><value><string>" + std::string(s) + "</string></value></param>";
}

class XmlRpcEndpoint : public ::testing::Test {
 protected:
  XmlRpcEndpoint() {
    gateway::register_core_commands(registry_, stats_, ctx_);
    register_xmlrpc_commands(registry_);
  }

  /// The raw reply to `body`; fails the test when `done` runs more or less than once.
  std::string raw(std::string_view body, mi::Role role = mi::Role::admin) {
    auto calls = std::make_shared<std::atomic<int>>(0);
    auto promise = std::make_shared<std::promise<std::string>>();
    auto future = promise->get_future();
    handle_xmlrpc(dispatcher_, body, mi::Caller{"http", "test", role},
                  [calls, promise](std::string xml) {
                    if (calls->fetch_add(1) == 0) promise->set_value(std::move(xml));
                  });
    if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready)
      throw std::runtime_error("no reply within 10 s");
    std::string out = future.get();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_EQ(calls->load(), 1) << "done ran more than once";
    return out;
  }
  Value call(std::string_view body, mi::Role role = mi::Role::admin) {
    return parse_response(raw(body, role));
  }

  mi::Registry registry_;
  mi::Statistics stats_;
  mi::Dispatcher dispatcher_{registry_, stats_};
  gateway::CoreContext ctx_;
};

TEST_F(XmlRpcEndpoint, PlainCall) {
  Value r = call(call_xml("uptime"));
  ASSERT_TRUE(r.contains("ok")) << r.dump();
  ASSERT_TRUE(r["ok"].is_object());
  EXPECT_TRUE(r["ok"].contains("Up time"));
  EXPECT_EQ(r["ok"].begin().key(), "Now");  // insertion order on the wire

  r = call(call_xml("print", str_param("héllo &lt;&amp;&gt;")));
  EXPECT_EQ(r, ok("héllo <&>"));
  // Without <params> at all (mi_xmlrpc_ng 2.1 refused this: research §5 item 7).
  r = call("<methodCall><methodName>core:uptime</methodName></methodCall>");
  EXPECT_TRUE(r["ok"].contains("Up time"));
}

TEST_F(XmlRpcEndpoint, TypedParamsAreCoerced) {
  // An <int> for a string param becomes its text (research §5 item 9: typed ints accepted).
  EXPECT_EQ(call(call_xml("print", "<param><value><int>42</int></value></param>")),
            ok("42"));
  EXPECT_EQ(call(call_xml("print", "<param><value>untyped</value></param>")),
            ok("untyped"));
  // Named params: one struct.
  EXPECT_EQ(call(call_xml("print", "<param><value><struct><member><name>text</name>"
                                   "<value>named</value></member></struct></value></param>")),
            ok("named"));
  // An array param, and the statistics come back as <int>.
  Value r = call(call_xml("get_statistics", "<param><value><array><data><value>mi:calls</value>"
                                            "</data></array></value></param>"));
  ASSERT_TRUE(r.contains("ok")) << r.dump();
  ASSERT_TRUE(r["ok"].contains("mi:calls"));
  EXPECT_TRUE(r["ok"]["mi:calls"].is_number_integer());
}

TEST_F(XmlRpcEndpoint, Faults) {
  EXPECT_EQ(call(call_xml("nosuch")),
            (Value{{"faultCode", -32601}, {"faultString", "Method not found: command 'nosuch' not available"}}));
  Value r = call(call_xml("print"));
  EXPECT_EQ(r["faultCode"], -32602);
  EXPECT_EQ(r["faultString"].get<std::string>().rfind("Invalid params: Too few or too many arguments", 0), 0u)
      << r.dump();
  r = call(call_xml("print", str_param("a") + str_param("b")));
  EXPECT_EQ(r["faultCode"], -32602);
  r = call(call_xml("log_level", str_param("bogus")));
  EXPECT_EQ(r["faultCode"], -32602);
  EXPECT_EQ(r["faultString"], "Invalid params: Bad parameter 'level': unknown log level 'bogus'");
  r = call(call_xml("help", str_param("nosuch")));
  EXPECT_EQ(r, (Value{{"faultCode", 404}, {"faultString", "unknown MI command"}}));
  r = call(call_xml("kill"), mi::Role::read_only);
  EXPECT_EQ(r["faultCode"], 403);
  EXPECT_EQ(call("<methodCall><methodName>x</methodName>")["faultCode"], -32700);
  EXPECT_EQ(call("")["faultCode"], -32700);
  EXPECT_EQ(call("<methodCall/>")["faultCode"], -32600);
}

TEST_F(XmlRpcEndpoint, ListMethods) {
  Value r = call(call_xml("system.listMethods"));
  ASSERT_TRUE(r["ok"].is_array()) << r.dump();
  const Value& names = r["ok"];
  auto has = [&](const char* n) { return std::find(names.begin(), names.end(), Value(n)) != names.end(); };
  for (const char* n : {"uptime", "print", "log_level", "get_statistics", "which", "system.listMethods",
                        "system.methodHelp", "system.methodSignature", "system.multicall"})
    EXPECT_TRUE(has(n)) << n << " in " << names.dump();
  EXPECT_FALSE(has("core:uptime"));  // plain names only
  EXPECT_EQ(names[0], "uptime");     // registration order, as `which`
  EXPECT_EQ(call(call_xml("system.listMethods", str_param("x")))["faultCode"], -32602);
}

TEST_F(XmlRpcEndpoint, ListMethodsSkipsHiddenCommands) {
  registry_.add({.name = "secret_cmd", .module = "t", .summary = "Hidden test command",
                 .flags = mi::kHidden, .reply = mi::schema::ok(), .handler = [](const mi::Args&) -> mi::Result { return mi::ok_value(); }});
  Value names = call(call_xml("system.listMethods"))["ok"];
  EXPECT_EQ(std::find(names.begin(), names.end(), Value("secret_cmd")), names.end());
  EXPECT_EQ(call(call_xml("secret_cmd")), ok("OK"));  // still callable
}

TEST_F(XmlRpcEndpoint, MethodHelp) {
  Value r = call(call_xml("system.methodHelp", str_param("print")));
  ASSERT_TRUE(r["ok"].is_string()) << r.dump();
  EXPECT_EQ(r["ok"], "Echo a text back (SER's FIFO test command)\nParameters:\n"
                     "  text (string): the text to echo");
  r = call(call_xml("system.methodHelp", str_param("core:log_level")));
  EXPECT_NE(r["ok"].get<std::string>().find("level (string, optional): new level"), std::string::npos)
      << r.dump();
  r = call(call_xml("system.methodHelp", str_param("uptime")));
  EXPECT_NE(r["ok"].get<std::string>().find("Parameters: none"), std::string::npos) << r.dump();
  r = call(call_xml("system.methodHelp", str_param("system.multicall")));
  EXPECT_NE(r["ok"].get<std::string>().find("methodName"), std::string::npos);
  EXPECT_EQ(call(call_xml("system.methodHelp", str_param("nosuch")))["faultCode"], -32601);
  EXPECT_EQ(call(call_xml("system.methodHelp"))["faultCode"], -32602);
  // An <int> is coerced to its text, like for every string param: no method is named "1".
  EXPECT_EQ(call(call_xml("system.methodHelp", "<param><value><int>1</int></value></param>"))["faultCode"],
            -32601);
}

TEST_F(XmlRpcEndpoint, MethodSignature) {
  // The first type is the return type, from the reply schema (print returns its text).
  EXPECT_EQ(call(call_xml("system.methodSignature", str_param("print")))["ok"].dump(),
            R"([["string","string"]])");
  // log_level: `level` is optional (more optional params may follow it).
  Value ll = call(call_xml("system.methodSignature", str_param("log_level")))["ok"];
  ASSERT_GE(ll.size(), 2u) << ll.dump();
  EXPECT_EQ(ll[0].dump(), R"(["struct"])");
  EXPECT_EQ(ll[1].dump(), R"(["struct","string"])");
  EXPECT_EQ(call(call_xml("system.methodSignature", str_param("uptime")))["ok"].dump(),
            R"([["struct"]])");
  EXPECT_EQ(call(call_xml("system.methodSignature", str_param("get_statistics")))["ok"].dump(),
            R"([["struct","array"]])");
  EXPECT_EQ(call(call_xml("system.methodSignature", str_param("system.methodHelp")))["ok"].dump(),
            R"([["string","string"]])");
  EXPECT_EQ(call(call_xml("system.methodSignature", str_param("nosuch")))["faultCode"], -32601);
}

TEST_F(XmlRpcEndpoint, MethodSignatureOnePerAcceptedPrefix) {
  registry_.add({.name = "sig_test", .module = "t", .summary = "Signature test command",
                 .params = {mi::param("aor", mi::ParamType::string_, "an AOR"),
                            mi::param("n", mi::ParamType::int_, "a number"),
                            mi::optional_param("flag", mi::ParamType::bool_, "a flag"),
                            mi::optional_param("q", mi::ParamType::double_, "a q value"),
                            mi::optional_param("rest", mi::ParamType::array_, "the rest")},
                 .reply = mi::schema::object({{"n", mi::schema::integer()}}),
                 .handler = [](const mi::Args&) -> mi::Result { return mi::ok_value(); }});
  EXPECT_EQ(call(call_xml("system.methodSignature", str_param("t:sig_test")))["ok"].dump(),
            R"([["struct","string","int"],["struct","string","int","boolean"],)"
            R"(["struct","string","int","boolean","double"],)"
            R"(["struct","string","int","boolean","double","array"]])");
  std::string help = call(call_xml("system.methodHelp", str_param("sig_test")))["ok"];
  EXPECT_EQ(help, "Signature test command\nParameters:\n  aor (string): an AOR\n  n (int): a number\n"
                  "  flag (boolean, optional): a flag\n  q (double, optional): a q value\n"
                  "  rest (array, optional): the rest");
}

std::string multicall_item(std::string_view method, std::string_view params_values) {
  return "<value><struct><member><name>methodName</name><value><string>" + std::string(method) +
         "</string></value></member><member><name>params</name><value><array><data>" +
         std::string(params_values) + "</data></array></value></member></struct></value>";
}

TEST_F(XmlRpcEndpoint, Multicall) {
  std::string items = multicall_item("print", "<value>one</value>") +
                      multicall_item("nosuch", "") +
                      multicall_item("print", "") +
                      multicall_item("system.multicall", "<value><array><data/></array></value>") +
                      multicall_item("system.methodSignature", "<value>uptime</value>") +
                      "<value><int>5</int></value>" +
                      multicall_item("uptime", "") +
                      multicall_item("print", "<value><struct><member><name>text</name>"
                                              "<value>named</value></member></struct></value>");
  Value r = call(call_xml("system.multicall",
                          "<param><value><array><data>" + items + "</data></array></value></param>"));
  ASSERT_TRUE(r["ok"].is_array()) << r.dump();
  const Value& a = r["ok"];
  ASSERT_EQ(a.size(), 8u) << a.dump();
  EXPECT_EQ(a[0].dump(), R"(["one"])");
  EXPECT_EQ(a[1].dump(), R"({"faultCode":-32601,"faultString":"Method not found: command 'nosuch' not available"})");
  EXPECT_EQ(a[2]["faultCode"], -32602);
  EXPECT_EQ(a[3]["faultCode"], -32600);
  EXPECT_EQ(a[3]["faultString"], "Invalid Request: system.multicall cannot be nested");
  EXPECT_EQ(a[4].dump(), R"([[["struct"]]])");
  EXPECT_EQ(a[5]["faultCode"], -32600);
  ASSERT_TRUE(a[6].is_array());
  EXPECT_TRUE(a[6][0].contains("Up time"));
  EXPECT_EQ(a[7].dump(), R"(["named"])");
}

TEST_F(XmlRpcEndpoint, MulticallEdgeCases) {
  EXPECT_EQ(call(call_xml("system.multicall", "<param><value><array><data/></array></value></param>")),
            ok(Value::array()));
  EXPECT_EQ(call(call_xml("system.multicall"))["faultCode"], -32602);
  EXPECT_EQ(call(call_xml("system.multicall", str_param("x")))["faultCode"], -32602);
  // Many concurrent items, each answered in its place.
  std::string items;
  for (int i = 0; i < 50; ++i) items += multicall_item("print", "<value>" + std::to_string(i) + "</value>");
  Value r = call(call_xml("system.multicall",
                          "<param><value><array><data>" + items + "</data></array></value></param>"));
  ASSERT_EQ(r["ok"].size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(r["ok"][i][0], std::to_string(i));
}

TEST_F(XmlRpcEndpoint, ReplyIsCrlfXml) {
  std::string out = raw(call_xml("print", str_param("x")));
  EXPECT_EQ(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<methodResponse>\r\n<params>\r\n"
            "<param><value><string>x</string></value></param>\r\n</params>\r\n</methodResponse>\r\n");
}

}  // namespace
}  // namespace sb::transports
