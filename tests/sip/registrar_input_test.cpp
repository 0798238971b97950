// registrar_input_test.cpp: what the registrar's daemon does with requests it does not
// register — OPTIONS, unknown methods, stray CANCEL/ACK, malformed REGISTERs, bytes that are not
// UTF-8 — against the real daemon over real UDP SIP on loopback (the RFC 3261 §10.3 cases are in
// registrar_test.cpp).
#include <gtest/gtest.h>

#include "conformance/channels.h"
#include "sip/registrar_fixture.h"
#include "sip/sip_test_util.h"

namespace sb::test::sip {
namespace {

class SipRegistrarInput : public RegistrarFixture {};

// --- OPTIONS and unknown methods --------------------------------------------------------------

TEST_F(SipRegistrarInput, OptionsIs200WithAllow) {
  long long requests = d().stat("core:rcv_requests");
  SipRequest r = to_daemon("OPTIONS", "", "ping", "monitor");
  auto a = peer().request(r, kReply);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 200) << a->raw;
  auto allow = a->all("Allow");
  EXPECT_NE(std::find(allow.begin(), allow.end(), "REGISTER"), allow.end()) << a->header("Allow");
  EXPECT_NE(std::find(allow.begin(), allow.end(), "OPTIONS"), allow.end()) << a->header("Allow");
  EXPECT_EQ(a->header("Call-ID"), r.call_id);
  EXPECT_EQ(a->header("CSeq"), "1 OPTIONS");
  EXPECT_GE(d().stat("core:rcv_requests"), requests + 1);
}

TEST_F(SipRegistrarInput, UnknownMethodIs405WithAllow) {
  long long unsupported = d().stat("core:unsupported_methods");
  SipRequest r = to_daemon("SUBSCRIBE", "bob", "bob", "alice");
  r.extra = {{"Event", "presence"}};
  r.contacts = {"<" + contact("alice") + ">"};
  auto a = peer().request(r, kReply);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 405) << a->raw;
  auto allow = a->all("Allow");
  EXPECT_NE(std::find(allow.begin(), allow.end(), "REGISTER"), allow.end()) << a->raw;
  EXPECT_NE(std::find(allow.begin(), allow.end(), "OPTIONS"), allow.end()) << a->raw;
  EXPECT_EQ(std::find(allow.begin(), allow.end(), "SUBSCRIBE"), allow.end()) << a->raw;
  EXPECT_EQ(d().stat("core:unsupported_methods"), unsupported + 1);
}

TEST_F(SipRegistrarInput, StrayCancelIs481AndStrayAckIsNotAnswered) {
  SipRequest c = to_daemon("CANCEL", "nobody", "nobody", "caller");
  auto a = peer().request(c, kReply);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 481) << a->raw;
  SipRequest ack = c;
  ack.method = "ACK";
  ack.branch.clear();
  peer().send_raw(peer().build(ack));
  EXPECT_FALSE(peer().receive(300ms)) << "an ACK is never answered";
}

TEST_F(SipRegistrarInput, UlShowContactErrors) {
  json j = rpc(d(), "ul_show_contact", {"location", "no-domain"});
  EXPECT_EQ(j["error"]["code"], 400) << j.dump();
  j = rpc(d(), "ul_show_contact", {"nosuchtable", aor()});
  EXPECT_EQ(j["error"]["code"], 404) << j.dump();
  EXPECT_EQ(j["error"]["message"], "Table not found");
  EXPECT_EQ(d().text("ul_show_contact", {"location", aor()}).rfind("404 AOR not found\n", 0), 0u);
}

// --- malformed requests -----------------------------------------------------------------------

