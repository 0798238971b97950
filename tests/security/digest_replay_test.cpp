// digest_replay_test.cpp: issue #11 item 9 against the real daemon — captured digest credentials
// cannot be replayed: a REGISTER Authorization sent again from another port with a new Call-ID
// and another Contact is refused (the victim's binding stays), an INVITE digest for one
// Request-URI does not place a call to another, an nc already used is refused while nc 1 then 2
// works, a no-qop nonce is good once, and repeated failures from one address get it banned (403,
// counted, each failure logged at WARN with address, port and user, control bytes escaped).
#include <gtest/gtest.h>

#include "sip/calls_util.h"

namespace sb::test::sip {
namespace {

constexpr auto kReply = 3s;

/// A 401 challenge to `r` (sent without credentials); asserts it.
std::map<std::string, std::string> challenge_for(SipPeer& peer, SipRequest& r) {
  r.authorization.reset();
  auto a = peer.request(r, kReply);
  EXPECT_TRUE(a) << "no reply";
  if (!a) return {};
  EXPECT_EQ(a->status, 401) << a->raw;
  return auth_params(a->header("WWW-Authenticate"));
}

int status_of(const std::optional<SipMessage>& m) { return m ? m->status : 0; }

/// Sends `c`'s INVITE again (ACKing the 407 `challenge`, CSeq + 1, new branch) carrying the
/// Proxy-Authorization `credentials` as they are (captured elsewhere).
void resend_with(Caller& c, const SipMessage& challenge, const std::string& credentials) {
  const SipRequest& i = c.invite;
  c.peer.send_raw("ACK " + i.ruri + " SIP/2.0\r\nVia: SIP/2.0/UDP " + c.peer.host_port() + ";branch=" + i.branch +
                  ";rport\r\nFrom: <" + i.from + ">;tag=" + i.from_tag + "\r\nTo: <" + i.to + ">;tag=" +
                  challenge.to_tag() + "\r\nCall-ID: " + i.call_id + "\r\nCSeq: " + std::to_string(i.cseq_number) +
                  " ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
  c.invite.cseq_number++;
  c.invite.branch = "z9hG4bK" + SipPeer::random_token();
  c.invite.extra = {{"Proxy-Authorization", credentials}};
  c.peer.send_raw(c.peer.build(c.invite));
}

TEST(SecurityDigest, ReplayedRegisterFromAnotherPortIsRefused) {
  TestDaemon d({"registrar.auth=on"});
  ASSERT_EQ(rpc(d, "subscriber_add", {"alice", "example.com", "pw-alice"})["result"], "OK");
  SipPeer victim(d.sip_port()), attacker(d.sip_port());
  const std::string victim_contact = victim.contact_uri("alice");

  auto reg = make_register("alice", "example.com", {"<" + victim_contact + ">"}, "600");
  auto ch = challenge_for(victim, reg);
  next_cseq(reg);
  reg.authorization = digest_authorization("alice", "pw-alice", "sip:example.com", ch);
  ASSERT_EQ(status_of(victim.request(reg, kReply)), 200);

  // The attacker has captured that Authorization: same credentials, its own Call-ID and Contact.
  auto hijack = make_register("alice", "example.com", {"<" + attacker.contact_uri("alice") + ">"}, "600");
  hijack.authorization = reg.authorization;
  auto answer = attacker.request(hijack, kReply);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 401) << answer->raw;
  EXPECT_EQ(d.stat("registrar:auth_replays"), 1);

  // A higher nc cannot be forged without the password either (the response covers nc).
  auto forged = make_register("alice", "example.com", {"<" + attacker.contact_uri("alice") + ">"}, "600");
  std::string auth = *reg.authorization;
  auth.replace(auth.find("nc=00000001"), 11, "nc=00000002");
  forged.authorization = auth;
  EXPECT_EQ(status_of(attacker.request(forged, kReply)), 401);

  json contacts = show_contacts(d, "alice@example.com");
  ASSERT_EQ(contacts.size(), 1u) << contacts.dump();
  EXPECT_EQ(contacts[0]["Contact"], victim_contact);
  // The exact retransmission of the victim's REGISTER (same Call-ID and CSeq) is still answered.
  EXPECT_EQ(status_of(victim.request(reg, kReply)), 200);
  EXPECT_NE(d.log().find("from 127.0.0.1:" + std::to_string(attacker.port())), std::string::npos) << d.log();
  expect_clean_stop(d);
}

TEST(SecurityDigest, NcMustGrowAndANoQopNonceIsGoodOnce) {
  TestDaemon d({"registrar.auth=on"});
  ASSERT_EQ(rpc(d, "subscriber_add", {"bob", "example.com", "pw-bob"})["result"], "OK");
  SipPeer bob(d.sip_port());
  auto reg = make_register("bob", "example.com", {"<" + bob.contact_uri("bob") + ">"}, "600");
  auto ch = challenge_for(bob, reg);
  auto with_nc = [&](const std::string& nc) {
    next_cseq(reg);
    reg.authorization = digest_authorization("bob", "pw-bob", "sip:example.com", ch, "REGISTER", nc, "c0ffee" + nc);
    return status_of(bob.request(reg, kReply));
  };
  EXPECT_EQ(with_nc("00000001"), 200);
  EXPECT_EQ(with_nc("00000002"), 200) << "the same nonce with a higher nc";
  EXPECT_EQ(with_nc("00000002"), 401) << "nc 2 again, in a new request";
  EXPECT_EQ(with_nc("00000001"), 401) << "a lower nc";
  EXPECT_EQ(d.stat("registrar:auth_replays"), 2);
  EXPECT_EQ(with_nc("00000005"), 200) << "nc may skip values";

  // RFC 2069 style (no qop): one request per nonce.
  auto fresh = challenge_for(bob, reg);
  fresh.erase("qop");
  next_cseq(reg);
  reg.authorization = digest_authorization("bob", "pw-bob", "sip:example.com", fresh);
  EXPECT_EQ(status_of(bob.request(reg, kReply)), 200);
  next_cseq(reg);
  EXPECT_EQ(status_of(bob.request(reg, kReply)), 401) << "a no-qop nonce used twice";
  EXPECT_EQ(d.stat("registrar:auth_replays"), 3);
  expect_clean_stop(d);
}

TEST(SecurityDigest, EvictedNoncesAreChallengedAgainAsStale) {
  TestDaemon d({"registrar.auth=on", "registrar.nonce_table_size=16"});
  ASSERT_EQ(rpc(d, "subscriber_add", {"carol", "example.com", "pw-carol"})["result"], "OK");
  SipPeer carol(d.sip_port());
  auto reg = make_register("carol", "example.com", {"<" + carol.contact_uri("carol") + ">"}, "600");
  auto old = challenge_for(carol, reg);
  for (int i = 0; i < 16; ++i) {  // 16 more nonces: the first one's slot is reused
    auto other = make_register("carol", "example.com");
    challenge_for(carol, other);
  }
  next_cseq(reg);
  reg.authorization = digest_authorization("carol", "pw-carol", "sip:example.com", old);
  auto a = carol.request(reg, kReply);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 401) << a->raw;
  auto fresh = auth_params(a->header("WWW-Authenticate"));
  EXPECT_EQ(fresh["stale"], "true") << a->raw;
  next_cseq(reg);
  reg.authorization = digest_authorization("carol", "pw-carol", "sip:example.com", fresh);
  EXPECT_EQ(status_of(carol.request(reg, kReply)), 200);
  EXPECT_EQ(d.stat("registrar:auth_replays"), 0);
  expect_clean_stop(d);
}

TEST(SecurityDigest, AnInviteDigestForOneUriPlacesNoCallToAnother) {
  TestDaemon d({"registrar.auth=on"});
  ASSERT_EQ(rpc(d, "subscriber_add", {"alice", "example.com", "pw-alice"})["result"], "OK");
  ok(d, "port_add", {{"port", 1}, {"driver", "virtual"}, {"channels", 2},
                     {"options", R"({"mode":"answer","answer_after_ms":50,"ring_after_ms":0})"}});
  ok(d, "port_group_add", {{"name", "lab"}, {"ports", "1"}});
  add_rule(d, {{"src", "any"}, {"dest_match", "^(\\d+)$"}, {"dest_rewrite", "\\1"}, {"target", "group:lab"}});
  SipPeer alice(d.sip_port());
  Caller c{alice, d};
  c.call("1000");
  auto ch = c.wait_response(200);
  ASSERT_TRUE(ch && ch->status == 407) << (ch ? ch->raw : "no answer");
  // Credentials computed for sip:1000@…, sent on an INVITE to 0900555123.
  std::string digest_uri = c.invite.ruri;
  c.authenticate(*ch, "pw-alice");
  auto first = c.wait_response(200);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200) << first->raw;
  c.ack();
  EXPECT_EQ(c.bye(), 200);
  ASSERT_TRUE(wait_until([&] { return calls(d).empty(); }, 2s));

