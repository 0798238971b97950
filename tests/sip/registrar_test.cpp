// registrar_test.cpp: the registrar and usrloc against the real daemon over real UDP SIP on
// loopback (RFC 3261 §10.3 corner cases). Malformed requests, OPTIONS and other methods are in
// registrar_input_test.cpp; expiry and SIP disabled in registrar_expiry_test.cpp.
// Digest authentication is in registrar_auth_test.cpp.
#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "sip/registrar_fixture.h"
#include "sip/sip_test_util.h"

namespace sb::test::sip {
namespace {

using SipRegistrar = RegistrarFixture;

TEST_F(SipRegistrar, RegisterWithoutAuthListsBindingAndShowsItInUsrloc) {
  long long accepted = d().stat("registrar:accepted_regs");
  long long contacts = d().stat("usrloc:location-contacts");
  long long users = d().stat("usrloc:location-users");
  ASSERT_GE(accepted, 0);
  ASSERT_GE(contacts, 0);

  std::string uri = contact("a");
  auto r = make_register(test_user(), "example.com", {"<" + uri + ">;expires=120"});
  r.cseq_number = 7;
  r.user_agent = "sb-test-phone/2.1";
  auto reply = peer().request(r, kReply);
  ASSERT_TRUE(reply) << "no reply to REGISTER";
  EXPECT_EQ(reply->status, 200) << reply->raw;
  EXPECT_EQ(reply->reason, "OK");
  ASSERT_EQ(reply->contacts().size(), 1u) << reply->raw;
  EXPECT_EQ(header_uri(reply->contacts()[0]), uri);
  long long exp = contact_expires(reply->contacts()[0]);
  EXPECT_GE(exp, 118);
  EXPECT_LE(exp, 120);
  EXPECT_EQ(reply->header("Call-ID"), r.call_id);
  EXPECT_EQ(reply->header("CSeq"), "7 REGISTER");
  EXPECT_FALSE(reply->to_tag().empty()) << "a final response carries a To tag";
  EXPECT_TRUE(reply->has("Date"));
  EXPECT_NE(reply->header("Server").find("Switchboard"), std::string::npos) << reply->raw;

  // usrloc, JSON dialect.
  json j = rpc(d(), "ul_show_contact", {{"table_name", "location"}, {"aor", aor()}});
  ASSERT_TRUE(j.contains("result")) << j.dump();
  EXPECT_EQ(j["result"]["AOR"], aor());
  ASSERT_EQ(j["result"]["Contacts"].size(), 1u) << j.dump();
  const json& c = j["result"]["Contacts"][0];
  EXPECT_EQ(c["Contact"], uri);
  ASSERT_TRUE(c["Expires"].is_number()) << c.dump();
  EXPECT_GE(c["Expires"].get<int>(), 117);
  EXPECT_LE(c["Expires"].get<int>(), 120);
  EXPECT_EQ(c["Callid"], r.call_id);
  EXPECT_EQ(c["Cseq"], 7);
  EXPECT_EQ(c["Received"], "sip:127.0.0.1:" + std::to_string(peer().port()));
  EXPECT_EQ(c["User-agent"], "sb-test-phone/2.1");
  EXPECT_EQ(c["Socket"], "udp:127.0.0.1:" + std::to_string(d().sip_port()));
  EXPECT_EQ(c["Q"], "");

  // usrloc, text dialect (serctl style).
  std::string t = d().text("ul_show_contact", {"location", aor()});
  EXPECT_EQ(t.rfind("200 OK\n", 0), 0u) << t;
  EXPECT_NE(t.find("Contact:: " + uri + "\n"), std::string::npos) << t;
  EXPECT_NE(t.find("Callid:: " + r.call_id + "\n"), std::string::npos) << t;
  EXPECT_NE(t.find("Cseq:: 7\n"), std::string::npos) << t;
  EXPECT_NE(t.find("User-agent:: sb-test-phone/2.1\n"), std::string::npos) << t;
  EXPECT_NE(t.find("Received:: sip:127.0.0.1:" + std::to_string(peer().port()) + "\n"), std::string::npos) << t;
  EXPECT_NE(t.find("Expires:: "), std::string::npos) << t;

  EXPECT_EQ(d().stat("registrar:accepted_regs"), accepted + 1);
  EXPECT_EQ(d().stat("usrloc:location-contacts"), contacts + 1);
  EXPECT_EQ(d().stat("usrloc:location-users"), users + 1);
}

TEST_F(SipRegistrar, ExpiresComesFromContactParamThenHeaderThenDefaultAndIsClamped) {
  // Contact param wins over the Expires header.
  auto r1 = make_register(test_user("1"), "example.com", {"<" + contact("p") + ">;expires=100"}, "200");
  auto a1 = peer().request(r1, kReply);
  ASSERT_TRUE(a1);
  ASSERT_EQ(a1->status, 200) << a1->raw;
  EXPECT_NEAR(contact_expires(contact_for(*a1, contact("p"))), 100, 1);
  // The Expires header when the contact has no param.
  auto r2 = make_register(test_user("2"), "example.com", {"<" + contact("h") + ">"}, "200");
  auto a2 = peer().request(r2, kReply);
  ASSERT_TRUE(a2);
  ASSERT_EQ(a2->status, 200) << a2->raw;
  EXPECT_NEAR(contact_expires(contact_for(*a2, contact("h"))), 200, 1);
  // registrar.default_expires (300) when neither is given.
  auto r3 = make_register(test_user("3"), "example.com", {"<" + contact("d") + ">"});
  auto a3 = peer().request(r3, kReply);
  ASSERT_TRUE(a3);
  ASSERT_EQ(a3->status, 200) << a3->raw;
  EXPECT_NEAR(contact_expires(contact_for(*a3, contact("d"))), 300, 1);
  // Longer than registrar.max_expires (600) is shortened to it, from the param and the header.
  auto r4 = make_register(test_user("4"), "example.com", {"<" + contact("m") + ">;expires=86400"});
  auto a4 = peer().request(r4, kReply);
  ASSERT_TRUE(a4);
  ASSERT_EQ(a4->status, 200) << a4->raw;
  EXPECT_NEAR(contact_expires(contact_for(*a4, contact("m"))), 600, 1);
  auto r5 = make_register(test_user("5"), "example.com", {"<" + contact("n") + ">"}, "4294967295");
  auto a5 = peer().request(r5, kReply);
  ASSERT_TRUE(a5);
  ASSERT_EQ(a5->status, 200) << a5->raw;
  EXPECT_NEAR(contact_expires(contact_for(*a5, contact("n"))), 600, 1);

  // usrloc agrees.
  auto expires_of = [&](const std::string& suffix, const std::string& uri) {
    json c = find_contact(show_contacts(d(), aor(suffix)), uri);
    return c.is_null() || !c["Expires"].is_number() ? -1 : c["Expires"].get<int>();
  };
  EXPECT_NEAR(expires_of("1", contact("p")), 100, 2);
  EXPECT_NEAR(expires_of("2", contact("h")), 200, 2);
  EXPECT_NEAR(expires_of("3", contact("d")), 300, 2);
  EXPECT_NEAR(expires_of("4", contact("m")), 600, 2);
  EXPECT_NEAR(expires_of("5", contact("n")), 600, 2);
}

TEST_F(SipRegistrar, ExpiresBelowMinimumIs423WithMinExpires) {
  long long rejected = d().stat("registrar:rejected_regs");
  auto r = make_register(test_user(), "example.com", {"<" + contact("a") + ">;expires=5"});
  auto a = peer().request(r, kReply);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 423) << a->raw;
  EXPECT_EQ(a->reason, "Interval Too Brief");
  EXPECT_EQ(a->header("Min-Expires"), "10");
  // Through the Expires header too, and the limit itself is accepted.
  next_cseq(r);
  r.contacts = {"<" + contact("a") + ">"};
  r.expires = "9";
  a = peer().request(r, kReply);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 423) << a->raw;
  EXPECT_EQ(a->header("Min-Expires"), "10");
  EXPECT_EQ(rpc(d(), "ul_show_contact", {{"table_name", "location"}, {"aor", aor()}})["error"]["message"],
            "AOR not found");
  EXPECT_EQ(d().stat("registrar:rejected_regs"), rejected + 2);

