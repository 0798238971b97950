// dialplan_commands_test.cpp: the `dialplan` commands in-process, through the real Dispatcher and
// the real engine thread (gateway/engine/engine.h) with a Dialplan on a SQLite file: result
// shapes, param binding and errors, dp_reload refusing a table corrupted with SQL while dp_list
// stays unchanged, and 503 while no engine runs.
// Threading: commands run on the engine thread; the test corrupts the table through its own
// connection from the test thread (as an operator's sqlite3 would).
#include "gateway/dialplan/dialplan_commands.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "gateway/dialplan/dialplan.h"
#include "gateway/engine/engine.h"
#include "gateway/store/database.h"
#include "mi/dispatcher.h"
#include "support/engine_harness.h"
#include "support/mi_harness.h"
#include "support/temp_dir.h"

namespace sb::gateway {
namespace {

using mi::Result;
using mi::Value;
using test::TempDir;

class DialplanCommands : public ::testing::Test, public sb::test::MiHarness {
 protected:
  DialplanCommands() { register_dialplan_commands(registry_, services_); }

  void start() {
    engine_.start(
        [this](su_root_s*, Database& db) {
          dialplan_ = std::make_unique<Dialplan>(db, stats_);
          dialplan_->reload();
          services_.db = &db;
          services_.dialplan = dialplan_.get();
        },
        [this] {
          services_ = SipServices{};
          dialplan_.reset();
        });
  }
  Value ok(const std::string& method, Value params = nullptr) {
    Result r = call(method, std::move(params));
    EXPECT_TRUE(r.ok()) << method << ": " << (r.ok() ? "" : r.error().reason);
    return r.ok() ? r.value() : Value();
  }

  TempDir tmp_;
  SipServices services_;
  std::unique_ptr<Dialplan> dialplan_;  // engine thread
  sb::test::EngineHarness engine_{dispatcher_, tmp_ / "sb.db"};  // last: stopped first
};

TEST_F(DialplanCommands, EveryCommandIsAnEngineCommandOfModuleDialplan) {
  for (const char* name : {"dp_list", "dp_reload", "dp_translate", "dp_rule_add", "dp_rule_update", "dp_rule_rm",
                           "dp_rule_move"}) {
    const mi::CommandSpec* s = registry_.find(name);
    ASSERT_NE(s, nullptr) << name;
    EXPECT_EQ(s->module, "dialplan");
    EXPECT_TRUE(s->has(mi::kEngine)) << name;
    EXPECT_EQ(registry_.find(std::string("dialplan:") + name), s);
  }
  EXPECT_TRUE(registry_.find("dp_list")->has(mi::kReadOnly));
  EXPECT_TRUE(registry_.find("dp_translate")->has(mi::kReadOnly));
  EXPECT_FALSE(registry_.find("dp_rule_add")->has(mi::kReadOnly));
}

TEST_F(DialplanCommands, NoEngine503) {
  Result r = call("dp_list");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 503);
}

TEST_F(DialplanCommands, AddListTranslateShapes) {
  start();
  Value added = ok("dp_rule_add", Value::array({"port:3", R"(^0(\d+)$)", R"(\1)", "user:${dest}", "", "",
                                                R"({"timeout_s":20})", nullptr, "port 3 calls"}));
  EXPECT_EQ(added, Value::parse(R"({"id":1,"position":1,"src_kind":"port","src_id":"3","dest_match":"^0(\\d+)$",
      "dest_rewrite":"\\1","src_match":"","src_rewrite":"","target_kind":"user","target_id":"${dest}",
      "options":{"timeout_s":20},"comment":"port 3 calls"})"));
  EXPECT_EQ(ok("dp_list"), Value({{"Rules", Value::array({added})}}));
  EXPECT_EQ(ok("dp_translate", Value::array({"port:3", "0201", "17"})),
            Value::parse(R"({"rule_id":1,"position":1,"called":"201","caller":"17","target_kind":"user",
                "target_id":"201","options":{"timeout_s":20}})"));
  Result miss = call("dp_translate", Value::array({"port:4", "0201"}));
  ASSERT_FALSE(miss.ok());
  EXPECT_EQ(miss.error().code, 404);
  EXPECT_EQ(miss.error().reason, "No matching rule");
  Result bad = call("dp_rule_add", Value{{"src", "any"}, {"dest_match", "x"}, {"dest_rewrite", ""},
                                         {"target", "user"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, mi::ErrorKind::bad_param);
  EXPECT_EQ(bad.error().reason, "Bad parameter 'target': target_id: must not be empty");
  bad = call("dp_rule_add", Value{{"src", "any"}, {"dest_match", "x"}, {"dest_rewrite", ""}, {"target", "user:x"},
                                  {"options", "{\"clir\":1}"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().reason, "Bad parameter 'options': clir must be true or false");
}

TEST_F(DialplanCommands, ReloadRefusesACorruptTableAndKeepsTheActiveRules) {
  start();
  ok("dp_rule_add", Value::array({"any", "^1", "", "user:a"}));
  ok("dp_rule_add", Value::array({"any", "^2", "", "user:b"}));
  Value before = ok("dp_list");

  Database sql(DatabaseOptions{tmp_ / "sb.db"});  // a second connection, like the sqlite3 shell
  sql.exec("UPDATE dp_rule SET src_rewrite = '\\7' WHERE id = 2");
  Result r = call("dp_reload");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 400);
  EXPECT_EQ(r.error().reason, "rule id 2 at position 2: src_rewrite: references \\7 but src_match has 0 groups");
  EXPECT_EQ(ok("dp_list"), before) << "the active set stays";
  EXPECT_EQ(ok("dp_translate", Value::array({"any", "2"}))["target_id"], "b");

  // Editing another rule cannot publish the corrupt row either; removing it can.
  r = call("dp_rule_update", Value{{"id", 1}, {"comment", "x"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 400);
  EXPECT_EQ(ok("dp_list"), before);
  EXPECT_EQ(ok("dp_rule_rm", Value::array({2})), "OK");
  EXPECT_EQ(ok("dp_list")["Rules"].size(), 1u);
  EXPECT_EQ(ok("dp_reload"), "OK");
}

}  // namespace
}  // namespace sb::gateway
