// trunk_spoof_test.cpp: issue #11 item 12 against the real daemon — an INVITE is matched to a SIP
// account by the packet's real source address and port, not by the Via sent-by the sender
// writes: a peer on another port that puts the trunk's address in its Via (without rport) is
// refused and places no call, while the trunk itself is served; an account with matchtype
// to_user (which trusts the network) is named in a WARN when added (and loaded at start-up).
#include <gtest/gtest.h>

#include "sip/calls_util.h"

namespace sb::test::sip {
namespace {

/// The INVITE text of `c` (after Caller::call built it) as if sent from `pretend` ("host:port"),
/// without rport: the Via sent-by is all that names the sender.
std::string spoofed_invite(Caller& c, const std::string& number, const std::string& pretend) {
  c.invite = SipRequest{};
  c.invite.method = "INVITE";
  c.invite.ruri = "sip:" + number + "@127.0.0.1:" + std::to_string(c.d.sip_port());
  c.invite.from = "sip:" + c.user + "@carrier.example";
  c.invite.to = "sip:" + number + "@127.0.0.1";
  c.invite.contacts = {"<sip:" + c.user + "@" + pretend + ">"};
  c.invite.body = kOfferSdp;
  c.invite.content_type = "application/sdp";
  std::string text = c.peer.build(c.invite);
  std::string real_via = "Via: SIP/2.0/UDP " + c.peer.host_port() + ";branch=" + c.invite.branch + ";rport";
  auto at = text.find(real_via);
  EXPECT_NE(at, std::string::npos) << text;
  if (at != std::string::npos)
    text.replace(at, real_via.size(), "Via: SIP/2.0/UDP " + pretend + ";branch=" + c.invite.branch);
  return text;
}

TEST(SecurityTrunk, APeerOnAnotherPortPretendingToBeTheTrunkIsRefused) {
  TestDaemon d;
  ok(d, "port_add", {{"port", 1}, {"driver", "virtual"}, {"channels", 2},
                     {"options", R"({"mode":"answer","answer_after_ms":50,"ring_after_ms":0})"}});
  ok(d, "port_group_add", {{"name", "lab"}, {"ports", "1"}});
  SipPeer trunk(d.sip_port()), attacker(d.sip_port());
  ok(d, "account_add", {{"name", "carrier"}, {"address", trunk.host_port()}, {"username", "gw1"},
                        {"secret", "s3cret"}, {"register", false}});
  add_rule(d, {{"src", "account:carrier"}, {"dest_match", "^9(\\d+)$"}, {"dest_rewrite", "\\1"}, {"target", "group:lab"}});

  // The attacker, from its own port, claims the trunk's address in Via (no rport).
  Caller fake{attacker, d};
  fake.user = "4930555";
  attacker.send_raw(spoofed_invite(fake, "90900555123", trunk.host_port()));
  std::string refusal = "INVITE from 127.0.0.1:" + std::to_string(attacker.port()) + " to 90900555123 refused";
  ASSERT_TRUE(wait_until([&] { return d.log().find(refusal) != std::string::npos; }, 5s))
      << d.log() << attacker.receive(100ms).value_or(SipMessage{}).raw;
  EXPECT_TRUE(calls(d).empty());
  EXPECT_TRUE(ok(d, "cdr_list")["CDRs"].empty());

  // The trunk itself (its real address) is served.
  Caller real{trunk, d};
  real.user = "4930555";
  real.call("9555");
  auto answered = real.wait_response(200);
  ASSERT_TRUE(answered) << d.log();
  EXPECT_EQ(answered->status, 200) << answered->raw;
  real.ack();
  json list = calls(d);
  ASSERT_EQ(list.size(), 1u) << list.dump();
  EXPECT_EQ(list[0]["source"], "account:carrier");
  EXPECT_EQ(real.bye(), 200);
  expect_clean_stop(d);
}

TEST(SecurityTrunk, ToUserAccountsAreWarnedAbout) {
  TestDaemon d;
  ok(d, "account_add", {{"name", "trusting"}, {"address", "127.0.0.1:5999"}, {"username", "4930123"},
                        {"secret", "s3cret"}, {"matchtype", "to_user"}, {"register", false}});
  std::string warning = "account trusting has matchtype to_user";
  EXPECT_TRUE(wait_until([&] { return d.log().find(warning) != std::string::npos; }, 2s)) << d.log();
  std::string log = d.log();
  auto at = log.find(warning);
  auto line_start = log.rfind('\n', at);
  std::string line = log.substr(line_start == std::string::npos ? 0 : line_start + 1, at - line_start);
  EXPECT_NE(line.find("[warning]"), std::string::npos) << line;
  expect_clean_stop(d);
}

}  // namespace
}  // namespace sb::test::sip