  next_cseq(r);
  r.expires = "10";
  a = peer().request(r, kReply);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 200) << a->raw;
  EXPECT_NEAR(contact_expires(contact_for(*a, contact("a"))), 10, 1);
}

TEST_F(SipRegistrar, RefreshWithHigherCSeqUpdatesTheBinding) {
  auto r = make_register(test_user(), "example.com", {"<" + contact("a") + ">;expires=100"});
  auto a = peer().request(r, kReply);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->status, 200);
  next_cseq(r);
  r.contacts = {"<" + contact("a") + ">;expires=500"};
  r.user_agent = "refreshed-ua";
  a = peer().request(r, kReply);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->status, 200) << a->raw;
  ASSERT_EQ(a->contacts().size(), 1u) << "a refresh must not add a second binding: " << a->raw;
  EXPECT_NEAR(contact_expires(a->contacts()[0]), 500, 1);
  json cs = show_contacts(d(), aor());
  ASSERT_EQ(cs.size(), 1u) << cs.dump();
  EXPECT_EQ(cs[0]["Cseq"], 2);
  EXPECT_NEAR(cs[0]["Expires"].get<int>(), 500, 2);
  EXPECT_EQ(cs[0]["User-agent"], "refreshed-ua");
}

TEST_F(SipRegistrar, SameCallIdWithLowerCSeqIs400AndEqualCSeqIsARetransmission) {
  auto r = make_register(test_user(), "example.com", {"<" + contact("a") + ">;expires=100"});
  r.cseq_number = 5;
  auto a = peer().request(r, kReply);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->status, 200);
  // Requests are handled statelessly: the same Call-ID and CSeq is a retransmission of the
  // REGISTER already saved, answered with the current bindings and not applied again.
  {
    SipRequest again = r;
    again.branch.clear();
    again.contacts = {"<" + contact("a") + ">;expires=400"};
    auto b = peer().request(again, kReply);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->status, 200) << b->raw;
    ASSERT_EQ(b->contacts().size(), 1u) << b->raw;
    EXPECT_NEAR(contact_expires(b->contacts()[0]), 100, 1) << "a retransmission changed the binding";
  }
  for (std::uint32_t cseq : {4u, 1u}) {
    SipRequest again = r;
    again.branch.clear();
    again.cseq_number = cseq;
    again.contacts = {"<" + contact("a") + ">;expires=400"};
    auto b = peer().request(again, kReply);
    ASSERT_TRUE(b) << "cseq " << cseq;
    EXPECT_EQ(b->status, 400) << "cseq " << cseq << ": " << b->raw;
  }
  // Removing with a stale CSeq is refused too.
  SipRequest rm = r;
  rm.branch.clear();
  rm.cseq_number = 3;
  rm.contacts = {"<" + contact("a") + ">;expires=0"};
  auto b = peer().request(rm, kReply);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 400) << b->raw;
  json cs = show_contacts(d(), aor());
  ASSERT_EQ(cs.size(), 1u) << cs.dump();
  EXPECT_EQ(cs[0]["Cseq"], 5);
  EXPECT_NEAR(cs[0]["Expires"].get<int>(), 100, 2);

  // Another Call-ID (a rebooted phone) may start again at CSeq 1.
  auto other = make_register(test_user(), "example.com", {"<" + contact("a") + ">;expires=300"});
  other.cseq_number = 1;
  auto c = peer().request(other, kReply);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, 200) << c->raw;
  cs = show_contacts(d(), aor());
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0]["Callid"], other.call_id);
  EXPECT_EQ(cs[0]["Cseq"], 1);
}

