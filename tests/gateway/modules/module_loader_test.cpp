// module_loader_test.cpp: ModuleHost in-process with the .so files CMake builds (build/modules,
// build/test_modules): the example module's commands through the real Dispatcher (sync, async
// from a module thread, parameters, timeouts, which/help/module_list), every start-up error
// (file, symbol, ABI, parameters, duplicates, init), and each misbehaving handler of the
// `faulty` module answered 500 without harm.
// Threading: each test owns its Registry, Dispatcher and ModuleHost; the host is declared last
// so that its destroy hooks run while the dispatcher still exists.
#include "gateway/modules/module_loader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "gateway/core/core_commands.h"
#include "gateway/daemon/components.h"
#include "mi/event_bus.h"
#include "mi/module_bridge.h"
#include "support/mi_harness.h"

namespace sb::gateway {
namespace {

using namespace std::chrono_literals;
using mi::Result;
using mi::Value;

::testing::AssertionResult Contains(const std::string& hay, const std::string& needle) {
  if (hay.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << hay << "' does not contain '" << needle << "'";
}

ModuleSettings settings(std::vector<std::string> load, ModuleParams params = {}) {
  ModuleSettings s;
  s.path = {SB_MODULE_DIR, SB_TEST_MODULE_DIR};
  s.load = std::move(load);
  s.load_origin = "test.conf:2";
  s.params = std::move(params);
  return s;
}

ModuleParams params(const std::string& module, const std::string& key, const std::string& value) {
  return {{module, {{key, ModuleParamSetting{value, "test.conf:9"}}}}};
}

class ModuleHostTest : public ::testing::Test, public sb::test::MiHarness {
 protected:
  ModuleHostTest() : MiHarness(mi::DispatcherOptions{2, 8, 300ms}) {
    ctx_.is_loadable_module = [this](std::string_view m) { return host_.has(m); };
    register_core_commands(registry_, stats_, ctx_);
    register_module_commands(registry_, host_);
  }

  /// The load error's message, or "" when everything loaded.
  std::string load_error(const ModuleSettings& s, bool run_init = true) {
    try {
      host_.load_all(s, registry_, run_init);
    } catch (const ModuleError& e) {
      return e.what();
    }
    return {};
  }
  std::int64_t stat(const std::string& name) const {
    auto found = stats_.match({name});
    return found.empty() ? -1 : found.front()->get();
  }
  static std::string error_line(const Result& r) {
    return r.ok() ? "OK " + r.value().dump()
                  : std::to_string(r.error().code) + " " + r.error().reason;
  }

  CoreContext ctx_;
  ModuleHost host_;  // last: destroy hooks run first
};

TEST_F(ModuleHostTest, ExampleSyncCommandUsesItsConfiguredParameter) {
  ASSERT_EQ(load_error(settings({"example.so"}, params("example", "greeting", "Hi"))), "");
  Result r = call("hello", Value::array({"Bob"}));
  ASSERT_TRUE(r.ok()) << error_line(r);
  EXPECT_EQ(r.value(), "Hi, Bob!");
  r = call("example:hello");  // module:name alias, optional arg absent
  ASSERT_TRUE(r.ok()) << error_line(r);
  EXPECT_EQ(r.value(), "Hi, world!");
  EXPECT_EQ(stat("mi:hello_calls"), 2);
}

TEST_F(ModuleHostTest, ExampleAsyncCommandCompletesFromAModuleThread) {
  ASSERT_EQ(load_error(settings({"example"})), "");  // ".so" may be left out
  auto t0 = std::chrono::steady_clock::now();
  Result r = call("hello_async", Value{{"delay_ms", 60}, {"name", "Ann"}});
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(r.ok()) << error_line(r);
  EXPECT_EQ(r.value(), (Value{{"message", "Hello, Ann!"}, {"delay_ms", 60}}));
  EXPECT_GE(took, 60ms);
  // the async flag comes from the export, as does read_only
  const mi::CommandSpec* spec = registry_.find("hello_async");
  ASSERT_NE(spec, nullptr);
  EXPECT_TRUE(spec->has(mi::kAsync));
  EXPECT_TRUE(spec->has(mi::kReadOnly));
  EXPECT_EQ(spec->module, "example");
}

TEST_F(ModuleHostTest, IntParameterReachesTheModuleVariable) {
  ASSERT_EQ(load_error(settings({"example.so"}, params("example", "max_delay_ms", "50"))), "");
  Result r = call("hello_async", Value::array({"80"}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(error_line(r), "400 delay_ms must be 0..50");
  EXPECT_TRUE(call("hello_async", Value::array({"10"})).ok());
}

TEST_F(ModuleHostTest, AsyncCallOutlivingTheTimeoutIs408AndDestroyWaitsForTheModuleThread) {
  ASSERT_EQ(load_error(settings({"example.so"})), "");
  auto t0 = std::chrono::steady_clock::now();
  Result r = call("hello_async", Value::array({"700"}));  // call timeout is 300 ms
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 408);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 650ms);
  host_.unload();  // the example's destroy waits for its thread, which completes a done call
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 700ms);
}

TEST_F(ModuleHostTest, WhichHelpAndModuleListShowTheModule) {
  ASSERT_EQ(load_error(settings({"example.so"}, params("example", "greeting", "Hey"))), "");
  Result which = call("which");
  ASSERT_TRUE(which.ok());
  const Value& names = which.value();
  EXPECT_NE(std::find(names.begin(), names.end(), "example:hello"), names.end()) << names.dump();
  EXPECT_NE(std::find(names.begin(), names.end(), "uptime"), names.end()) << names.dump();
  Result recipes = call("which", Value::array({"hello_async"}));
  ASSERT_TRUE(recipes.ok());
  EXPECT_EQ(recipes.value(), Value::parse(R"([["delay_ms"],["delay_ms","name"]])"));

  Result help = call("help", Value::array({"hello"}));
  ASSERT_TRUE(help.ok()) << error_line(help);
  EXPECT_EQ(help.value()["Exported by"], "example");
  EXPECT_EQ(help.value()["Help"], "Greet someone");
  EXPECT_EQ(help.value()["Params"][0]["help"], "Who to greet (default: world)");

  Result list = call("module_list");
  ASSERT_TRUE(list.ok());
  const Value& m = list.value()["modules"][0];
  EXPECT_EQ(m["name"], "example");
  EXPECT_EQ(m["version"], "1.0.0");
  EXPECT_EQ(m["abi"], "1.3");  // built against this header: ABI 1.3 (events)
  EXPECT_EQ(m["file"], std::string(SB_MODULE_DIR) + "/example.so");
  EXPECT_EQ(m["commands"], Value::parse(R"(["hello","hello_async"])"));
  EXPECT_EQ(m["params"][0], (Value{{"name", "greeting"},
                                   {"type", "string"},
                                   {"value", "Hey"},
                                   {"default", "Hello"},
                                   {"help", "Word(s) the hello commands greet with"}}));
  EXPECT_EQ(m["params"][1]["value"], 5000);
}

TEST_F(ModuleHostTest, SecretParamsAreNeverShown) {
  // example.c lists api_key in secret_params (ABI 1.1): module_list shows "***", and an error
  // about it (here: an unknown misspelt key) never quotes the value.
  ModuleSettings s = settings({"example.so"}, params("example", "api_key", "MODSECRET789"));
  ASSERT_EQ(load_error(s), "");
  Result list = call("module_list");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list.value().dump().find("MODSECRET789"), std::string::npos) << list.value().dump();
  const Value& p = list.value()["modules"][0]["params"][2];
  EXPECT_EQ(p["name"], "api_key");
  EXPECT_EQ(p["value"], "***");
  EXPECT_EQ(p["secret"], true);
  EXPECT_TRUE(host_.secret_param("example", "api_key"));
  EXPECT_FALSE(host_.secret_param("example", "greeting"));
  EXPECT_TRUE(host_.secret_param("not_loaded", "x"));  // unknown: masked
}

TEST_F(ModuleHostTest, AMisspeltSecretParamIsNotEchoed) {
  ModuleSettings s = settings({"example.so"});
  s.params["example"]["api_kye"] = ModuleParamSetting{"MODSECRET789", "--set module.example.api_kye=MODSECRET789"};
  std::string e = load_error(s);
  EXPECT_TRUE(Contains(e, "unknown parameter 'api_kye'")) << e;
  EXPECT_FALSE(Contains(e, "MODSECRET789")) << e;
}

TEST_F(ModuleHostTest, WithoutModulesModuleListIsEmpty) {
  ASSERT_EQ(load_error(settings({})), "");
  EXPECT_EQ(call("module_list").value(), Value::parse(R"({"modules":[]})"));
}

TEST(ModuleSettingsTest, PathAndLoadListsAreSplitAndTrimmed) {
  Config c(daemon_schema());
  c.apply_override("modules.path=/a: /b ::/c");
  c.apply_override("modules.load= x.so ,, /abs/y.so ");
  c.apply_override("module.x.k=v");
  ModuleSettings s = module_settings(c);
  EXPECT_EQ(s.path, (std::vector<std::string>{"/a", "/b", "/c"}));
  EXPECT_EQ(s.load, (std::vector<std::string>{"x.so", "/abs/y.so"}));
  EXPECT_EQ(s.load_origin, "--set modules.load= x.so ,, /abs/y.so ");
  EXPECT_EQ(s.params.at("x").at("k").value, "v");
}

// ---- start-up errors: each names the module (or its file) and the problem ------------------

TEST_F(ModuleHostTest, FileNotFound) {
  std::string e = load_error(settings({"nosuch.so"}));
  EXPECT_TRUE(
      Contains(e, "test.conf:2: module 'nosuch.so': file not found in modules.path (" SB_MODULE_DIR
                  ":" SB_TEST_MODULE_DIR ")"))
      << e;
  ModuleSettings empty = settings({"example.so"});
  empty.path.clear();
  e = load_error(empty);
  EXPECT_TRUE(Contains(e, "module 'example.so': file not found in modules.path (empty)")) << e;
  e = load_error(settings({"/nonexistent/dir/x.so"}));
  EXPECT_TRUE(Contains(e, "module '/nonexistent/dir/x.so': file not found")) << e;
}

TEST_F(ModuleHostTest, AbsolutePathNeedsNoModulePath) {
  ModuleSettings s = settings({std::string(SB_MODULE_DIR) + "/example.so"});
  s.path.clear();
  ASSERT_EQ(load_error(s), "");
  EXPECT_TRUE(call("hello").ok());
}

TEST_F(ModuleHostTest, MissingExportsSymbol) {
  std::string e = load_error(settings({"no_exports.so"}));
  EXPECT_TRUE(Contains(e, "module 'no_exports.so' (" SB_TEST_MODULE_DIR "/no_exports.so)")) << e;
  EXPECT_TRUE(Contains(e, "missing symbol 'sb_module_exports'")) << e;
}

TEST_F(ModuleHostTest, UndefinedHostSymbolIsRefusedByRtldNow) {
  std::string e = load_error(settings({"undefined_symbol.so"}));
  EXPECT_TRUE(Contains(e, "module 'undefined_symbol.so'")) << e;
  EXPECT_TRUE(Contains(e, "cannot load")) << e;
  EXPECT_TRUE(Contains(e, "sb_function_from_the_future")) << e;
}

TEST_F(ModuleHostTest, AbiMajorMismatchIsRefused) {
  std::string e = load_error(settings({"abi_major.so"}));
  EXPECT_TRUE(Contains(e, "module 'abi_major.so'")) << e;
  EXPECT_TRUE(
      Contains(e, "module ABI version mismatch: built for 2.0, this switchboard provides 1.3"))
      << e;
  EXPECT_EQ(registry_.find("mismatch_hello"), nullptr);
}

TEST_F(ModuleHostTest, AModuleDeclaresItsEventsAndRaisesThem) {
  ASSERT_EQ(load_error(settings({"example.so"})), "");
  const mi::EventSpec* e = registry_.events().find("E_EXAMPLE_GREETED");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->module, "example");
  EXPECT_EQ(e->summary, "The hello command greeted someone");
  EXPECT_EQ(mi::event_params_list(*e).size(), 2u);

