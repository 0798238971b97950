// calls_test.cpp: the call engine against the real daemon with scripted SIP peers — a call to a
// virtual line (dialplan rewrite with back-references, SDP answer, BYE, CDR), a call between two
// registered subscribers (SDP passed through, ACK relayed, BYE from the callee), CANCEL before
// the answer, busy with failover to the next rule, no answer, a blocked port, dp_reload and
// port_block while a call is up, call_finish, port_restart, an unknown caller, and the
// call_stats / call_durations / cdr_list / cdr_flush commands.
#include <gtest/gtest.h>

#include "sip/calls_util.h"

namespace sb::test::sip {
namespace {

/// Port 1: a virtual line that answers after 100 ms; group "lab"; rule ^9(\d+)$ → \1 to it.
void lab_setup(const TestDaemon& d, const std::string& port_options = R"({"mode":"answer","answer_after_ms":100,"ring_after_ms":0})") {
  ok(d, "port_add", {{"port", 1}, {"driver", "virtual"}, {"channels", 2}, {"options", port_options}});
  ok(d, "port_group_add", {{"name", "lab"}, {"ports", "1"}});
  add_rule(d, {{"src", "any"}, {"dest_match", "^9(\\d+)$"}, {"dest_rewrite", "\\1"}, {"target", "group:lab"},
               {"src_match", "^(.*)$"}, {"src_rewrite", "49\\1"}});
}

TEST(SipCalls, CallToAVirtualLineRewritesAnswersAndWritesACdr) {
  TestDaemon d;
  lab_setup(d);
  SipPeer alice(d.sip_port());
  register_user(alice, "alice");
  Caller c{alice, d};
  c.call("9123");
  auto final = c.wait_response(200);
  ASSERT_TRUE(final) << d.log();
  EXPECT_EQ(final->status, 200) << final->raw;
  EXPECT_NE(std::find(c.statuses.begin(), c.statuses.end(), 180), c.statuses.end()) << "rang first";
  EXPECT_FALSE(c.to_tag.empty());
  EXPECT_NE(c.answer_sdp.find("m=audio 40002 RTP/AVP 8"), std::string::npos)
      << "the line answers with the first offered codec: " << c.answer_sdp;
  EXPECT_NE(c.answer_sdp.find("a=rtpmap:8 PCMA/8000"), std::string::npos) << c.answer_sdp;
  c.ack();

  json list = calls(d);
  ASSERT_EQ(list.size(), 1u) << list.dump();
  EXPECT_EQ(list[0]["state"], "answered");
  EXPECT_EQ(list[0]["called"], "9123");
  EXPECT_EQ(list[0]["new_called"], "123") << "\\1 of ^9(\\d+)$";
  EXPECT_EQ(list[0]["new_caller"], "49alice") << "the caller side is rewritten too";
  EXPECT_EQ(list[0]["target"], "port:1");
  EXPECT_EQ(list[0]["source"], "subscriber:alice@example.com");
  json ports = ok(d, "port_list")["Ports"];
  EXPECT_EQ(ports[0]["in_use"], 1) << ports.dump();
  json compact = ok(d, "call_list", {{"compact", "compact"}})["Calls"];
  ASSERT_EQ(compact.size(), 1u);
  EXPECT_NE(compact[0].get<std::string>().find("answered"), std::string::npos) << compact.dump();
  json shown = ok(d, "call_show", {{"id", list[0]["id"]}});
  EXPECT_EQ(shown["legs"][0]["type"], "sip");
  EXPECT_EQ(shown["legs"][1]["type"], "virtual");
  EXPECT_EQ(shown["legs"][1]["port"], 1);

  // The connected time grows: within 3 s call_durations shows a whole second.
  json durations;
  EXPECT_TRUE(wait_until([&] {
    durations = ok(d, "call_durations");
    return durations["Connected"].size() == 1 && durations["Connected"][0]["duration_s"].get<int>() >= 1;
  }, 3s)) << durations.dump();
  ASSERT_EQ(durations["Connected"].size(), 1u) << durations.dump();

  EXPECT_EQ(c.bye(), 200);
  EXPECT_TRUE(wait_until([&] { return calls(d).empty(); }, 2s));
  EXPECT_EQ(ok(d, "port_list")["Ports"][0]["in_use"], 0);
  json cdrs = ok(d, "cdr_list");
  ASSERT_EQ(cdrs["CDRs"].size(), 1u) << cdrs.dump();
  json cdr = cdrs["CDRs"][0];
  EXPECT_EQ(cdr["called"], "9123");
  EXPECT_EQ(cdr["new_called"], "123");
  EXPECT_EQ(cdr["target"], "port:1");
  EXPECT_EQ(cdr["sip_code"], 200);
  EXPECT_EQ(cdr["cause"], 16);
  EXPECT_GE(cdr["duration_ms"].get<long long>(), 1000);
  EXPECT_GT(cdr["answer_ms"].get<long long>(), 0);
  json st = ok(d, "call_stats", {{"per_port", "per_port"}});
  EXPECT_EQ(st["total"], 1);
  EXPECT_EQ(st["answered"], 1);
  EXPECT_EQ(st["ports"][0]["answered"], 1);
  expect_clean_stop(d);
}

TEST(SipCalls, CallBetweenTwoSubscribersPassesSdpAndTheCalleeHangsUp) {
  TestDaemon d;
  add_rule(d, {{"src", "subscriber"}, {"dest_match", "^bob$"}, {"dest_rewrite", ""}, {"target", "user:${dest}"}});
  SipPeer alice(d.sip_port()), bob(d.sip_port());
  register_user(alice, "alice");
  register_user(bob, "bob");
  bob.serve(answering_callee(bob.port()));
  Caller c{alice, d};
  c.call("bob");
  auto final = c.wait_response(200);
  ASSERT_TRUE(final) << d.log();
  ASSERT_EQ(final->status, 200) << final->raw;
  EXPECT_EQ(c.answer_sdp, kAnswerSdp) << "the callee's SDP passes through untouched";
  auto inv = bob.wait_for_method("INVITE", 2s);
  ASSERT_TRUE(inv);
  EXPECT_EQ(inv->body, kOfferSdp) << "the caller's SDP passes through untouched";
  EXPECT_EQ(inv->uri, bob.contact_uri("bob")) << "sent to bob's registered contact";
  EXPECT_EQ(header_uri(inv->header("From")).rfind("sip:alice@", 0), 0u) << inv->raw;
  EXPECT_NE(inv->header("Call-ID"), c.invite.call_id) << "a B2BUA: a dialog of its own";
  c.ack();
  EXPECT_TRUE(bob.wait_for_method("ACK", 2s)) << "the ACK reaches the callee";

  // A re-INVITE (hold) from the caller is relayed with its SDP; the callee's answer comes back.
  const std::string hold = kOfferSdp.substr(0, kOfferSdp.find("a=sendrecv")) + "a=sendonly\r\n";
  auto re = c.reinvite(hold, 2);
  ASSERT_TRUE(re) << "no answer to the re-INVITE";
  EXPECT_EQ(re->status, 200) << re->raw;
  EXPECT_EQ(re->body, kAnswerSdp);
  c.ack(2);
  auto relayed = bob.wait_for([&](const SipMessage& m) { return m.method == "INVITE" && m.body == hold; }, 2s);
  ASSERT_TRUE(relayed) << "the callee gets the re-INVITE with the caller's new SDP";
  EXPECT_EQ(relayed->header("Call-ID"), inv->header("Call-ID")) << "on the same dialog";
  EXPECT_FALSE(relayed->to_tag().empty());
  EXPECT_TRUE(wait_until([&] { return bob.count("ACK") >= 2; }, 2s)) << "the re-INVITE's 200 is ACKed";

  // Bob hangs up: a BYE on his dialog reaches Alice.
  std::string daemon_contact = header_uri(inv->header("Contact"));
  std::string bye = "BYE " + daemon_contact + " SIP/2.0\r\nVia: SIP/2.0/UDP " + bob.host_port() +
                    ";branch=z9hG4bK" + SipPeer::random_token() + "\r\nFrom: " + inv->header("To") +
                    ";tag=peer-tag-1\r\nTo: " + inv->header("From") + "\r\nCall-ID: " + inv->header("Call-ID") +
                    "\r\nCSeq: 1 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(d.sip_port()));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bob.send_to(bye, to);
  auto got = c.expect_request("BYE");
  ASSERT_TRUE(got) << "the caller gets the BYE";
  EXPECT_EQ(got->header("Call-ID"), c.invite.call_id);
  EXPECT_TRUE(wait_until([&] { return calls(d).empty(); }, 2s));
  json cdr = ok(d, "cdr_list")["CDRs"][0];
  EXPECT_EQ(cdr["target"], "user:bob@example.com");
  EXPECT_EQ(cdr["reason"], "callee hung up");
  expect_clean_stop(d);
}

TEST(SipCalls, CancelBeforeTheAnswer) {
  TestDaemon d;
  lab_setup(d, R"({"mode":"ring"})");
  SipPeer alice(d.sip_port());
  register_user(alice, "alice");
  Caller c{alice, d};
  c.call("9555");
  auto ringing = c.wait_response(180);
  ASSERT_TRUE(ringing);
  EXPECT_EQ(ringing->status, 180);
  EXPECT_EQ(calls(d)[0]["state"], "ringing");
  c.cancel();
  auto final = c.wait_response(200);
  ASSERT_TRUE(final);
  EXPECT_EQ(final->status, 487) << final->raw;
  EXPECT_TRUE(wait_until([&] { return calls(d).empty(); }, 2s));
  json cdr = ok(d, "cdr_list")["CDRs"][0];
  EXPECT_EQ(cdr["sip_code"], 487);
  EXPECT_EQ(cdr["answer_ms"], 0);
  EXPECT_EQ(ok(d, "call_stats")["cancelled"], 1);
  EXPECT_EQ(ok(d, "port_list")["Ports"][0]["in_use"], 0) << "the channel is released";
  expect_clean_stop(d);
}

TEST(SipCalls, BusyFailsOverToTheNextRuleAndBusyWithoutFailoverIsRelayed) {
  TestDaemon d;
  ok(d, "port_add", {{"port", 1}, {"driver", "virtual"}, {"options", R"({"mode":"busy"})"}});
  ok(d, "port_add", {{"port", 2}, {"driver", "virtual"}, {"options", R"({"mode":"answer","answer_after_ms":0})"}});
  ok(d, "port_group_add", {{"name", "busy"}, {"ports", "1"}});
  ok(d, "port_group_add", {{"name", "spare"}, {"ports", "2"}});
  add_rule(d, {{"src", "any"}, {"dest_match", "^1"}, {"dest_rewrite", ""}, {"target", "group:busy"},
               {"options", R"({"failover_causes":[486]})"}});
  add_rule(d, {{"src", "any"}, {"dest_match", "^1"}, {"dest_rewrite", ""}, {"target", "group:spare"}});
  add_rule(d, {{"src", "any"}, {"dest_match", "^2"}, {"dest_rewrite", ""}, {"target", "group:busy"}});
  SipPeer alice(d.sip_port());
  register_user(alice, "alice");
  {
    Caller c{alice, d};
    c.call("100");
    auto final = c.wait_response(200);
    ASSERT_TRUE(final);
    EXPECT_EQ(final->status, 200) << "failover from the busy port to the spare one: " << final->raw;
    c.ack();
    EXPECT_EQ(calls(d)[0]["target"], "port:2");
    EXPECT_EQ(c.bye(), 200);
  }
  {
    Caller c{alice, d};
    c.call("200");
    auto final = c.wait_response(200);
    ASSERT_TRUE(final);
    EXPECT_EQ(final->status, 486) << final->raw;
    EXPECT_NE(final->header("Reason").find("cause=17"), std::string::npos) << final->raw;
  }
  EXPECT_TRUE(wait_until([&] { return calls(d).empty(); }, 2s));
  json cdrs = ok(d, "cdr_list")["CDRs"];
  ASSERT_EQ(cdrs.size(), 2u);
  EXPECT_EQ(cdrs[1]["legs"].size(), 2u) << "the first call tried two targets: " << cdrs[1].dump();
  EXPECT_EQ(cdrs[1]["legs"][0]["status"], 486);
  EXPECT_EQ(ok(d, "call_stats")["busy"], 1);
  expect_clean_stop(d);
}

TEST(SipCalls, NoAnswerTimesOutAndABlockedPortTakesNoNewCalls) {
  TestDaemon d;
  lab_setup(d, R"({"mode":"ring"})");
  ok(d, "dp_rule_update", {{"id", 1}, {"options", R"({"timeout_s":1})"}});
  SipPeer alice(d.sip_port());
  register_user(alice, "alice");
  {
    Caller c{alice, d};
    c.call("9777");
    auto final = c.wait_response(300, 4s);
    ASSERT_TRUE(final);
    EXPECT_EQ(final->status, 480) << final->raw;
    EXPECT_NE(final->header("Reason").find("cause=19"), std::string::npos) << final->raw;
  }
  json blocked = ok(d, "port_block", {{"port", 1}});
  EXPECT_EQ(blocked["blocked"], true) << "without the flag, port_block toggles";
  {
    Caller c{alice, d};
    c.call("9778");
    auto final = c.wait_response(200);
    ASSERT_TRUE(final);
    EXPECT_EQ(final->status, 503) << "no circuit available: " << final->raw;
  }
  EXPECT_EQ(ok(d, "port_block", {{"port", 1}, {"block", 0}})["blocked"], false);
  EXPECT_EQ(ok(d, "call_stats")["no_answer"], 1);
  expect_clean_stop(d);
}

TEST(SipCalls, CallsSurviveDpReloadAndPortBlockAndEndByFinishOrRestart) {
  TestDaemon d;
  lab_setup(d);
  SipPeer alice(d.sip_port());
  register_user(alice, "alice");
  Caller c1{alice, d};
  c1.call("91");
  auto f1 = c1.wait_response(200);
  ASSERT_TRUE(f1 && f1->status == 200);
  c1.ack();
  ok(d, "dp_reload");
  ok(d, "port_block", {{"port", 1}, {"block", 1}});
  // Engine commands run in order on the engine thread: call_list sees what the two left.
  json list = calls(d);
  ASSERT_EQ(list.size(), 1u) << "the call survives dp_reload and port_block";
  EXPECT_EQ(list[0]["state"], "answered");
  // call_finish ends it: the caller gets a BYE.
  json fin = ok(d, "call_finish", {{"id", list[0]["id"]}});
  EXPECT_EQ(fin["finished"], true);
  EXPECT_TRUE(c1.expect_request("BYE")) << "call_finish BYEs the caller";
  EXPECT_TRUE(wait_until([&] { return calls(d).empty(); }, 2s));
  EXPECT_EQ(rpc(d, "call_finish", {{"id", list[0]["id"]}})["error"]["code"], 404);

  // port_restart ends the calls on the port.
  ok(d, "port_block", {{"port", 1}, {"block", 0}});
  SipPeer alice2(d.sip_port());
  Caller c2{alice2, d};
  c2.user = "alice";
  c2.call("92");
  auto f2 = c2.wait_response(200);
  ASSERT_TRUE(f2 && f2->status == 200) << (f2 ? f2->raw : "none");
  c2.ack();
  json restarted = ok(d, "port_restart", {{"port", 1}});
  EXPECT_EQ(restarted["calls_ended"], 1);
  auto bye = c2.expect_request("BYE");
  ASSERT_TRUE(bye);
  EXPECT_NE(bye->header("Reason").find("cause=41"), std::string::npos) << bye->raw;
  EXPECT_TRUE(wait_until([&] { return calls(d).empty(); }, 2s));
  expect_clean_stop(d);
}

TEST(SipCalls, UnknownCallersAndUnroutableNumbersAreRefused) {
  TestDaemon d;
  lab_setup(d);
  SipPeer stranger(d.sip_port());
  Caller c{stranger, d};
  c.user = "mallory";
  c.call("9123");
  auto final = c.wait_response(200);
  ASSERT_TRUE(final);
  EXPECT_EQ(final->status, 403) << "not registered, not an account: " << final->raw;

  SipPeer alice(d.sip_port());
  register_user(alice, "alice");
  Caller c2{alice, d};
  c2.call("555");
  auto f2 = c2.wait_response(200);
  ASSERT_TRUE(f2);
  EXPECT_EQ(f2->status, 404) << "no dialplan rule matches: " << f2->raw;
  json st = ok(d, "call_stats");
  EXPECT_EQ(st["rejected"], 1);
  EXPECT_EQ(st["total"], 1) << "the unroutable call counts, the refused one does not";
  EXPECT_EQ(st["failed"], 1);
  json reset = ok(d, "call_stats_reset");
  EXPECT_EQ(reset["before"]["failed"], 1) << reset.dump();
  json after = ok(d, "call_stats");
  EXPECT_EQ(after["total"], 0);
  EXPECT_EQ(after["failed"], 0);
  EXPECT_EQ(after["rejected"], 0);
  EXPECT_EQ(ok(d, "cdr_flush")["deleted"], 1);
  EXPECT_EQ(ok(d, "cdr_list")["total"], 0);
  EXPECT_EQ(rpc(d, "call_show", {{"id", 999}})["error"]["code"], 404);
  EXPECT_EQ(rpc(d, "cdr_list", {{"limit", 0}})["error"]["code"], -32602);
  expect_clean_stop(d);
}

TEST(SipCalls, APortPlacesACallToASubscriberAndHangsUp) {
  TestDaemon d;
  ok(d, "port_add", {{"port", 5}, {"driver", "virtual"}, {"options", R"({"hangup_after_ms":300})"}});
  ok(d, "port_add", {{"port", 6}, {"driver", "sip"}, {"options", R"({"account":"nosuch"})"}});
  ok(d, "port_group_add", {{"name", "isdn"}, {"ports", "5"}});
  add_rule(d, {{"src", "group:isdn"}, {"dest_match", "^0(bob)$"}, {"dest_rewrite", "\\1"}, {"target", "user:${dest}"}});
  SipPeer bob(d.sip_port());
  register_user(bob, "bob");
  bob.serve(answering_callee(bob.port()));
  json placed = ok(d, "port_call", {{"port", 5}, {"number", "0bob"}, {"caller", "030123"}});
  ASSERT_TRUE(placed.contains("id")) << placed.dump();
  auto inv = bob.wait_for_method("INVITE", 2s);
  ASSERT_TRUE(inv) << d.log();
  EXPECT_EQ(header_uri(inv->header("From")).rfind("sip:030123@", 0), 0u) << inv->raw;
  EXPECT_NE(inv->body.find("m=audio 40010 RTP/AVP 0"), std::string::npos) << "the line offers G.711: " << inv->body;
  EXPECT_TRUE(bob.wait_for_method("BYE", 3s)) << "the line hangs up after hangup_after_ms";
  EXPECT_TRUE(wait_until([&] { return calls(d).empty(); }, 2s));
  json cdr = ok(d, "cdr_list")["CDRs"][0];
  EXPECT_EQ(cdr["source"], "port:5");
  EXPECT_EQ(cdr["target"], "user:bob@example.com");
  EXPECT_EQ(cdr["reason"], "caller hung up");
  EXPECT_EQ(ok(d, "port_list")["Ports"][0]["in_use"], 0);
  EXPECT_EQ(rpc(d, "port_call", {{"port", 6}, {"number", "1"}})["error"]["code"], -32602) << "a sip port";
  EXPECT_EQ(rpc(d, "port_call", {{"port", 7}, {"number", "1"}})["error"]["code"], 404);
  EXPECT_EQ(rpc(d, "port_call", {{"port", 5}, {"number", "1 2"}})["error"]["code"], -32602);
  json nowhere = ok(d, "port_call", {{"port", 5}, {"number", "999"}});
  EXPECT_EQ(nowhere["state"], "ended") << nowhere.dump();
  EXPECT_EQ(nowhere["status"], 404);
  json p6 = ok(d, "port_list")["Ports"][1];
  EXPECT_EQ(p6["state"], "down") << "its account does not exist: " << p6.dump();
  expect_clean_stop(d);
}

TEST(SipCalls, ShutdownEndsTheCallsUpAndStopsCleanly) {
  TestDaemon d;
  lab_setup(d);
  ok(d, "port_add", {{"port", 2}, {"driver", "virtual"}, {"options", R"({"mode":"ring"})"}});
  ok(d, "port_group_add", {{"name", "ring"}, {"ports", "2"}});
  add_rule(d, {{"src", "any"}, {"dest_match", "^8"}, {"dest_rewrite", ""}, {"target", "group:ring"}});
  SipPeer alice(d.sip_port()), alice2(d.sip_port());
  register_user(alice, "alice");
  register_user(alice2, "alice");
  Caller up(alice, d), ringing(alice2, d);
  up.call("91");
  auto f = up.wait_response(200);
  ASSERT_TRUE(f && f->status == 200);
  up.ack();
  ringing.call("800");
  ASSERT_TRUE(ringing.wait_response(180));
  ASSERT_EQ(calls(d).size(), 2u);
  expect_clean_stop(d);  // the answered call gets a BYE, the ringing one a 503; no crash, exit 0
  auto bye = up.expect_request("BYE", 2s);
  ASSERT_TRUE(bye) << "the answered call is hung up at shutdown";
  EXPECT_NE(bye->header("Reason").find("cause=41"), std::string::npos) << bye->raw;
  auto final = ringing.wait_response(200, 2s);
  ASSERT_TRUE(final);
  EXPECT_EQ(final->status, 503) << final->raw;
}

TEST(SipCalls, PortCommandsValidateAndPersist) {
  TestDaemon d;
  {
    EXPECT_EQ(rpc(d, "port_add", {{"port", 1}, {"driver", "isdn"}})["error"]["code"], -32602);
    EXPECT_EQ(rpc(d, "port_add", {{"port", 1}, {"driver", "virtual"}, {"options", R"({"mode":"x"})"}})["error"]["code"], -32602);
    EXPECT_EQ(rpc(d, "port_add", {{"port", 1}, {"driver", "sip"}})["error"]["code"], -32602) << "sip needs an account";
    EXPECT_EQ(rpc(d, "port_add", {{"port", 0}, {"driver", "virtual"}})["error"]["code"], -32602);
    ok(d, "port_add", {{"port", 3}, {"driver", "virtual"}, {"channels", 4}, {"label", "lab line"}});
    EXPECT_EQ(rpc(d, "port_add", {{"port", 3}, {"driver", "virtual"}})["error"]["code"], 409);
    EXPECT_EQ(rpc(d, "port_group_add", {{"name", "g"}, {"ports", "3,4"}})["error"]["code"], -32602) << "port 4 does not exist";
    EXPECT_EQ(rpc(d, "port_group_add", {{"name", "g"}, {"ports", "3"}, {"hunt", "random"}})["error"]["code"], -32602);
    ok(d, "port_group_add", {{"name", "g"}, {"ports", "3"}, {"hunt", "roundrobin"}});
    ok(d, "port_block", {{"port", 3}, {"block", 1}});
    EXPECT_EQ(rpc(d, "port_block", {{"port", 9}})["error"]["code"], 404);
    EXPECT_EQ(rpc(d, "port_block", {{"port", 3}, {"block", 2}})["error"]["code"], -32602);
    expect_clean_stop(d);
  }
  TestDaemon d2({"core.db=" + d.db_path()});
  json p = ok(d2, "port_list")["Ports"];
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0]["channels"], 4);
  EXPECT_EQ(p[0]["label"], "lab line");
  EXPECT_EQ(p[0]["blocked"], true) << "the block survives a restart";
  EXPECT_EQ(ok(d2, "port_group_list")["Groups"][0]["hunt"], "roundrobin");
  ok(d2, "port_group_rm", {{"name", "g"}});
  ok(d2, "port_rm", {{"port", 3}});
  EXPECT_TRUE(ok(d2, "port_list")["Ports"].empty());
  expect_clean_stop(d2);
}

}  // namespace
}  // namespace sb::test::sip
