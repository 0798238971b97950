// calls_auth_test.cpp: with registrar.auth on, a subscriber's INVITE is challenged (407,
// Proxy-Authenticate) and accepted with the subscriber's digest credentials — registered or not,
// and even from the address its authenticated binding registered from; a wrong password is
// challenged again, credentials of another subscriber get 403 (an expired nonce: stale=true, in
// tests/gateway/caller_auth_test.cpp with an injected clock);
// callers that are no subscriber are not challenged (403, or a SIP account by address).
#include <gtest/gtest.h>

#include "sip/calls_util.h"

namespace sb::test::sip {
namespace {

/// A daemon with registrar.auth on, subscribers alice and bob, and a virtual line behind 9….
struct AuthDaemon {
  TestDaemon d{{"registrar.auth=on", "registrar.nonce_expires_s=5"}};
  AuthDaemon() {
    EXPECT_EQ(rpc(d, "subscriber_add", {"alice", "example.com", "pw-alice"})["result"], "OK");
    EXPECT_EQ(rpc(d, "subscriber_add", {"bob", "example.com", "pw-bob"})["result"], "OK");
    ok(d, "port_add", {{"port", 1}, {"driver", "virtual"}, {"channels", 2},
                       {"options", R"({"mode":"answer","answer_after_ms":50,"ring_after_ms":0})"}});
    ok(d, "port_group_add", {{"name", "lab"}, {"ports", "1"}});
    add_rule(d, {{"src", "any"}, {"dest_match", "^9(\\d+)$"}, {"dest_rewrite", "\\1"}, {"target", "group:lab"}});
  }
};

/// The INVITE's final response, asserted to be a 407 with a digest challenge.
SipMessage expect_challenge(Caller& c, const std::string& what) {
  auto r = c.wait_response(200);
  EXPECT_TRUE(r) << what << ": no answer";
  if (!r) return {};
  EXPECT_EQ(r->status, 407) << what << ": " << r->raw;
  EXPECT_EQ(r->reason, "Proxy Authentication Required") << what;
  auto params = auth_params(r->header("Proxy-Authenticate"));
  EXPECT_EQ(params[""], "Digest") << what << ": " << r->raw;
  EXPECT_EQ(params["realm"], "example.com") << what;
  EXPECT_EQ(params["qop"], "auth") << what;
  EXPECT_FALSE(params["nonce"].empty()) << what;
  return *r;
}

TEST(SipCallsAuth, ASubscriberAnswersTheChallengeAndCalls) {
  AuthDaemon a;
  TestDaemon& d = a.d;
  SipPeer alice(d.sip_port());
  Caller c{alice, d};
  c.call("9123");
  SipMessage ch = expect_challenge(c, "alice without credentials");
  EXPECT_TRUE(calls(d).empty()) << "a challenged INVITE starts no call";
  EXPECT_EQ(d.stat("calls:auth_challenges"), 1);

  c.authenticate(ch, "wrong");
  SipMessage again = expect_challenge(c, "alice with a wrong password");
  EXPECT_EQ(d.stat("calls:auth_failures"), 1);
  EXPECT_EQ(d.stat("calls:auth_challenges"), 2);

  // alice is not registered: authenticated subscribers may call all the same.
  c.authenticate(again, "pw-alice");
  auto final = c.wait_response(200);
  ASSERT_TRUE(final) << d.log();
  EXPECT_EQ(final->status, 200) << final->raw;
  c.ack();
  json list = calls(d);
  ASSERT_EQ(list.size(), 1u) << list.dump();
  EXPECT_EQ(list[0]["source"], "subscriber:alice@example.com");
  EXPECT_EQ(list[0]["target"], "port:1");
  EXPECT_EQ(c.bye(), 200);
  EXPECT_TRUE(wait_until([&] { return calls(d).empty(); }, 2s));
  json cdr = ok(d, "cdr_list")["CDRs"][0];
  EXPECT_EQ(cdr["sip_code"], 200) << cdr.dump();
  EXPECT_EQ(d.stat("calls:auth_failures"), 1);
  expect_clean_stop(d);
}

TEST(SipCallsAuth, RegisteredBindingsDoNotReplaceCredentials) {
  AuthDaemon a;
  TestDaemon& d = a.d;
  SipPeer alice(d.sip_port());
  // alice registers (digest-authenticated), then calls from that very address without credentials.
  auto reg = make_register("alice", "example.com", {"<" + alice.contact_uri("alice") + ">"}, "600");
  auto r401 = alice.request(reg);
  ASSERT_TRUE(r401 && r401->status == 401) << (r401 ? r401->raw : "no answer");
  next_cseq(reg);
  reg.authorization = digest_authorization("alice", "pw-alice", "sip:example.com",
                                           auth_params(r401->header("WWW-Authenticate")));
  auto r200 = alice.request(reg);
  ASSERT_TRUE(r200 && r200->status == 200) << (r200 ? r200->raw : "no answer");
  EXPECT_EQ(d.stat("calls:auth_challenges"), 0) << "REGISTER challenges are the registrar's";

  Caller c{alice, d};
  c.call("9123");
  SipMessage ch = expect_challenge(c, "registered alice without credentials");

  // bob's credentials in alice's INVITE: 403, whatever the password.
  c.authenticate(ch, "pw-bob", "bob");
  auto forbidden = c.wait_response(200);
  ASSERT_TRUE(forbidden);
  EXPECT_EQ(forbidden->status, 403) << forbidden->raw;
  EXPECT_EQ(d.stat("calls:auth_failures"), 1);

  // A second call: challenged, answered with the right password, connected. (An expired nonce
  // gets stale=true: tests/gateway/caller_auth_test.cpp, with the clock injected.)
  Caller next{alice, d};
  next.call("9124");
  SipMessage fresh = expect_challenge(next, "second call");
  next.authenticate(fresh, "pw-alice");
  auto final = next.wait_response(200);
  ASSERT_TRUE(final) << d.log();
  EXPECT_EQ(final->status, 200) << final->raw;
  next.ack();
  EXPECT_EQ(next.bye(), 200);
  expect_clean_stop(d);
}

TEST(SipCallsAuth, CallersThatAreNoSubscriberAreNotChallenged) {
  AuthDaemon a;
  TestDaemon& d = a.d;
  SipPeer stranger(d.sip_port());
  Caller m{stranger, d};
  m.user = "mallory";
  m.call("9123");
  auto refused = m.wait_response(200);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403) << "no subscriber, no account: refused, not challenged: " << refused->raw;
  EXPECT_EQ(d.stat("calls:auth_challenges"), 0);

  // A SIP account matched by its address needs no credentials.
  SipPeer trunk(d.sip_port());
  ok(d, "account_add", {{"name", "carrier"}, {"address", trunk.host_port()}, {"username", "gw1"},
                        {"secret", "s3cret"}, {"register", false}});
  Caller in{trunk, d};
  in.user = "4930555";
  in.call("9555");
  auto answered = in.wait_response(200);
  ASSERT_TRUE(answered) << d.log();
  EXPECT_EQ(answered->status, 200) << answered->raw;
  in.ack();
  json list = calls(d);
  ASSERT_EQ(list.size(), 1u) << list.dump();
  EXPECT_EQ(list[0]["source"], "account:carrier");
  EXPECT_EQ(in.bye(), 200);
  expect_clean_stop(d);
}

}  // namespace
}  // namespace sb::test::sip