  // sb_raise_event through the bus the daemon hands the modules: a sink attached to the event
  // receives what `hello` raised, params as declared.
  struct Sink : mi::EventSink {
    std::vector<mi::EventPtr> got;
    void offer(const mi::EventPtr& ev) override { got.push_back(ev); }
  };
  mi::EventBus bus(registry_.events(), stats_);
  auto sink = std::make_shared<Sink>();
  bus.attach({e}, sink);
  mi::set_module_event_bus(&bus);
  Result r = call("hello", Value::array({"Ada \"Lovelace\""}));
  mi::set_module_event_bus(nullptr);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(bus.flush(std::chrono::seconds(5)));  // the bus's thread offers it
  ASSERT_EQ(sink->got.size(), 1u);
  EXPECT_EQ(sink->got[0]->params, (Value{{"name", "Ada \"Lovelace\""}, {"greeting", "Hello"}}));
  EXPECT_EQ(mi::EventBus::check_params(*e, sink->got[0]->params), "");
  // Without a bus (--check-config) the module's raise is SB_ENOENT and the command still works.
  EXPECT_TRUE(call("hello").ok());
  EXPECT_EQ(sb_raise_event("E_EXAMPLE_GREETED", "{}"), SB_ENOENT);
}

TEST_F(ModuleHostTest, RaisingChecksTheEventAndItsParams) {
  ASSERT_EQ(load_error(settings({"example.so"})), "");
  mi::EventBus bus(registry_.events(), stats_);
  mi::set_module_event_bus(&bus);
  EXPECT_EQ(sb_raise_event("E_NO_SUCH_EVENT", "{}"), SB_ENOENT);
  EXPECT_EQ(sb_raise_event(nullptr, "{}"), SB_EINVAL);
  EXPECT_EQ(sb_raise_event("E_EXAMPLE_GREETED", "[1]"), SB_EINVAL);
  EXPECT_EQ(sb_raise_event("E_EXAMPLE_GREETED", "{\"name\":1,\"greeting\":\"x\"}"), SB_EINVAL);
  EXPECT_EQ(sb_raise_event("E_EXAMPLE_GREETED", "{\"name\":\"a\"}"), SB_EINVAL) << "greeting is required";
  EXPECT_EQ(sb_raise_event("E_EXAMPLE_GREETED", "{\"name\":\"a\",\"greeting\":\"b\"}"), SB_OK);
  mi::set_module_event_bus(nullptr);
}