TEST_F(SipRegistrar, RetransmittedRegisterIsAnsweredAgainAndAppliedOnce) {
  long long accepted = d().stat("registrar:accepted_regs");
  auto r = make_register(test_user(), "example.com", {"<" + contact("a") + ">;expires=100"});
  std::string bytes = peer().build(r);
  peer().send_raw(bytes);
  auto a = peer().receive_final(r.branch, kReply);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->status, 200) << a->raw;
  peer().send_raw(bytes);  // the very same datagram (lost 200, Timer E fired)
  auto b = peer().receive_final(r.branch, kReply);
  ASSERT_TRUE(b) << "a retransmission must be answered again";
  EXPECT_EQ(b->status, 200) << b->raw;
  EXPECT_EQ(b->contacts().size(), 1u) << b->raw;
  EXPECT_EQ(show_contacts(d(), aor()).size(), 1u);
  EXPECT_EQ(d().stat("registrar:accepted_regs"), accepted + 1) << "the retransmission was applied twice";
}

TEST_F(SipRegistrar, QueryWithoutContactReturnsCurrentBindings) {
  auto r = make_register(test_user(), "example.com", {"<" + contact("a") + ">;expires=100", "<" + contact("b") + ">;expires=200"});
  auto a = peer().request(r, kReply);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->status, 200) << a->raw;
  long long accepted = d().stat("registrar:accepted_regs");
  auto q = make_register(test_user(), "example.com");
  auto b = peer().request(q, kReply);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 200) << b->raw;
  ASSERT_EQ(b->contacts().size(), 2u) << b->raw;
  EXPECT_NEAR(contact_expires(contact_for(*b, contact("a"))), 100, 1);
  EXPECT_NEAR(contact_expires(contact_for(*b, contact("b"))), 200, 1);
  EXPECT_EQ(show_contacts(d(), aor()).size(), 2u);
  // A query for an AOR without bindings: 200 and no Contact.
  auto none = make_register(test_user("nobody"), "example.com");
  auto c = peer().request(none, kReply);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, 200) << c->raw;
  EXPECT_FALSE(c->has("Contact")) << c->raw;
  EXPECT_EQ(rpc(d(), "ul_show_contact", {{"table_name", "location"}, {"aor", aor("nobody")}})["error"]["code"], 404);
  (void)accepted;
}

