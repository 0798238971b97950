// persistence_test.cpp: usrloc bindings and subscribers survive a kill -9 and a restart (every
// change is committed to SQLite before it is acknowledged); a call cut by kill -9 keeps its CDR.
#include <signal.h>

#include <gtest/gtest.h>

#include "sip/calls_util.h"
#include "sip/sip_test_util.h"

namespace sb::test::sip {
namespace {


bool has_subscriber(const json& list, const std::string& user, const std::string& domain) {
  for (const auto& s : list)
    if (s.value("username", "") == user && s.value("domain", "") == domain) return true;
  return false;
}

TEST(SipPersistence, RegistrationAndSubscriberSurviveKill9) {
  // The first daemon object stays alive (its destructor would remove the database).
  TestDaemon first;
  SipPeer peer(first.sip_port());
  ASSERT_EQ(rpc(first, "subscriber_add", {"alice", "example.com", "s3cret"})["result"], "OK");
  auto r = make_register("alice", "example.com",
                         {"<" + peer.contact_uri("alice") + ">;expires=600;q=0.7"});
  r.user_agent = "persist-ua";
  r.cseq_number = 42;
  auto a = peer.request(r, kReply);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->status, 200) << a->raw;
  // Acknowledged = committed: kill -9 right after the 200.
  EXPECT_EQ(first.stop(SIGKILL), 128 + SIGKILL);

  TestDaemon second({"core.db=" + first.db_path(), "registrar.auth=on"});
  EXPECT_NE(second.log().find("1 bindings loaded"), std::string::npos) << second.log();
  json cs = show_contacts(second, "alice@example.com");
  ASSERT_EQ(cs.size(), 1u) << second.log();
  EXPECT_EQ(cs[0]["Contact"], peer.contact_uri("alice"));
  EXPECT_EQ(cs[0]["Callid"], r.call_id);
  EXPECT_EQ(cs[0]["Cseq"], 42);
  EXPECT_EQ(cs[0]["Q"], "0.7");
  EXPECT_EQ(cs[0]["User-agent"], "persist-ua");
  EXPECT_EQ(cs[0]["Received"], "sip:127.0.0.1:" + std::to_string(peer.port()));
  ASSERT_TRUE(cs[0]["Expires"].is_number());
  EXPECT_GE(cs[0]["Expires"].get<int>(), 590);
  EXPECT_LE(cs[0]["Expires"].get<int>(), 600);
  EXPECT_EQ(second.stat("usrloc:location-contacts"), 1);

  json subs = rpc(second, "subscriber_list");
  ASSERT_TRUE(subs.contains("result")) << subs.dump();
  EXPECT_TRUE(has_subscriber(subs["result"]["Subscribers"], "alice", "example.com")) << subs.dump();
  // The stored HA1 is usable: the restarted daemon authenticates alice with her password.
  SipPeer peer2(second.sip_port());
  auto r2 = make_register("alice", "example.com", {"<" + peer2.contact_uri("alice2") + ">"}, "300");
  auto c = peer2.request(r2, kReply);
  ASSERT_TRUE(c);
  ASSERT_EQ(c->status, 401) << c->raw;
  next_cseq(r2);
  r2.authorization = digest_authorization("alice", "s3cret", "sip:example.com", auth_params(c->header("WWW-Authenticate")));
  c = peer2.request(r2, kReply);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, 200) << c->raw;
  EXPECT_EQ(c->contacts().size(), 2u) << "the loaded binding and the new one: " << c->raw;
  expect_clean_stop(second);
}

TEST(SipPersistence, UlAddAndRemovalsSurviveSigtermRestart) {
  TestDaemon first;
  ASSERT_EQ(rpc(first, "ul_add", {"location", "carol@example.com", "sip:carol@192.0.2.1:5060", 600, "0.5"})["result"], "OK");
  ASSERT_EQ(rpc(first, "ul_add", {"location", "carol@example.com", "sip:carol@192.0.2.2:5060", 0})["result"], "OK");
  ASSERT_EQ(rpc(first, "ul_add", {"location", "gone@example.com", "sip:gone@192.0.2.3", 600})["result"], "OK");
  ASSERT_EQ(rpc(first, "ul_add", {"location", "dan@example.com", "sip:dan@192.0.2.4", 600})["result"], "OK");
  ASSERT_EQ(rpc(first, "ul_add", {"location", "dan@example.com", "sip:dan@192.0.2.5", 600})["result"], "OK");
  ASSERT_EQ(rpc(first, "ul_rm", {"location", "gone@example.com"})["result"], "OK");
  ASSERT_EQ(rpc(first, "ul_rm_contact", {"location", "dan@example.com", "sip:dan@192.0.2.4"})["result"], "OK");
  ASSERT_EQ(rpc(first, "subscriber_add", {"carol", "example.com", "pw"})["result"], "OK");
  ASSERT_EQ(rpc(first, "subscriber_add", {"temp", "example.com", "pw"})["result"], "OK");
  ASSERT_EQ(rpc(first, "subscriber_rm", {"temp", "example.com"})["result"], "OK");
  expect_clean_stop(first);

  TestDaemon second({"core.db=" + first.db_path()});
  json cs = show_contacts(second, "carol@example.com");
  ASSERT_EQ(cs.size(), 2u) << cs.dump();
  json timed = find_contact(cs, "sip:carol@192.0.2.1:5060");
  json permanent = find_contact(cs, "sip:carol@192.0.2.2:5060");
  ASSERT_FALSE(timed.is_null());
  ASSERT_FALSE(permanent.is_null());
  EXPECT_EQ(timed["Q"], "0.5");
  ASSERT_TRUE(timed["Expires"].is_number());
  EXPECT_GE(timed["Expires"].get<int>(), 590);
  EXPECT_EQ(permanent["Expires"], "permanent");
  EXPECT_EQ(permanent["Callid"], "ul_add@switchboard.mi");
  EXPECT_EQ(rpc(second, "ul_show_contact", {"location", "gone@example.com"})["error"]["code"], 404);
  json dan = show_contacts(second, "dan@example.com");
  ASSERT_EQ(dan.size(), 1u) << dan.dump();
  EXPECT_EQ(dan[0]["Contact"], "sip:dan@192.0.2.5");
  json subs = rpc(second, "subscriber_list")["result"]["Subscribers"];
  EXPECT_TRUE(has_subscriber(subs, "carol", "example.com")) << subs.dump();
  EXPECT_FALSE(has_subscriber(subs, "temp", "example.com")) << subs.dump();
  // ul_dump of the restarted daemon: exactly the two AORs left.
  json dump = rpc(second, "ul_dump", json::array({1}));
  ASSERT_TRUE(dump.contains("result")) << dump.dump();
  EXPECT_EQ(dump["result"]["Domains"][0]["AORs"].size(), 2u) << dump.dump();
  expect_clean_stop(second);
}