TEST_F(ModuleHostTest, AnAbi12ModuleStillLoadsWithoutEvents) {
  ASSERT_EQ(load_error(settings({"abi_1_2.so"})), "");
  EXPECT_NE(registry_.find("old_module_ok"), nullptr);
  EXPECT_TRUE(call("old_module_ok").ok());
  for (const mi::EventSpec* e : registry_.events().all()) EXPECT_NE(e->module, "oldmod");
}

TEST_F(ModuleHostTest, ABadEventDeclarationIsRefusedNamed) {
  std::string e = load_error(settings({"bad_event.so"}));
  EXPECT_TRUE(Contains(e, "event 'E_UNDESCRIBED': param 'x' has no description")) << e;
  EXPECT_EQ(registry_.find("old_module_ok"), nullptr) << "nothing of a refused module is registered";
  mi::Registry fresh;
  mi::EventRegistry& events = fresh.events();
  events.add({.name = "E_CORE_STARTUP", .module = "core", .summary = "x",
              .params = Value{{"type", "object"}, {"properties", Value::object()}, {"additionalProperties", false}}});
  ModuleHost host;
  try {
    host.load_all(settings({"event_twice.so"}), fresh);
    ADD_FAILURE() << "event_twice.so loaded";
  } catch (const ModuleError& ex) {
    EXPECT_TRUE(Contains(ex.what(), "event 'E_CORE_STARTUP' is already declared")) << ex.what();
  }
}