  SipPeer mallory(d.sip_port());
  Caller m{mallory, d};
  m.call("0900555123");
  auto m407 = m.wait_response(200);
  ASSERT_TRUE(m407 && m407->status == 407);
  resend_with(m, *m407, c.invite.extra.front().second);
  auto refused = m.wait_response(200);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400) << refused->raw;
  EXPECT_TRUE(calls(d).empty());
  json cdrs = ok(d, "cdr_list")["CDRs"];
  EXPECT_EQ(cdrs.size(), 1u) << "only alice's own call: " << cdrs.dump();
  EXPECT_NE(d.log().find("is not the Request-URI"), std::string::npos);
  EXPECT_NE(digest_uri.find("sip:1000@"), std::string::npos);

  // The same credentials on the same Request-URI again (a replayed INVITE): challenged, no call.
  Caller again{mallory, d};
  again.call("1000");
  auto a407 = again.wait_response(200);
  ASSERT_TRUE(a407 && a407->status == 407);
  resend_with(again, *a407, c.invite.extra.front().second);
  auto replay = again.wait_response(200);
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->status, 407) << replay->raw;
  EXPECT_TRUE(calls(d).empty());
  EXPECT_EQ(d.stat("registrar:auth_replays"), 1);
  expect_clean_stop(d);
}

