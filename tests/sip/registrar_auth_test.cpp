// registrar_auth_test.cpp: digest authentication of REGISTER against the real daemon (401/403,
// qop and no qop, user@domain, forged and stale nonces, a configured realm).
#include <signal.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "conformance/channels.h"
#include "sip/registrar_fixture.h"
#include "sip/sip_test_util.h"

namespace sb::test::sip {
namespace {


class SipRegistrarAuth : public SuiteDaemon<SipRegistrarAuth> {
 protected:
  static void SetUpTestSuite() {
    start_daemon({"registrar.auth=on", "registrar.nonce_expires_s=5", "registrar.min_expires=10"});
    for (const char* u : {"bob", "carol", "mallory", "dave", "erin", "frank", "gina"}) {
      json j = rpc(*daemon_, "subscriber_add", {u, "example.com", std::string("pw-") + u});
      ASSERT_EQ(j["result"], "OK") << j.dump();
    }
  }

  /// Sends `r` without credentials and returns the challenge's params (asserting a 401).
  std::map<std::string, std::string> challenge(SipRequest& r) {
    auto a = peer().request(r, kReply);
    EXPECT_TRUE(a) << "no reply";
    if (!a) return {};
    EXPECT_EQ(a->status, 401) << a->raw;
    EXPECT_EQ(a->reason, "Unauthorized");
    EXPECT_TRUE(a->has("WWW-Authenticate")) << a->raw;
    return auth_params(a->header("WWW-Authenticate"));
  }
  bool registered(const std::string& aor) { return !show_contacts(d(), aor).empty(); }
};

TEST_F(SipRegistrarAuth, ChallengeThenDigestWithQopAuthSucceeds) {
  long long challenges = d().stat("registrar:auth_challenges");
  auto r = make_register("bob", "example.com", {"<" + peer().contact_uri("bob") + ">"}, "100");
  auto ch = challenge(r);
  EXPECT_EQ(ch[""], "Digest");
  EXPECT_EQ(ch["realm"], "example.com") << "realm = the To domain";
  EXPECT_EQ(ch["qop"], "auth");
  EXPECT_FALSE(ch["nonce"].empty());
  EXPECT_EQ(ch.count("stale"), 0u);
  EXPECT_FALSE(registered("bob@example.com")) << "a challenged REGISTER must not bind";
  EXPECT_EQ(d().stat("registrar:auth_challenges"), challenges + 1);

  next_cseq(r);
  r.authorization = digest_authorization("bob", "pw-bob", "sip:example.com", ch, "REGISTER", "00000001", "c0ffee01");
  auto a = peer().request(r, kReply);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 200) << a->raw;
  EXPECT_EQ(a->contacts().size(), 1u);
  EXPECT_TRUE(registered("bob@example.com"));
}

TEST_F(SipRegistrarAuth, DigestWithoutQopIsAcceptedAndUserAtDomainUsesHa1b) {
  // RFC 2069 style (no qop) for carol.
  auto r = make_register("carol", "example.com", {"<" + peer().contact_uri("carol") + ">"}, "100");
  auto ch = challenge(r);
  ch.erase("qop");
  next_cseq(r);
  r.authorization = digest_authorization("carol", "pw-carol", "sip:example.com", ch);
  auto a = peer().request(r, kReply);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 200) << a->raw;
  // username="dave@example.com": checked against HA1b = MD5(dave@example.com:example.com:pw).
  auto r2 = make_register("dave", "example.com", {"<" + peer().contact_uri("dave") + ">"}, "100");
  auto ch2 = challenge(r2);
  next_cseq(r2);
  r2.authorization = digest_authorization("dave@example.com", "pw-dave", "sip:example.com", ch2);
  auto b = peer().request(r2, kReply);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 200) << b->raw;
  EXPECT_TRUE(registered("dave@example.com"));
}

TEST_F(SipRegistrarAuth, WrongPasswordGetsANewChallengeAndNoBinding) {
  long long rejected = d().stat("registrar:rejected_regs");
  auto r = make_register("erin", "example.com", {"<" + peer().contact_uri("erin") + ">"}, "100");
  auto ch = challenge(r);
  next_cseq(r);
  r.authorization = digest_authorization("erin", "not-her-password", "sip:example.com", ch);
  auto a = peer().request(r, kReply);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 401) << a->raw;
  auto ch2 = auth_params(a->header("WWW-Authenticate"));
  EXPECT_EQ(ch2["realm"], "example.com");
  EXPECT_EQ(ch2.count("stale"), 0u) << "a wrong password is not a stale nonce";
  EXPECT_FALSE(registered("erin@example.com"));
  EXPECT_GE(d().stat("registrar:rejected_regs"), rejected + 1);
  // A response computed for another method is wrong too.
  next_cseq(r);
  r.authorization = digest_authorization("erin", "pw-erin", "sip:example.com", ch2, "INVITE");
  a = peer().request(r, kReply);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 401) << a->raw;
  EXPECT_FALSE(registered("erin@example.com"));
}