TEST_F(ModuleHostTest, NewerAbiMinorIsRefused) {
  std::string e = load_error(settings({"abi_minor.so"}));
  EXPECT_TRUE(Contains(e, "built for 1.99, this switchboard provides 1.3")) << e;
}

TEST_F(ModuleHostTest, ReplySchemasAreRequiredOnceTheArrayIsGiven) {
  std::string e = load_error(settings({"missing_schema.so"}));
  EXPECT_TRUE(Contains(e, "command 'two' has no entry in sb_module.reply_schemas")) << e;
  EXPECT_EQ(registry_.find("one"), nullptr) << "nothing of a refused module is registered";
}

TEST_F(ModuleHostTest, AReplySchemaMustBeAJsonObject) {
  std::string e = load_error(settings({"bad_schema.so"}));
  EXPECT_TRUE(Contains(e, "command 'two': its reply schema is not a JSON object")) << e;
}

TEST_F(ModuleHostTest, AModuleWithoutReplySchemasLoadsAndAcceptsAnyReply) {
  // An older module source recompiled against ABI 1.2 (reply_schemas NULL) still loads.
  ASSERT_EQ(load_error(settings({"no_schemas.so"})), "");
  const mi::CommandSpec* one = registry_.find("one");
  ASSERT_NE(one, nullptr);
  EXPECT_FALSE(one->reply.contains("type")) << one->reply.dump();
  EXPECT_TRUE(call("one").ok());
}

