// accounts_test.cpp: gateway/accounts in-process — the `accounts` commands through the real
// Dispatcher on a real engine thread (Engine + SipStack on loopback + SQLite file): validation
// of every field (400 naming the param), 409/404, persistence across an engine restart, the
// secret never in any command output, account_update semantics, reg_reload, statistics, and
// match_inbound for the three matchtypes. Registration traffic is covered by tests/sip.
// Threading: commands go through the dispatcher to the engine thread; match_inbound and the
// other C++ calls are posted to the engine thread and awaited (bounded).
#include "gateway/accounts/accounts.h"

#include <chrono>
#include <future>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "gateway/accounts/accounts_commands.h"
#include "gateway/engine/engine.h"
#include "gateway/engine/services.h"
#include "gateway/sip/sip_stack.h"
#include "gateway/store/database.h"
#include "mi/dispatcher.h"
#include "mi/registry.h"
#include "support/engine_harness.h"
#include "support/mi_harness.h"
#include "support/temp_dir.h"

namespace sb::gateway {
namespace {

using namespace std::chrono_literals;
using mi::Result;
using mi::Value;
using test::TempDir;

const std::string kSecret = "Very-Distinctive-Secret-77";

class AccountsTest : public ::testing::Test, public sb::test::MiHarness {
 protected:
  AccountsTest() { register_accounts_commands(registry_, services_); }
  void SetUp() override { start(); }
  void TearDown() override { stop(); }

  void start(std::vector<std::string> listen = {"udp:127.0.0.1:0"}) {
    engine_.start(
        [this, listen](su_root_s* root, Database& db) {
          sip_ = std::make_unique<SipStack>(SipConfig{listen, 500, "accounts-test"}, stats_);
          sip_->start(root);
          accounts_ = std::make_unique<Accounts>(db, *sip_, engine_.engine(), root, AccountsConfig{}, stats_);
          loaded_ = accounts_->load();
          services_.db = &db;
          services_.sip = sip_.get();
          services_.accounts = accounts_.get();
        },
        [this] {
          services_ = SipServices{};
          accounts_.reset();
          if (sip_) sip_->destroy();
          sip_.reset();
        });
  }
  void stop() { engine_.stop(); }

  /// account_add with named params; `extra` adds or overrides fields.
  Result add(const std::string& name, Value extra = Value::object()) {
    Value p = {{"name", name}, {"address", "192.0.2.10:5060"}, {"username", "u-" + name}, {"secret", kSecret},
               {"register", false}};
    for (auto& [k, v] : extra.items()) p[k] = v;
    return call("account_add", p);
  }
  /// The reason of a failed call (fails the test when it succeeded).
  std::string error_of(const Result& r) {
    EXPECT_FALSE(r.ok()) << (r.ok() ? r.value().dump() : "");
    return r.ok() ? std::string() : std::to_string(r.error().code) + " " + r.error().reason;
  }