TEST_F(SipRegistrar, TwoContactsWithQValues) {
  // One header line with two comma-separated contacts.
  auto r = make_register(test_user(), "example.com",
                         {"<" + contact("a") + ">;q=0.5;expires=100, <" + contact("b") + ">;q=1;expires=100"});
  auto a = peer().request(r, kReply);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->status, 200) << a->raw;
  ASSERT_EQ(a->contacts().size(), 2u) << a->raw;
  EXPECT_EQ(header_param(contact_for(*a, contact("a")), "q").value_or("?"), "0.5");
  EXPECT_EQ(header_param(contact_for(*a, contact("b")), "q").value_or("?"), "1");
  json cs = show_contacts(d(), aor());
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(find_contact(cs, contact("a"))["Q"], "0.5");
  EXPECT_EQ(find_contact(cs, contact("b"))["Q"], "1");
  // A q outside 0..1 is refused and changes nothing.
  next_cseq(r);
  r.contacts = {"<" + contact("a") + ">;q=2"};
  auto b = peer().request(r, kReply);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 400) << b->raw;
  EXPECT_EQ(find_contact(show_contacts(d(), aor()), contact("a"))["Q"], "0.5");
}

TEST_F(SipRegistrar, StarWithExpiresZeroRemovesEveryBinding) {
  auto r = make_register(test_user(), "example.com", {"<" + contact("a") + ">;expires=100", "<" + contact("b") + ">;expires=100"});
  auto a = peer().request(r, kReply);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->status, 200);
  long long contacts = d().stat("usrloc:location-contacts");
  next_cseq(r);
  r.contacts = {"*"};
  r.expires = "0";
  auto b = peer().request(r, kReply);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 200) << b->raw;
  EXPECT_FALSE(b->has("Contact")) << b->raw;
  json j = rpc(d(), "ul_show_contact", {{"table_name", "location"}, {"aor", aor()}});
  EXPECT_EQ(j["error"]["code"], 404) << j.dump();
  EXPECT_EQ(j["error"]["message"], "AOR not found");
  EXPECT_EQ(d().stat("usrloc:location-contacts"), contacts - 2);
}

TEST_F(SipRegistrar, StarWithoutExpiresZeroIs400) {
  auto r = make_register(test_user(), "example.com", {"<" + contact("a") + ">;expires=100"});
  auto a = peer().request(r, kReply);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->status, 200);
  struct Case {
    std::vector<std::string> contacts;
    std::optional<std::string> expires;
  };
  for (const Case& c : {Case{{"*"}, std::nullopt}, Case{{"*"}, "60"},
                        Case{{"*", "<" + contact("b") + ">"}, "0"}}) {
    next_cseq(r);
    r.contacts = c.contacts;
    r.expires = c.expires;
    auto b = peer().request(r, kReply);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->status, 400) << b->raw;
  }
  EXPECT_EQ(show_contacts(d(), aor()).size(), 1u) << "the bindings survive a refused `*`";
}