TEST_F(SipRegistrarAuth, AuthUserNotMatchingToUserIs403) {
  auto r = make_register("frank", "example.com", {"<" + peer().contact_uri("frank") + ">"}, "100");
  auto ch = challenge(r);
  next_cseq(r);
  // mallory's own (valid) credentials cannot register frank.
  r.authorization = digest_authorization("mallory", "pw-mallory", "sip:example.com", ch);
  auto a = peer().request(r, kReply);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 403) << a->raw;
  EXPECT_FALSE(registered("frank@example.com"));
}

TEST_F(SipRegistrarAuth, UnknownSubscriberGets401) {
  auto r = make_register("nobody", "example.com", {"<" + peer().contact_uri("nobody") + ">"}, "100");
  auto ch = challenge(r);
  next_cseq(r);
  r.authorization = digest_authorization("nobody", "whatever", "sip:example.com", ch);
  auto a = peer().request(r, kReply);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 401) << a->raw;
  EXPECT_FALSE(registered("nobody@example.com"));
  // A subscriber of another domain is not one of this realm.
  auto r2 = make_register("bob", "other.example", {"<" + peer().contact_uri("bob2") + ">"}, "100");
  auto ch2 = challenge(r2);
  EXPECT_EQ(ch2["realm"], "other.example");
  next_cseq(r2);
  r2.authorization = digest_authorization("bob", "pw-bob", "sip:other.example", ch2);
  auto b = peer().request(r2, kReply);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 401) << b->raw;
  EXPECT_FALSE(registered("bob@other.example"));
}

TEST_F(SipRegistrarAuth, ForgedNonceGets401WithoutStale) {
  auto r = make_register("gina", "example.com", {"<" + peer().contact_uri("gina") + ">"}, "100");
  auto ch = challenge(r);
  std::string nonce = ch["nonce"];
  ASSERT_FALSE(nonce.empty());
  struct Forgery {
    const char* what;
    std::string nonce;
  };
  std::string flipped = nonce;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  std::vector<Forgery> forged = {{"MAC flipped", flipped},
                                 {"made up", "deadbeef"},
                                 {"old timestamp, our length", std::string(16, '0') + nonce.substr(16)},
                                 {"empty", ""}};
  for (const auto& f : forged) {
    SCOPED_TRACE(f.what);
    auto params = ch;
    params["nonce"] = f.nonce;
    next_cseq(r);
    r.authorization = digest_authorization("gina", "pw-gina", "sip:example.com", params);
    auto a = peer().request(r, kReply);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 401) << a->raw;
    EXPECT_EQ(auth_params(a->header("WWW-Authenticate")).count("stale"), 0u) << a->raw;
  }
  EXPECT_FALSE(registered("gina@example.com"));
}

TEST_F(SipRegistrarAuth, StaleNonceGets401WithStaleTrue) {
  auto r = make_register("mallory", "example.com", {"<" + peer().contact_uri("mallory") + ">"}, "100");
  auto ch = challenge(r);
  std::this_thread::sleep_for(6500ms);  // registrar.nonce_expires_s=5
  next_cseq(r);
  r.authorization = digest_authorization("mallory", "pw-mallory", "sip:example.com", ch);
  auto a = peer().request(r, kReply);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 401) << a->raw;
  auto ch2 = auth_params(a->header("WWW-Authenticate"));
  EXPECT_EQ(ch2["stale"], "true") << a->raw;
  EXPECT_NE(ch2["nonce"], ch["nonce"]);
  EXPECT_FALSE(registered("mallory@example.com"));
  // The fresh nonce works.
  next_cseq(r);
  r.authorization = digest_authorization("mallory", "pw-mallory", "sip:example.com", ch2);
  a = peer().request(r, kReply);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 200) << a->raw;
  EXPECT_TRUE(registered("mallory@example.com"));
}


TEST(SipRegistrarAuthRealm, ConfiguredRealmIsOfferedAndSubscribersAreLookedUpInIt) {
  TestDaemon d({"registrar.auth=on", "registrar.realm=corp.example"});
  ASSERT_EQ(rpc(d, "subscriber_add", {"alice", "corp.example", "pw-a"})["result"], "OK");
  ASSERT_EQ(rpc(d, "subscriber_add", {"bob", "example.com", "pw-b"})["result"], "OK");
  SipPeer peer(d.sip_port());
  auto r = make_register("alice", "example.com", {"<" + peer.contact_uri("alice") + ">"}, "300");
  auto a = peer.request(r, kReply);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->status, 401) << a->raw;
  auto ch = auth_params(a->header("WWW-Authenticate"));
  EXPECT_EQ(ch["realm"], "corp.example");
  next_cseq(r);
  r.authorization = digest_authorization("alice", "pw-a", "sip:example.com", ch);
  a = peer.request(r, kReply);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 200) << a->raw;
  EXPECT_EQ(show_contacts(d, "alice@example.com").size(), 1u);
  // bob exists only in the To domain, not in the configured realm.
  auto rb = make_register("bob", "example.com", {"<" + peer.contact_uri("bob") + ">"}, "300");
  auto b = peer.request(rb, kReply);
  ASSERT_TRUE(b);
  ASSERT_EQ(b->status, 401);
  next_cseq(rb);
  rb.authorization = digest_authorization("bob", "pw-b", "sip:example.com", auth_params(b->header("WWW-Authenticate")));
  b = peer.request(rb, kReply);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 401) << b->raw;
  expect_clean_stop(d);
}

}  // namespace
}  // namespace sb::test::sip