  TempDir tmp_;
  SipServices services_;
  std::unique_ptr<SipStack> sip_;       // engine thread
  std::unique_ptr<Accounts> accounts_;  // engine thread
  std::size_t loaded_ = 0;
  sb::test::EngineHarness engine_{dispatcher_, tmp_ / "sb.db"};  // last: stopped first
};

TEST_F(AccountsTest, EveryCommandIsInModuleAccounts) {
  for (const char* n : {"account_add", "account_update", "account_rm", "account_list", "reg_list", "reg_reload"}) {
    const mi::CommandSpec* s = registry_.find(n);
    ASSERT_NE(s, nullptr) << n;
    EXPECT_EQ(s->module, "accounts");
    EXPECT_TRUE(s->has(mi::kEngine)) << n;
  }
}

TEST_F(AccountsTest, AddReturnsTheAccountWithDefaultsAndWithoutTheSecret) {
  Result r = call("account_add", Value::array({"trunk1", "127.0.0.1:9", "alice", kSecret}));
  ASSERT_TRUE(r.ok()) << r.error().reason;
  const Value& v = r.value();
  EXPECT_EQ(v["name"], "trunk1");
  EXPECT_EQ(v["address"], "127.0.0.1:9");
  EXPECT_EQ(v["transport"], "udp");
  EXPECT_EQ(v["username"], "alice");
  EXPECT_EQ(v["auth_user"], "");
  EXPECT_EQ(v["has_secret"], true);
  EXPECT_EQ(v["domain"], "");
  EXPECT_EQ(v["register"], true);
  EXPECT_EQ(v["expires"], 3600);
  EXPECT_EQ(v["matchtype"], "address");
  EXPECT_EQ(v["options"], Value::object());
  EXPECT_FALSE(v.contains("secret"));
  EXPECT_EQ(v.dump().find(kSecret), std::string::npos);
  EXPECT_EQ(error_of(add("trunk1")), "409 Account already exists");
}

TEST_F(AccountsTest, BadValuesAre400NamingTheParam) {
  struct Case {
    const char* param;
    Value value;
    const char* fragment;
  };
  const Case cases[] = {
      {"name", "", "must not be empty"},
      {"name", "has space", "may only contain"},
      {"name", "-lead", "must start with a letter or a digit"},
      {"name", std::string(65, 'a'), "longer than 64"},
      {"address", "", "the host is missing"},
      {"address", "host:0", "port must be 1..65535"},
      {"address", "host:65536", "port must be 1..65535"},
      {"address", "host:", "port must be 1..65535"},
      {"address", "host:50x", "port must be 1..65535"},
      {"address", "sip:host", "port must be 1..65535"},
      {"address", "2001:db8::1", "in brackets"},
      {"address", "[2001:db8::zz]:5060", "not an IPv6 address"},
      {"address", "bad_host!", "not a host name"},
      {"address", "a..b", "not a host name"},
      {"transport", "tls", "must be one of: udp, tcp"},
      {"username", "", "must not be empty"},
      {"username", "al ice", "contains a blank"},
      {"username", "alice@example.com", "@"},
      {"auth_user", "a;b", "contains"},
      {"displayname", "say \"hi\"", "'\"'"},
      {"domain", "example.com:5060", "expected a host"},
      {"expires", 59, "60..86400"},
      {"expires", 86401, "60..86400"},
      {"matchtype", "ip", "must be one of: address, address_user, to_user"},
      {"options", "[1]", "expected a JSON object"},
      {"options", "{nope", "not JSON"},
      {"options", R"({"colour": 1})", "unknown key 'colour'"},
      {"options", R"({"channels": 0})", "channels must be an integer 1..1000"},
      {"options", R"({"channels": 1001})", "1..1000"},
      {"options", R"({"failover_causes": [503, 99]})", "300..699"},
      {"options", R"({"failover_causes": 503})", "must be an array"},
  };
  for (const Case& c : cases) {
    Value extra = {{c.param, c.value}};
    std::string name = c.param == std::string("name") ? c.value.get<std::string>() : "acct";
    Result r = c.param == std::string("name") ? call("account_add", {{"name", name}, {"address", "h"},
                                                                       {"username", "u"}, {"secret", "s"}})
                                              : add(name, extra);
    ASSERT_FALSE(r.ok()) << c.param << "=" << c.value.dump();
    EXPECT_EQ(r.error().code, 400);
    EXPECT_EQ(r.error().kind, mi::ErrorKind::bad_param);
    EXPECT_NE(r.error().reason.find(std::string("'") + c.param + "'"), std::string::npos) << r.error().reason;
    EXPECT_NE(r.error().reason.find(c.fragment), std::string::npos) << c.param << ": " << r.error().reason;
  }
  // Nothing was stored by the refused calls.
  Result list = call("account_list");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list.value()["Accounts"].empty()) << list.value().dump();
  // Valid edge values.
  EXPECT_TRUE(add("v6", {{"address", "[2001:db8::1]:5060"}, {"expires", 60}}).ok());
  EXPECT_TRUE(add("fqdn", {{"address", "sip.example.com.:65535"}, {"expires", 86400}}).ok());
  EXPECT_TRUE(add("opts", {{"options", R"({"failover_causes": [503, 408], "channels": 30})"}}).ok());
}

TEST_F(AccountsTest, ATransportWithoutAListenerIsRefused) {
  std::string e = error_of(add("t", {{"transport", "tcp"}}));
  EXPECT_NE(e.find("400 Bad parameter 'transport': no tcp listener"), std::string::npos) << e;
}

TEST_F(AccountsTest, TheSecretIsStoredButNeverPrinted) {
  ASSERT_TRUE(add("a1", {{"auth_user", "a1-auth"}, {"options", R"({"channels": 5})"}}).ok());
  ASSERT_TRUE(add("a2", {{"secret", ""}}).ok());
  // Stored in clear: it is needed to answer challenges.
  {
    Database db(DatabaseOptions{tmp_ / "sb.db"});
    auto st = db.prepare("SELECT secret FROM sip_account WHERE name = 'a1'");
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.text(0), kSecret);
  }
  for (const char* cmd : {"account_list", "reg_list"}) {
    Result r = call(cmd);
    ASSERT_TRUE(r.ok()) << cmd;
    EXPECT_EQ(r.value().dump().find(kSecret), std::string::npos) << cmd << ": " << r.value().dump();
  }
  Result list = call("account_list");
  const Value& accounts = list.value()["Accounts"];
  ASSERT_EQ(accounts.size(), 2u);
  EXPECT_EQ(accounts[0]["name"], "a1");
  EXPECT_EQ(accounts[0]["has_secret"], true);
  EXPECT_EQ(accounts[0]["options"]["channels"], 5);
  EXPECT_EQ(accounts[0]["state"], "disabled");
  EXPECT_EQ(accounts[1]["has_secret"], false);
  Result updated = call("account_update", {{"name", "a1"}, {"secret", "another-" + kSecret}});
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated.value().dump().find(kSecret), std::string::npos);
}