TEST(SecurityDigest, RepeatedFailuresBanTheSourceAddress) {
  TestDaemon d({"registrar.auth=on", "registrar.auth_fail_limit=3", "registrar.auth_fail_window_s=60",
                "registrar.auth_ban_s=60"});
  ASSERT_EQ(rpc(d, "subscriber_add", {"dave", "example.com", "pw-dave"})["result"], "OK");
  SipPeer guesser(d.sip_port());
  auto reg = make_register("dave", "example.com", {"<" + guesser.contact_uri("dave") + ">"}, "600");
  for (const char* guess : {"123456", "password", "dave"}) {
    auto ch = challenge_for(guesser, reg);
    next_cseq(reg);
    reg.authorization = digest_authorization("dave", guess, "sip:example.com", ch);
    EXPECT_EQ(status_of(guesser.request(reg, kReply)), 401) << guess;
  }
  EXPECT_EQ(d.stat("registrar:auth_failures"), 3);
  EXPECT_EQ(d.stat("registrar:auth_bans"), 1);
  // Banned: even the right password is refused, without a challenge.
  reg.authorization.reset();
  next_cseq(reg);
  auto banned = guesser.request(reg, kReply);
  ASSERT_TRUE(banned);
  EXPECT_EQ(banned->status, 403) << banned->raw;
  EXPECT_FALSE(banned->has("WWW-Authenticate"));
  EXPECT_GE(d.stat("registrar:auth_banned"), 1);
  EXPECT_TRUE(show_contacts(d, "dave@example.com").empty());

  // Every failure is one WARN line with address, port and user; client bytes are escaped.
  std::string log = d.log();
  std::string where = "for user 'dave' from 127.0.0.1:" + std::to_string(guesser.port());
  EXPECT_NE(log.find(where), std::string::npos) << log;
  EXPECT_NE(log.find("127.0.0.1 banned for 60 s"), std::string::npos) << log;
  expect_clean_stop(d);
}

TEST(SecurityDigest, LoggedClientStringsHaveTheirControlBytesEscaped) {
  TestDaemon d({"registrar.auth=on"});
  ASSERT_EQ(rpc(d, "subscriber_add", {"erin", "example.com", "pw-erin"})["result"], "OK");
  SipPeer peer(d.sip_port());
  auto reg = make_register("erin", "example.com", {"<" + peer.contact_uri("erin") + ">"}, "600");
  auto ch = challenge_for(peer, reg);
  next_cseq(reg);
  // Another user name carrying an escape sequence and a fake log line (\x1b, \x7f).
  reg.authorization = digest_authorization("x\x1b[2Jfake\x7f", "pw", "sip:example.com", ch);
  auto a = peer.request(reg, kReply);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 403) << a->raw;
  std::string log = d.log();
  EXPECT_NE(log.find("x\\x1b[2Jfake\\x7f"), std::string::npos) << log;
  EXPECT_EQ(log.find('\x1b'), std::string::npos);
  expect_clean_stop(d);
}

}  // namespace
}  // namespace sb::test::sip