TEST_F(ModuleHostTest, DuplicateCommandNameGoesThroughTheRegistry) {
  std::string e = load_error(settings({"duplicate.so"}));
  EXPECT_TRUE(Contains(e, "module 'dupmod' (" SB_TEST_MODULE_DIR "/duplicate.so): command 'uptime' "
                          "of module 'dupmod' is already registered by module 'core'"))
      << e;
}

TEST_F(ModuleHostTest, SameModuleTwiceIsRefused) {
  std::string e = load_error(settings({"example.so", std::string(SB_MODULE_DIR) + "/example.so"}));
  EXPECT_TRUE(Contains(e, "a module named 'example' is already loaded")) << e;
}

TEST_F(ModuleHostTest, ParameterErrorsNameTheConfigLineAndTheModule) {
  struct Case {
    const char *module, *key, *value, *expect;
  } cases[] = {
      {"example", "greting", "Hi",
       "test.conf:9: module 'example': unknown parameter 'greting' (did you mean 'greeting'?)"},
      {"example", "max_delay_ms", "abc",
       "test.conf:9: module 'example': bad value for parameter 'max_delay_ms': 'abc' is not an "
       "integer"},
      {"example", "greeting", "",  // the setter's own message
       "test.conf:9: module 'example': parameter 'greeting' = '' refused: the greeting must not "
       "be empty"},
      {"exmple", "greeting", "Hi",
       "test.conf:9: [module.exmple] configures module 'exmple', which is not loaded (see "
       "modules.load) (did you mean 'example'?)"},
  };
  for (const auto& c : cases) {
    mi::Registry registry;  // each case on its own registry and host
    ModuleHost host;
    try {
      host.load_all(settings({"example.so"}, params(c.module, c.key, c.value)), registry);
      ADD_FAILURE() << "loaded: " << c.expect;
    } catch (const ModuleError& e) {
      EXPECT_EQ(std::string(e.what()), c.expect);
    }
  }
}

TEST_F(ModuleHostTest, InitFailureStopsTheStart) {
  std::string e = load_error(settings({"faulty.so"}, params("faulty", "fail_init", "1")));
  EXPECT_EQ(e, "module 'faulty' (" SB_TEST_MODULE_DIR
               "/faulty.so): init failed: asked to fail by "
               "fail_init");
}