TEST_F(AccountsTest, AccountsPersistAcrossAnEngineRestart) {
  ASSERT_TRUE(add("p1", {{"displayname", "Trunk One"}, {"domain", "example.net"}, {"matchtype", "to_user"},
                         {"expires", 120}, {"options", R"({"failover_causes": [503]})"}})
                  .ok());
  ASSERT_TRUE(add("p2").ok());
  ASSERT_TRUE(call("account_rm", {{"name", "p2"}}).ok());
  stop();
  start();
  EXPECT_EQ(loaded_, 1u);
  Result list = call("account_list");
  ASSERT_TRUE(list.ok());
  const Value& accounts = list.value()["Accounts"];
  ASSERT_EQ(accounts.size(), 1u) << accounts.dump();
  EXPECT_EQ(accounts[0]["name"], "p1");
  EXPECT_EQ(accounts[0]["displayname"], "Trunk One");
  EXPECT_EQ(accounts[0]["domain"], "example.net");
  EXPECT_EQ(accounts[0]["matchtype"], "to_user");
  EXPECT_EQ(accounts[0]["expires"], 120);
  EXPECT_EQ(accounts[0]["register"], false);
  EXPECT_EQ(accounts[0]["options"]["failover_causes"], Value::array({503}));
  auto secret = engine_.on_engine([this] { return accounts_->find("p1")->secret; });
  EXPECT_EQ(secret, kSecret) << "the secret survives the restart (needed for challenges)";
}