TEST_F(SipRegistrarInput, MalformedRegistersAre400OrIgnoredAndTheDaemonSurvives) {
  const std::string via = "Via: SIP/2.0/UDP " + peer().host_port() + ";branch=z9hG4bK";
  const std::string to_ok = "To: <sip:" + test_user() + "@example.com>\r\n";
  const std::string from_ok = "From: <sip:" + test_user() + "@example.com>;tag=1\r\n";
  const std::string contact_ok = "Contact: <" + contact("a") + ">\r\n";
  auto request = [&](const std::string& branch, const std::string& headers) {
    return "REGISTER sip:example.com SIP/2.0\r\n" + via + branch + ";rport\r\nMax-Forwards: 70\r\n" + headers +
           "Content-Length: 0\r\n\r\n";
  };
  struct Case {
    const char* what;
    std::string bytes;
    bool must_answer;  ///< Via is intact: a 400 is owed
  };
  std::vector<Case> cases = {
      {"bad To URI", request("bt", "To: <sip:@>\r\n" + from_ok + "Call-ID: m1\r\nCSeq: 1 REGISTER\r\n" + contact_ok), true},
      {"To is not a URI", request("bt2", "To: this is not a uri\r\n" + from_ok + "Call-ID: m2\r\nCSeq: 1 REGISTER\r\n" + contact_ok), true},
      {"bad From URI", request("bf", to_ok + "From: <sip:>;tag=1\r\nCall-ID: m3\r\nCSeq: 1 REGISTER\r\n" + contact_ok), true},
      {"missing Call-ID", request("mc", to_ok + from_ok + "CSeq: 1 REGISTER\r\n" + contact_ok), true},
      {"garbage CSeq", request("gc", to_ok + from_ok + "Call-ID: m4\r\nCSeq: abc REGISTER\r\n" + contact_ok), true},
      {"CSeq without method", request("gc2", to_ok + from_ok + "Call-ID: m5\r\nCSeq: 1\r\n" + contact_ok), true},
      {"bad Contact expires", request("ce", to_ok + from_ok + "Call-ID: m6\r\nCSeq: 1 REGISTER\r\nContact: <" + contact("a") + ">;expires=soon\r\n"), true},
      {"negative Contact expires", request("ce2", to_ok + from_ok + "Call-ID: m7\r\nCSeq: 1 REGISTER\r\nContact: <" + contact("a") + ">;expires=-5\r\n"), true},
      {"huge Contact expires", request("ce3", to_ok + from_ok + "Call-ID: m8\r\nCSeq: 1 REGISTER\r\nContact: <" + contact("a") + ">;expires=99999999999999999999\r\n"), true},
      {"bad Expires header", request("eh", to_ok + from_ok + "Call-ID: m9\r\nCSeq: 1 REGISTER\r\nExpires: tomorrow\r\n" + contact_ok), true},
      {"huge header", request("hh", "To: <sip:" + test_user("huge") + "@example.com>\r\n" + from_ok +
                                        "Call-ID: m11\r\nCSeq: 1 REGISTER\r\n" + contact_ok +
                                        "X-Huge: " + std::string(60000, 'x') + "\r\n"), false},
      {"no Via", "REGISTER sip:example.com SIP/2.0\r\n" + to_ok + from_ok + "Call-ID: m12\r\nCSeq: 1 REGISTER\r\n\r\n", false},
      {"random bytes", [] {
         std::string s;
         unsigned x = 12345;
         for (int i = 0; i < 1500; ++i) {
           x = x * 1103515245u + 12345u;
           s += static_cast<char>(x >> 16);
         }
         return s;
       }(), false},
      {"only a start line", "REGISTER sip:example.com SIP/2.0\r\n\r\n", false},
      {"empty datagram-ish", "\r\n\r\n", false},
  };
  long long accepted = d().stat("registrar:accepted_regs");
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    peer().send_raw(c.bytes);
    auto reply = peer().receive(c.must_answer ? 2000ms : 300ms);
    while (reply && reply->status > 0 && reply->status < 200) reply = peer().receive(2000ms);
    if (c.must_answer) {
      ASSERT_TRUE(reply) << "no reply";
      EXPECT_EQ(reply->status, 400) << reply->raw;
    } else if (reply) {
      if (std::string(c.what) == "huge header") {
        EXPECT_TRUE(reply->status == 200 || reply->status == 400 || reply->status == 513) << reply->raw;
      } else {
        EXPECT_EQ(reply->status, 400) << reply->raw;
      }
    }
    // Alive and still answering management commands.
    ASSERT_EQ(d().text("uptime").rfind("200 OK\n", 0), 0u);
  }
  // Only the (legal) huge request may have been registered.
  EXPECT_LE(d().stat("registrar:accepted_regs"), accepted + 1) << "nothing malformed was registered";
  EXPECT_EQ(rpc(d(), "ul_show_contact", {{"table_name", "location"}, {"aor", aor()}})["error"]["code"], 404);
  // And a proper REGISTER still works.
  auto r = make_register(test_user(), "example.com", {"<" + contact("ok") + ">"}, "100");
  auto a = peer().request(r, kReply);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 200) << a->raw;
  EXPECT_EQ(show_contacts(d(), aor()).size(), 1u);
}

// A Contact value that is not a URI at all (no scheme) must not become a binding: the registrar
// only checks that sofia found a "host", and sofia's URL parser takes `nonsense` for one.
TEST_F(SipRegistrarInput, ContactWithoutUriSchemeIs400) {
  for (const std::string& bad : {std::string("<nonsense>"), std::string("<alice@127.0.0.1>")}) {
    SCOPED_TRACE(bad);
    auto r = make_register(test_user(), "example.com", {bad}, "100");
    auto a = peer().request(r, kReply);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 400) << a->raw;
  }
  json cs = show_contacts(d(), aor());
  EXPECT_TRUE(cs.empty()) << "stored a binding ul_add itself would refuse: " << cs.dump();
}

// Bytes that are not UTF-8 (or are control characters) in the headers a phone sends end up in
// usrloc; every management channel must still render the binding.
TEST_F(SipRegistrarInput, NonUtf8HeaderBytesDoNotBreakManagementOutput) {
  std::string raw = "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP " + peer().host_port() +
                    ";branch=z9hG4bKutf8;rport\r\nMax-Forwards: 70\r\nTo: <sip:" + test_user() +
                    "@example.com>\r\nFrom: <sip:" + test_user() + "@example.com>;tag=1\r\n" +
                    "Call-ID: bin\x01\xff@x\r\nCSeq: 1 REGISTER\r\nUser-Agent: UA \xff\xfe\xc3 end\r\n" +
                    "Contact: <" + contact("a") + ">\r\nExpires: 100\r\nContent-Length: 0\r\n\r\n";
  peer().send_raw(raw);
  auto a = peer().receive_final("z9hG4bKutf8", kReply);
  ASSERT_TRUE(a) << "no answer";
  // Accepted: such bytes are legal in a User-Agent (UTF8-NONASCII) and sofia takes them in the
  // Call-ID too; a refusal here would leave nothing to render and is a regression.
  ASSERT_EQ(a->status, 200) << a->raw;
  ASSERT_EQ(show_contacts(d(), aor()).size(), 1u) << "the binding to render is stored";
  for (const auto& ch : conformance::all_channels(d())) {
    SCOPED_TRACE(ch.name);
    auto o = ch.send({"ul_show_contact", {"location", aor()}});
    ASSERT_TRUE(o.transport_ok) << o.transport_error;
    EXPECT_TRUE(o.ok) << o.code << " " << o.message;
    auto dump = ch.send({"ul_dump", {}});
    ASSERT_TRUE(dump.transport_ok) << dump.transport_error;
    EXPECT_TRUE(dump.ok) << dump.code << " " << dump.message;
  }
}

}  // namespace
}  // namespace sb::test::sip