TEST_F(ModuleHostTest, CheckOnlyLoadDoesNotRunInit) {
  EXPECT_EQ(load_error(settings({"faulty.so"}, params("faulty", "fail_init", "1")), false), "");
}

// ---- misbehaving handlers: a 500 for that call, naming the module; the next call works ------

TEST_F(ModuleHostTest, MisbehavingHandlersAnswer500) {
  ASSERT_EQ(load_error(settings({"faulty.so"})), "");
  struct Case {
    const char* command;
    const char* why;
  } cases[] = {
      {"throws", "handler threw an exception (see the server log)"},
      {"no_reply", "handler returned neither a reply nor an error"},
      {"bad_status", "handler returned 7, not SB_OK"},
      {"member_in_array", "sb_add_int: member 'key' added to an array (array items take no key)"},
      {"item_in_object", "sb_add_int: item without a key added to an object"},
      {"bad_utf8", "sb_reply_string: the string is not valid UTF-8"},
      {"bad_code", "sb_reply_error: code 200 is not an error code (400..599)"},
      {"root_twice", "sb_reply_int: the reply is already set"},
      {"dup_key", "sb_add_int: duplicate member 'a'"},
      {"async_no_reply", "handler returned neither a reply nor an error"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.command);
    Result r = call(c.command);
    ASSERT_FALSE(r.ok()) << r.value().dump();
    EXPECT_EQ(r.error().code, 500);
    EXPECT_EQ(r.error().reason, fmt::format("module 'faulty' command '{}': {}", c.command, c.why));
  }
  EXPECT_TRUE(call("uptime").ok());
  EXPECT_EQ(stat("mi:throws_errors"), 1);
}

TEST_F(ModuleHostTest, ErrorDiscardsAPartialReply) {
  ASSERT_EQ(load_error(settings({"faulty.so"})), "");
  EXPECT_EQ(error_line(call("error_after_partial")), "404 AOR not found");
}

TEST_F(ModuleHostTest, SecondCompletionIsIgnored) {
  ASSERT_EQ(load_error(settings({"faulty.so"})), "");
  Result r = call("complete_twice");
  ASSERT_TRUE(r.ok()) << error_line(r);
  EXPECT_EQ(r.value(), "first");
}

TEST_F(ModuleHostTest, EveryArgumentAndValueTypeCrossesTheAbi) {
  ASSERT_EQ(load_error(settings({"faulty.so"})), "");
  Result r = call("all_types", Value::array({"caf\xc3\xa9", "42", "2.5", "no", "x", "7"}));
  ASSERT_TRUE(r.ok()) << error_line(r);
  EXPECT_EQ(r.value(), Value::parse(R"({"text":"café","int":42,"double":2.5,"bool":false,
      "null":null,"items":["x","7"],"nested":{"wrong_type":-3}})"));
  r = call("all_types", Value{{"text", "t"}, {"items", Value::array({1, true})}});  // defaults
  ASSERT_TRUE(r.ok()) << error_line(r);
  EXPECT_EQ(r.value()["int"], 7);
  EXPECT_EQ(r.value()["double"], 0.5);
  EXPECT_EQ(r.value()["bool"], true);
  EXPECT_EQ(r.value()["items"], Value::parse(R"(["1","true"])"));
  // the dispatcher validates before the module runs
  EXPECT_EQ(call("all_types", Value::array({"t", "abc"})).error().code, 400);
}

TEST_F(ModuleHostTest, DispatcherRulesApplyToModuleCommands) {
  ASSERT_EQ(load_error(settings({"example.so"})), "");
  // read_only: a read-only caller may run it
  EXPECT_TRUE(call("hello", nullptr, mi::Role::read_only).ok());
  EXPECT_EQ(call("hello", Value::array({"a", "b"})).error().kind, mi::ErrorKind::arity);
}

}  // namespace
}  // namespace sb::gateway