TEST_F(AccountsTest, UpdateChangesOnlyTheGivenFields) {
  ASSERT_TRUE(add("u1", {{"displayname", "Keep"}, {"expires", 300}}).ok());
  Result r = call("account_update", {{"name", "u1"}, {"address", "198.51.100.7"}, {"matchtype", "address_user"}});
  ASSERT_TRUE(r.ok()) << r.error().reason;
  EXPECT_EQ(r.value()["address"], "198.51.100.7");
  EXPECT_EQ(r.value()["matchtype"], "address_user");
  EXPECT_EQ(r.value()["displayname"], "Keep");
  EXPECT_EQ(r.value()["expires"], 300);
  EXPECT_EQ(r.value()["username"], "u-u1");
  EXPECT_EQ(error_of(call("account_update", {{"name", "nope"}, {"expires", 100}})), "404 Account not found");
  std::string e = error_of(call("account_update", {{"name", "u1"}, {"expires", 5}}));
  EXPECT_NE(e.find("'expires'"), std::string::npos) << e;
  EXPECT_EQ(error_of(call("account_rm", {{"name", "nope"}})), "404 Account not found");
  // The stored row follows.
  Database db(DatabaseOptions{tmp_ / "sb.db"});
  auto st = db.prepare("SELECT address, matchtype, displayname, expires FROM sip_account WHERE name = 'u1'");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.text(0), "198.51.100.7");
  EXPECT_EQ(st.text(1), "address_user");
  EXPECT_EQ(st.text(2), "Keep");
  EXPECT_EQ(st.integer(3), 300);
}

TEST_F(AccountsTest, RegReloadReadsRowsWrittenBehindItsBack) {
  ASSERT_TRUE(add("r1").ok());
  ASSERT_TRUE(add("r2").ok());
  {
    Database db(DatabaseOptions{tmp_ / "sb.db"});
    db.exec("DELETE FROM sip_account WHERE name = 'r2'");
    db.exec("UPDATE sip_account SET username = 'changed' WHERE name = 'r1'");
    db.exec("INSERT INTO sip_account SELECT 'r3', address, transport, username, auth_user, secret, displayname, "
            "domain, register, expires, matchtype, options, created, modified, version FROM sip_account WHERE name = 'r1'");
    db.exec("INSERT INTO sip_account SELECT 'bad', 'no such host!', transport, username, auth_user, secret, "
            "displayname, domain, register, expires, matchtype, options, created, modified, version FROM sip_account "
            "WHERE name = 'r1'");
  }
  Result r = call("reg_reload");
  ASSERT_TRUE(r.ok()) << r.error().reason;
  EXPECT_EQ(r.value()["accounts"], 2) << "r1 and r3; the invalid row is skipped";
  Result list = call("account_list");
  const Value& accounts = list.value()["Accounts"];
  ASSERT_EQ(accounts.size(), 2u) << accounts.dump();
  EXPECT_EQ(accounts[0]["name"], "r1");
  EXPECT_EQ(accounts[0]["username"], "changed");
  EXPECT_EQ(accounts[1]["name"], "r3");
}

TEST_F(AccountsTest, RegListShowsEveryAccount) {
  ASSERT_TRUE(add("l1", {{"domain", "example.org"}}).ok());
  Result r = call("reg_list");
  ASSERT_TRUE(r.ok());
  const Value& regs = r.value()["Registrations"];
  ASSERT_EQ(regs.size(), 1u);
  const Value& e = regs[0];
  for (const char* key : {"name", "state", "registrar", "next_hop", "contact", "expires", "expires_in", "last_error",
                          "last_change", "failures", "next_retry_in", "refresh_in"})
    EXPECT_TRUE(e.contains(key)) << key << " in " << e.dump();
  EXPECT_EQ(e["state"], "disabled");
  EXPECT_EQ(e["registrar"], "sip:example.org");
  EXPECT_EQ(e["next_hop"], "sip:192.0.2.10:5060;transport=udp");
  EXPECT_EQ(e["expires"], 0);
}