TEST_F(SipRegistrar, ExpiresZeroRemovesOneContact) {
  auto r = make_register(test_user(), "example.com", {"<" + contact("a") + ">;expires=100", "<" + contact("b") + ">;expires=100"});
  auto a = peer().request(r, kReply);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->status, 200);
  next_cseq(r);
  r.contacts = {"<" + contact("a") + ">;expires=0"};
  auto b = peer().request(r, kReply);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 200) << b->raw;
  ASSERT_EQ(b->contacts().size(), 1u) << b->raw;
  EXPECT_EQ(header_uri(b->contacts()[0]), contact("b"));
  json cs = show_contacts(d(), aor());
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0]["Contact"], contact("b"));
  // Through `Expires: 0` for a contact without a param, the AOR disappears with its last one.
  next_cseq(r);
  r.contacts = {"<" + contact("b") + ">"};
  r.expires = "0";
  b = peer().request(r, kReply);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 200) << b->raw;
  EXPECT_FALSE(b->has("Contact"));
  EXPECT_EQ(rpc(d(), "ul_show_contact", {{"table_name", "location"}, {"aor", aor()}})["error"]["code"], 404);
}

TEST_F(SipRegistrar, MoreThanMaxContactsIs403) {
  auto r = make_register(test_user(), "example.com",
                         {"<" + contact("a") + ">", "<" + contact("b") + ">", "<" + contact("c") + ">"}, "100");
  auto a = peer().request(r, kReply);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->status, 200) << a->raw;
  EXPECT_EQ(a->contacts().size(), 3u);
  next_cseq(r);
  r.contacts = {"<" + contact("d") + ">"};
  auto b = peer().request(r, kReply);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 403) << b->raw;
  EXPECT_EQ(b->reason, "Too many registered contacts");
  EXPECT_EQ(show_contacts(d(), aor()).size(), 3u);
  // Replacing one while adding one stays within the limit.
  next_cseq(r);
  r.contacts = {"<" + contact("a") + ">;expires=0", "<" + contact("d") + ">"};
  b = peer().request(r, kReply);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 200) << b->raw;
  json cs = show_contacts(d(), aor());
  EXPECT_EQ(cs.size(), 3u);
  EXPECT_TRUE(find_contact(cs, contact("a")).is_null());
  EXPECT_FALSE(find_contact(cs, contact("d")).is_null());
  // Four at once for a new AOR: refused as a whole.
  auto four = make_register(test_user("new"), "example.com",
                            {"<" + contact("a") + ">", "<" + contact("b") + ">", "<" + contact("c") + ">",
                             "<" + contact("d") + ">"}, "100");
  auto c = peer().request(four, kReply);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, 403) << c->raw;
  EXPECT_EQ(rpc(d(), "ul_show_contact", {{"table_name", "location"}, {"aor", aor("new")}})["error"]["code"], 404);
}

TEST_F(SipRegistrar, AorDomainIsCaseInsensitive) {
  auto r = make_register(test_user(), "EXAMPLE.Com", {"<" + contact("a") + ">"}, "100");
  auto a = peer().request(r, kReply);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->status, 200) << a->raw;
  EXPECT_EQ(show_contacts(d(), aor()).size(), 1u);
  EXPECT_EQ(show_contacts(d(), test_user() + "@Example.COM").size(), 1u);
}

TEST_F(SipRegistrar, ConcurrentRegistrationsAllLand) {
  constexpr int kPeers = 4, kEach = 50;
  long long users = d().stat("usrloc:location-users");
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kPeers; ++t) {
    threads.emplace_back([&, t] {
      SipPeer p(d().sip_port());
      for (int i = 0; i < kEach; ++i) {
        std::string user = test_user("-" + std::to_string(t) + "-" + std::to_string(i));
        auto r = make_register(user, "example.com", {"<" + p.contact_uri(user) + ">"}, "100");
        auto a = p.request(r, kReply);
        if (a && a->status == 200 && a->contacts().size() == 1) ok.fetch_add(1);
      }
    });
  }
  // Management commands run on the same engine thread meanwhile.
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(rpc(d(), "ul_dump", json::array({1})).contains("result"));
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kPeers * kEach);
  EXPECT_EQ(d().stat("usrloc:location-users"), users + kPeers * kEach);
  json dump = rpc(d(), "ul_dump", json::array({1}));
  int mine = 0;
  for (const auto& a : dump["result"]["Domains"][0]["AORs"])
    if (a["AOR"].get<std::string>().rfind(test_user("-"), 0) == 0) ++mine;
  EXPECT_EQ(mine, kPeers * kEach);
}

}  // namespace
}  // namespace sb::test::sip
