// dialplan_daemon_test.cpp: the `dialplan` commands against the real daemon — the SER text
// dialect over the FIFO (positional, named, '.' for empty) and JSON-RPC over HTTP /mi, their
// errors (400 naming the param, 404 unknown rule / no match, -32602), the `dialplan:`
// statistics, 503 without the SIP engine, rules surviving a SIGTERM and restart, and a table
// corrupted with the sqlite3 shell (dp_reload refused, a restart starts with no rule active).
// Threading: one daemon per test, driven from the test thread.
#include <signal.h>

#include <cstdlib>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sip/sip_test_util.h"
#include "transports/http/http_client.h"

namespace sb::test::sip {
namespace {

/// One JSON-RPC call over HTTP POST /mi; the parsed reply (or {"unparsed": body}).
json http_rpc(const TestDaemon& d, const std::string& method, json params = nullptr) {
  client::HttpClientOptions o;
  o.port = d.http_port();
  o.timeout = 10s;
  json req = {{"jsonrpc", "2.0"}, {"method", method}, {"id", 7}};
  if (!params.is_null()) req["params"] = std::move(params);
  auto r = client::http_post(o, "/mi", req.dump());
  if (!r.ok || r.status != 200) return json{{"unparsed", r.error + " " + std::to_string(r.status) + " " + r.body}};
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) return json{{"unparsed", r.body}};
  return j;
}

json rules_of(const TestDaemon& d) {
  json j = http_rpc(d, "dp_list");
  EXPECT_TRUE(j.contains("result")) << j.dump();
  return j.contains("result") ? j["result"]["Rules"] : json::array();
}

TEST(DialplanDaemon, TextDialectOverTheFifo) {
  TestDaemon d;
  // Positional: src, dest_match, dest_rewrite, target, then optional src_match, src_rewrite.
  std::string r = d.text("dp_rule_add", {"account:trunk1", R"(^0(\d+)$)", R"(49\1)", "account:out", "^(.*)$", R"(+\1)"});
  ASSERT_EQ(r.rfind("200 OK\n", 0), 0u) << r;
  EXPECT_NE(r.find("\nid:: 1\n"), std::string::npos) << r;
  EXPECT_NE(r.find("\nposition:: 1\n"), std::string::npos) << r;
  EXPECT_NE(r.find("\ndest_rewrite:: 49\\\\1\n"), std::string::npos) << "backslashes are escaped in text: " << r;
  // A second rule for any source; '.' = an empty param.
  r = d.text("dp_rule_add", {"any", R"(^\*\*(\d+)$)", R"(\1)", "user:${dest}", ".", "."});
  ASSERT_EQ(r.rfind("200 OK\n", 0), 0u) << r;
  EXPECT_NE(r.find("\nsrc_match:: \nsrc_rewrite:: \n"), std::string::npos) << r;
  EXPECT_NE(r.find("\nposition:: 2\n"), std::string::npos) << r;

  r = d.text("dp_translate", {"account:trunk1", "0301234", "555"});
  ASSERT_EQ(r.rfind("200 OK\n", 0), 0u) << r;
  EXPECT_NE(r.find("\nrule_id:: 1\n"), std::string::npos) << r;
  EXPECT_NE(r.find("\ncalled:: 49301234\n"), std::string::npos) << r;
  EXPECT_NE(r.find("\ncaller:: +555\n"), std::string::npos) << r;
  EXPECT_NE(r.find("\ntarget_kind:: account\ntarget_id:: out\n"), std::string::npos) << r;
  r = d.text("dp_translate", {"account:trunk2", "**42"});
  EXPECT_NE(r.find("\ncalled:: 42\n"), std::string::npos) << r;
  EXPECT_NE(r.find("\ntarget_kind:: user\ntarget_id:: 42\n"), std::string::npos) << "${dest}: " << r;
  r = d.text("dp_translate", {"account:trunk1", "07"});
  EXPECT_NE(r.find("\ncaller:: +\n"), std::string::npos) << "an empty caller matches ^(.*)$: " << r;

  // Named params (name::value): only the comment changes.
  r = d.text("dp_rule_update", {"id::2", "comment::feature codes"});
  ASSERT_EQ(r.rfind("200 OK\n", 0), 0u) << r;
  EXPECT_NE(r.find("\ncomment:: feature codes\n"), std::string::npos) << r;
  EXPECT_NE(r.find("\ntarget_id:: ${dest}\n"), std::string::npos) << r;

  r = d.text("dp_list");
  ASSERT_EQ(r.rfind("200 OK\nRules::\n\tid:: 1\n", 0), 0u) << r;
  EXPECT_NE(r.find("\nRules::\n\tid:: 2\n\tposition:: 2\n"), std::string::npos) << r;

  // Errors, each naming what is wrong.
  EXPECT_EQ(d.text("dp_translate", {"trunk1", "1"}).rfind("400 Bad parameter 'source': expected any, account:NAME", 0), 0u);
  EXPECT_EQ(d.text("dp_translate", {"port:x", "1"}), "400 Bad parameter 'source': 'x' is not a port number\n\n");
  EXPECT_EQ(d.text("dp_translate", {"account:trunk2", "0301234"}), "404 No matching rule\n\n");
  EXPECT_EQ(d.text("dp_translate", {"any", std::string(129, '1')}),
            "400 Bad parameter 'number': longer than 128 bytes\n\n");
  r = d.text("dp_rule_add", {"any", "(", ".", "user:x"});
  EXPECT_EQ(r.rfind("400 Bad parameter 'dest_match': '(' does not compile", 0), 0u) << r;
  r = d.text("dp_rule_add", {"any", R"((\d))", R"(\2)", "user:x"});
  EXPECT_EQ(r, "400 Bad parameter 'dest_rewrite': references \\2 but dest_match has 1 group\n\n");
  r = d.text("dp_rule_add", {"trunk:x", ".", ".", "user:x"});
  EXPECT_EQ(r.rfind("400 Bad parameter 'src': src_kind: 'trunk' is not any", 0), 0u) << r;
  EXPECT_EQ(d.text("dp_rule_rm", {"99"}), "404 Rule not found\n\n");
  EXPECT_EQ(d.text("dp_rule_move", {"1", "3"}), "400 Bad parameter 'position': 3 is not in 1..2\n\n");
  EXPECT_EQ(d.text("dp_rule_move", {"one", "1"}).rfind("400 Bad parameter 'id': expected an integer", 0), 0u);
  EXPECT_EQ(d.text("dp_rule_update", {"1"}).rfind("400 Too few or too many arguments", 0), 0u);
  EXPECT_EQ(rules_of(d).size(), 2u) << "nothing refused was stored";
  expect_clean_stop(d);
}

TEST(DialplanDaemon, JsonRpcOverHttp) {
  TestDaemon d;
  json add = http_rpc(d, "dp_rule_add",
                      {{"src", "subscriber:alice"},
                       {"dest_match", R"(^(\d{3})$)"},
                       {"dest_rewrite", ""},
                       {"target", "user:${dest}"},
                       {"options", R"({"failover_causes":[486,503],"timeout_s":30,"clir":true})"},
                       {"comment", "internal calls"}});
  ASSERT_TRUE(add.contains("result")) << add.dump();
  const json& rule = add["result"];
  EXPECT_EQ(rule["src_kind"], "subscriber");
  EXPECT_EQ(rule["src_id"], "alice");
  EXPECT_EQ(rule["options"], json::parse(R"({"failover_causes":[486,503],"timeout_s":30,"clir":true})"))
      << "options come back as an object";
  std::int64_t alice_rule = rule["id"];
  json pstn = http_rpc(d, "dp_rule_add", {"group:isdn", "^0", "", "account:sipgate"});
  ASSERT_TRUE(pstn.contains("result")) << pstn.dump();
  json first = http_rpc(d, "dp_rule_add",
                        {{"src", "any"}, {"dest_match", "^112$"}, {"dest_rewrite", ""}, {"target", "group:emergency"},
                         {"position", 1}});
  ASSERT_TRUE(first.contains("result")) << first.dump();
  EXPECT_EQ(first["result"]["position"], 1);

  json t = http_rpc(d, "dp_translate", {{"source", "subscriber:alice@example.com"}, {"number", "201"}});
  ASSERT_TRUE(t.contains("result")) << t.dump();
  EXPECT_EQ(t["result"],
            json::parse(R"({"rule_id":)" + std::to_string(alice_rule) +
                        R"(,"position":2,"called":"201","caller":"","target_kind":"user","target_id":"201",)"
                        R"("options":{"failover_causes":[486,503],"timeout_s":30,"clir":true}})"));
  t = http_rpc(d, "dp_translate", {"group:isdn", "0301234"});
  ASSERT_TRUE(t.contains("result")) << t.dump();
  EXPECT_EQ(t["result"]["target_id"], "sipgate");
  EXPECT_EQ(http_rpc(d, "dp_translate", {"port:4", "112"})["result"]["target_id"], "emergency");

  // Move and remove; positions stay dense.
  json moved = http_rpc(d, "dp_rule_move", {{"id", alice_rule}, {"position", 3}});
  ASSERT_TRUE(moved.contains("result")) << moved.dump();
  EXPECT_EQ(moved["result"]["position"], 3);
  EXPECT_EQ(http_rpc(d, "dp_rule_rm", {first["result"]["id"]})["result"], "OK");
  json rules = rules_of(d);
  ASSERT_EQ(rules.size(), 2u) << rules.dump();
  EXPECT_EQ(rules[0]["target_id"], "sipgate");
  EXPECT_EQ(rules[0]["position"], 1);
  EXPECT_EQ(rules[1]["id"], alice_rule);
  EXPECT_EQ(rules[1]["position"], 2);
  EXPECT_EQ(http_rpc(d, "dp_reload")["result"], "OK");
  EXPECT_EQ(rules_of(d), rules) << "a reload of an unchanged table changes nothing";

  // Errors: bad params are -32602 with the reason in data; handler errors keep their code.
  json e = http_rpc(d, "dp_rule_update", {{"id", alice_rule}, {"options", R"({"colour":"red"})"}});
  ASSERT_TRUE(e.contains("error")) << e.dump();
  EXPECT_EQ(e["error"]["code"], -32602);
  EXPECT_NE(e["error"]["data"].get<std::string>().find("unknown key 'colour'"), std::string::npos) << e.dump();
  e = http_rpc(d, "dp_rule_update", {{"id", 4242}, {"comment", "x"}});
  EXPECT_EQ(e["error"], json::parse(R"({"code":404,"message":"Rule not found"})")) << e.dump();
  e = http_rpc(d, "dp_translate", {"account:nobody", "999"});
  EXPECT_EQ(e["error"], json::parse(R"({"code":404,"message":"No matching rule"})")) << e.dump();
  e = http_rpc(d, "dp_rule_add", {{"src", "any"}, {"dest_match", "x"}, {"dest_rewrite", ""}});
  EXPECT_EQ(e["error"]["code"], -32602) << "target is missing: " << e.dump();
  EXPECT_EQ(rules_of(d), rules) << "refused edits changed nothing";

  EXPECT_EQ(d.stat("dialplan:rules"), 2);
  EXPECT_EQ(d.stat("dialplan:translations"), 3);
  EXPECT_EQ(d.stat("dialplan:no_match"), 1);
  EXPECT_EQ(d.stat("dialplan:reloads"), 2) << "the load at start and one dp_reload";
  expect_clean_stop(d);
}

TEST(DialplanDaemon, RulesSurviveARestart) {
  TestDaemon first;  // stays alive: its destructor would remove the database
  ASSERT_TRUE(rpc(first, "dp_rule_add", {"account:trunk1", R"(^00(\d+))", R"(+\1)", "account:out"}).contains("result"));
  ASSERT_TRUE(rpc(first, "dp_rule_add", {"port:3", "", "", "user:operator"}).contains("result"));
  json gone = rpc(first, "dp_rule_add", {"any", "^9", "", "group:trash"});
  ASSERT_TRUE(gone.contains("result"));
  ASSERT_TRUE(rpc(first, "dp_rule_add", {{"src", "subscriber:bob@example.com"}, {"dest_match", "^1"},
                                         {"dest_rewrite", ""}, {"target", "group:g1"},
                                         {"options", R"({"enabled":false})"}, {"position", 1}})
                  .contains("result"));
  ASSERT_TRUE(rpc(first, "dp_rule_update", {{"id", 2}, {"comment", "port 3 to the operator"}}).contains("result"));
  ASSERT_EQ(rpc(first, "dp_rule_rm", {gone["result"]["id"]})["result"], "OK");
  json before = rules_of(first);
  ASSERT_EQ(before.size(), 3u) << before.dump();
  expect_clean_stop(first);

  TestDaemon second({"core.db=" + first.db_path()});
  EXPECT_NE(second.log().find("dialplan: 3 rules loaded"), std::string::npos) << second.log();
  EXPECT_EQ(rules_of(second), before);
  json t = rpc(second, "dp_translate", {"account:trunk1", "004930"});
  ASSERT_TRUE(t.contains("result")) << t.dump();
  EXPECT_EQ(t["result"]["called"], "+4930");
  EXPECT_EQ(t["result"]["position"], 2);
  EXPECT_EQ(second.stat("dialplan:rules"), 3);
  json added = rpc(second, "dp_rule_add", {"any", "", "", "user:last"});
  EXPECT_EQ(added["result"]["id"], 5) << "ids are never reused: " << added.dump();
  expect_clean_stop(second);
}

/// Runs one SQL statement on `db` with the sqlite3 shell (scripts/setup.sh installs it), as an
/// operator would; true when it succeeded.
bool sqlite3_shell(const std::string& db, const std::string& sql) {
  std::string cmd = "sqlite3 '" + db + "' \"" + sql + "\"";
  return std::system(cmd.c_str()) == 0;
}

TEST(DialplanDaemon, ACorruptTableIsRefusedWhileTheActiveRulesStay) {
  TestDaemon first;
  ASSERT_TRUE(rpc(first, "dp_rule_add", {"any", "^1", "", "user:one"}).contains("result"));
  ASSERT_TRUE(rpc(first, "dp_rule_add", {"any", "^2", "", "user:two"}).contains("result"));
  json before = rules_of(first);
  ASSERT_TRUE(sqlite3_shell(first.db_path(), "UPDATE dp_rule SET dest_match = '([' WHERE id = 2"));
  std::string r = first.text("dp_reload");
  EXPECT_EQ(r.rfind("400 rule id 2 at position 2: dest_match: '([' does not compile", 0), 0u) << r;
  EXPECT_EQ(rules_of(first), before) << "the active rules stay";
  EXPECT_EQ(rpc(first, "dp_translate", {"any", "2"})["result"]["target_id"], "two");
  expect_clean_stop(first);

  // A restart on the corrupt table: the daemon starts, says why no rule is active, and the
  // commands can repair the table.
  TestDaemon second({"core.db=" + first.db_path()});
  EXPECT_NE(second.log().find("dialplan: not loaded, no rule is active until dp_reload succeeds: rule id 2"),
            std::string::npos)
      << second.log();
  EXPECT_EQ(rules_of(second), json::array());
  EXPECT_EQ(rpc(second, "dp_reload")["error"]["code"], 400);
  ASSERT_TRUE(rpc(second, "dp_rule_update", {{"id", 2}, {"dest_match", "^2"}}).contains("result"));
  EXPECT_EQ(rules_of(second), before) << "the repair published the whole table";
  expect_clean_stop(second);
}

TEST(DialplanDaemon, WithoutTheSipEngineCommandsAnswer503) {
  TestDaemon d({"sip.listen="});
  EXPECT_EQ(d.text("dp_list"), "503 SIP engine not running\n\n");
  json e = http_rpc(d, "dp_translate", {"any", "1"});
  EXPECT_EQ(e["error"]["code"], 503) << e.dump();
  expect_clean_stop(d);
}

}  // namespace
}  // namespace sb::test::sip