TEST_F(AccountsTest, StatisticsCountAccounts) {
  auto value = [this](const std::string& name) {
    auto found = stats_.match({name});
    return found.size() == 1 ? found.front()->get() : -1;
  };
  EXPECT_EQ(value("accounts:accounts"), 0);
  ASSERT_TRUE(add("s1").ok());
  ASSERT_TRUE(add("s2").ok());
  EXPECT_EQ(value("accounts:accounts"), 2);
  EXPECT_EQ(value("accounts:registered"), 0);
  ASSERT_TRUE(call("account_rm", {{"name", "s1"}}).ok());
  EXPECT_EQ(value("accounts:accounts"), 1);
  for (const char* n : {"accounts:reg_sent", "accounts:reg_failures", "accounts:reg_state_changes",
                        "accounts:auth_challenges"})
    EXPECT_GE(value(n), 0) << n;
}

TEST_F(AccountsTest, MatchInboundByTheThreeMatchtypes) {
  ASSERT_TRUE(add("by_ip", {{"address", "192.0.2.10"}}).ok());
  ASSERT_TRUE(add("by_ip_port", {{"address", "192.0.2.10:5080"}}).ok());
  ASSERT_TRUE(add("by_ip_user", {{"address", "192.0.2.10:5060"}, {"matchtype", "address_user"},
                                 {"username", "pbx1"}})
                  .ok());
  ASSERT_TRUE(add("by_to", {{"address", "203.0.113.5"}, {"matchtype", "to_user"}, {"username", "4930123"}}).ok());
  ASSERT_TRUE(add("v6", {{"address", "[2001:db8::1]:5060"}}).ok());
  auto match = [this](const std::string& host, unsigned port, const std::string& from, const std::string& to,
                      bool tcp = false) {
    return engine_.on_engine([&] {
      auto a = accounts_->match_inbound(host, port, tcp, from, to);
      return a ? a->name : std::string("-");
    });
  };
  // address_user wins when the From user matches too.
  EXPECT_EQ(match("192.0.2.10", 5060, "pbx1", "x"), "by_ip_user");
  // address: the one naming the source port first, then the one without a port.
  EXPECT_EQ(match("192.0.2.10", 5080, "someone", "x"), "by_ip_port");
  EXPECT_EQ(match("192.0.2.10", 5060, "someone", "x"), "by_ip");
  // to_user: any source, To user = username.
  EXPECT_EQ(match("198.51.100.99", 5060, "a", "4930123"), "by_to");
  EXPECT_EQ(match("198.51.100.99", 5060, "a", "other"), "-");
  // IPv6 compares as an address (another spelling of the same one).
  EXPECT_EQ(match("2001:db8:0::1", 5060, "a", "b"), "v6");
  EXPECT_EQ(match("[2001:db8::1]", 5060, "a", "b"), "v6");
  // address_user needs the right IP too.
  EXPECT_EQ(match("192.0.2.11", 5060, "pbx1", "x"), "-");
  // An account whose address names another port: over UDP the port must be the account's (a
  // peer on the same host but another port is not the trunk); over TCP, whose connections come
  // from ephemeral ports, the host is enough when nothing better matches.
  ASSERT_TRUE(call("account_rm", {{"name", "by_ip"}}).ok());
  EXPECT_EQ(match("192.0.2.10", 5999, "someone", "x"), "-");
  EXPECT_EQ(match("192.0.2.10", 5999, "someone", "x", true), "by_ip_port");
  EXPECT_EQ(engine_.on_engine([this] { return accounts_->registration_state("by_to"); }), "disabled");
  EXPECT_EQ(engine_.on_engine([this] { return accounts_->registration_state("nope"); }), "");
  EXPECT_EQ(engine_.on_engine([this] { return accounts_->find("nope") == nullptr; }), true);
}

TEST_F(AccountsTest, CommandsAnswer503WithoutTheEngine) {
  stop();
  Result r = call("account_list");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 503);
  start();
}

}  // namespace
}  // namespace sb::gateway