TEST(SipPersistence, ExpiredBindingsAreNotResurrected) {
  TestDaemon first({"registrar.min_expires=1"});
  SipPeer peer(first.sip_port());
  auto r = make_register("ghost", "example.com", {"<" + peer.contact_uri("ghost") + ">;expires=1"});
  auto a = peer.request(r, kReply);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->status, 200) << a->raw;
  ASSERT_TRUE(rpc(first, "ul_add", {"location", "kept@example.com", "sip:kept@192.0.2.9", 0}).contains("result"));
  // Killed before (or right after) the sweep: the row may still be in the database.
  EXPECT_EQ(first.stop(SIGKILL), 128 + SIGKILL);
  std::this_thread::sleep_for(2100ms);
  TestDaemon second({"core.db=" + first.db_path()});
  EXPECT_EQ(rpc(second, "ul_show_contact", {"location", "ghost@example.com"})["error"]["code"], 404);
  EXPECT_EQ(show_contacts(second, "kept@example.com").size(), 1u);
  EXPECT_EQ(second.stat("usrloc:location-contacts"), 1);
  expect_clean_stop(second);
}

TEST(SipPersistence, ACallCutByKill9KeepsItsCdrClosedAtTheRestart) {
  // Billing never loses a call: the CDR row is written when the call starts, its answer time
  // when it is answered, and a row left open by a killed daemon is closed at the next start.
  TestDaemon first;
  ok(first, "port_add", {{"port", 5}, {"driver", "virtual"}});
  ok(first, "port_group_add", {{"name", "isdn"}, {"ports", "5"}});
  add_rule(first, {{"src", "group:isdn"}, {"dest_match", "^0(bob)$"}, {"dest_rewrite", "\\1"},
                   {"target", "user:${dest}"}});
  SipPeer bob(first.sip_port());
  register_user(bob, "bob");
  bob.serve(answering_callee(bob.port()));
  json placed = ok(first, "port_call", {{"port", 5}, {"number", "0bob"}});
  ASSERT_TRUE(placed.contains("id")) << placed.dump();
  ASSERT_TRUE(wait_until([&] {
    json l = calls(first);
    return l.size() == 1 && l[0]["state"] == "answered";
  }, 3s)) << calls(first).dump();
  json open = ok(first, "cdr_list")["CDRs"];
  ASSERT_EQ(open.size(), 1u) << open.dump();
  EXPECT_EQ(open[0]["reason"], "in progress");
  EXPECT_EQ(open[0]["end_ms"], 0);
  EXPECT_GT(open[0]["answer_ms"].get<long long>(), 0) << "the answer time is written at the answer";
  EXPECT_EQ(ok(first, "cdr_flush", {{"older_than_days", 0}})["deleted"], 0)
      << "cdr_flush keeps the rows of calls up";
  EXPECT_EQ(ok(first, "cdr_list")["CDRs"].size(), 1u);
  EXPECT_EQ(first.stop(SIGKILL), 128 + SIGKILL);

  TestDaemon second({"core.db=" + first.db_path()});
  EXPECT_NE(second.log().find("1 CDR(s) left open by the previous run"), std::string::npos) << second.log();
  json cdrs = ok(second, "cdr_list")["CDRs"];
  ASSERT_EQ(cdrs.size(), 1u) << cdrs.dump();
  EXPECT_EQ(cdrs[0]["call"], placed["id"]);
  EXPECT_EQ(cdrs[0]["source"], "port:5");
  EXPECT_EQ(cdrs[0]["sip_code"], 200);
  EXPECT_EQ(cdrs[0]["cause"], 41);
  EXPECT_NE(cdrs[0]["reason"].get<std::string>().find("daemon restart"), std::string::npos) << cdrs.dump();
  EXPECT_GE(cdrs[0]["end_ms"].get<long long>(), cdrs[0]["answer_ms"].get<long long>());
  EXPECT_EQ(cdrs[0]["duration_ms"].get<long long>(),
            cdrs[0]["end_ms"].get<long long>() - cdrs[0]["answer_ms"].get<long long>());
  expect_clean_stop(second);
}

}  // namespace
}  // namespace sb::test::sip
