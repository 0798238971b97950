// calls_trunk_test.cpp: calls through SIP accounts (trunks) with a scripted trunk peer — out
// through an account that challenges the INVITE (407, answered with the account's credentials),
// out through a sip port of a port group (its channel counted), and in from the trunk (matched
// by its address) to a registered subscriber.
#include <gtest/gtest.h>

#include "sip/calls_util.h"

namespace sb::test::sip {
namespace {

/// A trunk peer: challenges every INVITE without Proxy-Authorization (407), answers the others
/// 180 + 200 with kAnswerSdp; records everything.
SipPeer::Handler challenging_trunk(int own_port) {
  return [own_port](const SipMessage& req) -> std::vector<std::string> {
    if (req.method == "ACK") return {};
    if (req.method == "INVITE" && req.header("Proxy-Authorization").empty())
      return {SipPeer::make_response(req, 407, "Proxy Authentication Required",
                                     {{"Proxy-Authenticate", R"(Digest realm="trunk.example", nonce="n0nce1", qop="auth", algorithm=MD5)"}})};
    if (req.method == "INVITE") {
      std::string contact = "<sip:trunk@127.0.0.1:" + std::to_string(own_port) + ">";
      return {SipPeer::make_response(req, 180, "Ringing"),
              SipPeer::make_response(req, 200, "OK", {{"Contact", contact}, {"Content-Type", "application/sdp"}},
                                     kAnswerSdp)};
    }
    return {SipPeer::make_response(req, 200, "OK")};
  };
}

void add_trunk(const TestDaemon& d, const SipPeer& trunk) {
  ok(d, "account_add", {{"name", "carrier"}, {"address", trunk.host_port()}, {"username", "gw1"},
                        {"secret", "s3cret"}, {"domain", "trunk.example"}, {"register", false}});
}

TEST(SipCallsTrunk, OutThroughAnAccountAnswersTheChallenge) {
  TestDaemon d;
  SipPeer trunk(d.sip_port());
  trunk.serve(challenging_trunk(trunk.port()));
  add_trunk(d, trunk);
  add_rule(d, {{"src", "subscriber"}, {"dest_match", "^00(\\d+)$"}, {"dest_rewrite", "+\\1"}, {"target", "account:carrier"}});
  SipPeer alice(d.sip_port());
  register_user(alice, "alice");
  Caller c(alice, d);
  c.call("004930123");
  auto final = c.wait_response(200);
  ASSERT_TRUE(final) << d.log();
  EXPECT_EQ(final->status, 200) << final->raw;
  EXPECT_EQ(c.answer_sdp, kAnswerSdp);
  c.ack();
  auto invites = trunk.received();
  std::vector<SipMessage> inv;
  for (auto& m : invites)
    if (m.method == "INVITE") inv.push_back(m);
  ASSERT_EQ(inv.size(), 2u) << "one INVITE, one with credentials";
  EXPECT_EQ(inv[1].uri, "sip:+4930123@trunk.example") << "the rewritten number at the account's domain";
  EXPECT_EQ(header_uri(inv[1].header("From")), "sip:alice@trunk.example") << inv[1].raw;
  auto params = auth_params(inv[1].header("Proxy-Authorization"));
  EXPECT_EQ(params["username"], "gw1");
  EXPECT_EQ(params["realm"], "trunk.example");
  EXPECT_EQ(params["uri"], "sip:+4930123@trunk.example");
  std::string expected = digest_response("gw1", "trunk.example", "s3cret", "INVITE", params["uri"], "n0nce1",
                                         params["qop"], params["nc"], params["cnonce"]);
  EXPECT_EQ(params["response"], expected) << "the digest is right for the account's secret";
  EXPECT_GT(std::stoll(inv[1].cseq() >= 0 ? std::to_string(inv[1].cseq()) : "0"), inv[0].cseq()) << "CSeq grows";
  EXPECT_EQ(calls(d)[0]["target"], "account:carrier");
  EXPECT_EQ(c.bye(), 200);
  EXPECT_TRUE(trunk.wait_for_method("BYE", 2s)) << "the BYE reaches the trunk";
  expect_clean_stop(d);
}

TEST(SipCallsTrunk, OutThroughASipPortAndInFromTheTrunk) {
  TestDaemon d;
  SipPeer trunk(d.sip_port());
  trunk.serve(challenging_trunk(trunk.port()));
  add_trunk(d, trunk);
  ok(d, "port_add", {{"port", 7}, {"driver", "sip"}, {"channels", 1}, {"options", R"({"account":"carrier"})"}});
  ok(d, "port_group_add", {{"name", "pstn"}, {"ports", "7"}});
  add_rule(d, {{"src", "subscriber"}, {"dest_match", "^0(\\d+)$"}, {"dest_rewrite", "\\1"}, {"target", "group:pstn"}});
  add_rule(d, {{"src", "account:carrier"}, {"dest_match", "^4930(.+)$"}, {"dest_rewrite", "\\1"}, {"target", "user:${dest}"}});
  EXPECT_EQ(ok(d, "port_list")["Ports"][0]["state"], "up") << "an account that does not register is up";

  SipPeer alice(d.sip_port());
  register_user(alice, "alice");
  Caller c(alice, d);
  c.call("0123");
  auto final = c.wait_response(200);
  ASSERT_TRUE(final && final->status == 200) << (final ? final->raw : d.log());
  c.ack();
  EXPECT_EQ(calls(d)[0]["target"], "port:7");
  EXPECT_EQ(ok(d, "port_list")["Ports"][0]["in_use"], 1);
  // The port has one channel: a second call finds no free channel.
  SipPeer alice2(d.sip_port());
  register_user(alice2, "alice");
  Caller c2(alice2, d);
  c2.call("0124");
  auto busy = c2.wait_response(200);
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->status, 503) << busy->raw;
  EXPECT_EQ(c.bye(), 200);

  // In from the trunk (its address matches the account) to alice, registered as 4930alice → alice.
  SipPeer bob(d.sip_port());
  register_user(bob, "bob");
  bob.serve(answering_callee(bob.port()));
  Caller in(trunk, d);  // sends from the trunk's address
  in.user = "caller49";
  trunk.stop_serving();
  in.call("4930bob");
  auto got = in.wait_response(200);
  ASSERT_TRUE(got) << d.log();
  EXPECT_EQ(got->status, 200) << got->raw;
  in.ack();
  json list = calls(d);
  ASSERT_EQ(list.size(), 1u) << list.dump();
  EXPECT_EQ(list[0]["source"], "account:carrier");
  EXPECT_EQ(list[0]["target"], "user:bob@example.com");
  EXPECT_EQ(in.bye(), 200);
  expect_clean_stop(d);
}

}  // namespace
}  // namespace sb::test::sip
