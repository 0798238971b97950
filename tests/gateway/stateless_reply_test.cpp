// stateless_reply_test.cpp: the SIP response a REGISTER worker sends without sofia-sip's
// transport (gateway/sip/stateless_reply.h), from requests parsed by sofia-sip's parser: the
// Via's rport and received (RFC 3581, RFC 3261 §18.2.1), the destination port (§18.2.2), the To
// tag, the headers copied, and what cannot be answered.
// Threading: single-threaded.
#include "gateway/sip/sofia.h"  // first: sofia's magic types

#include "gateway/sip/stateless_reply.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

#include <gtest/gtest.h>

namespace sb::gateway {
namespace {

/// A request parsed as the worker parses it.
struct Parsed {
  explicit Parsed(const std::string& text)
      : msg(msg_make(sip_default_mclass(), 0, text.data(), static_cast<isize_t>(text.size()))) {}
  ~Parsed() { msg_destroy(msg); }
  sip_t* sip() const { return sip_object(msg); }
  msg_t* msg;
};

sockaddr_in source(const char* ip, unsigned port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

std::string request(const std::string& via, const std::string& to = "To: <sip:alice@example.com>\r\n",
                    const std::string& callid = "Call-ID: c1@host\r\n") {
  return "REGISTER sip:example.com SIP/2.0\r\nVia: " + via + "\r\nFrom: <sip:alice@example.com>;tag=f1\r\n" + to +
         callid + "CSeq: 7 REGISTER\r\nContact: <sip:alice@10.0.0.9:5070>\r\nContent-Length: 0\r\n\r\n";
}

struct Reply {
  bool ok = false;
  std::string text;
  ReplyAddress to;
  unsigned port() const { return ntohs(reinterpret_cast<const sockaddr_in*>(&to.addr)->sin_port); }
  std::string ip() const {
    char b[INET_ADDRSTRLEN] = "";
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&to.addr)->sin_addr, b, sizeof b);
    return b;
  }
};

Reply answer(const std::string& text, const sockaddr_in& from, int status = 200, const char* phrase = "OK",
             const std::string& extra = "Contact: <sip:alice@10.0.0.9:5070>;expires=60") {
  Parsed p(text);
  Reply r;
  r.ok = make_stateless_reply(p.sip(), msg_home(p.msg), reinterpret_cast<const sockaddr*>(&from), status, phrase, extra,
                              "Switchboard test", r.text, r.to);
  return r;
}

TEST(StatelessReply, RportIsFilledAndTheReplyGoesToTheSourcePort) {
  auto r = answer(request("SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-a;rport"), source("127.0.0.1", 40001));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.text.rfind("SIP/2.0 200 OK\r\n", 0), 0u) << r.text;
  EXPECT_NE(r.text.find("Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-a;rport=40001\r\n"), std::string::npos) << r.text;
  EXPECT_EQ(r.text.find("received="), std::string::npos) << "same host: no received\n" << r.text;
  EXPECT_EQ(r.port(), 40001u);
  EXPECT_EQ(r.ip(), "127.0.0.1");
  EXPECT_EQ(r.to.length, sizeof(sockaddr_in));
}

TEST(StatelessReply, WithoutRportTheReplyGoesToTheSentByPortOr5060) {
  auto r = answer(request("SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-b"), source("127.0.0.1", 40002));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.port(), 5070u);
  EXPECT_NE(r.text.find("Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-b\r\n"), std::string::npos) << r.text;
  auto d = answer(request("SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK-c"), source("127.0.0.1", 40003));
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.port(), 5060u);
}

TEST(StatelessReply, ReceivedIsAddedWhenTheSentByHostIsAnother) {
  auto r = answer(request("SIP/2.0/UDP phone.example.com:5070;branch=z9hG4bK-d;rport"), source("192.0.2.7", 40004));
  ASSERT_TRUE(r.ok);
  EXPECT_NE(r.text.find("Via: SIP/2.0/UDP phone.example.com:5070;branch=z9hG4bK-d;rport=40004;received=192.0.2.7\r\n"),
            std::string::npos)
      << r.text;
  EXPECT_EQ(r.ip(), "192.0.2.7") << "to the address the request came from, not the sent-by host";
  EXPECT_EQ(r.port(), 40004u);
}

TEST(StatelessReply, WhatTheClientPutInRportAndReceivedIsReplaced) {
  // A forged received= and rport= value: the reply names what we saw, and goes there.
  auto r = answer(request("SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-l;rport=1234;received=203.0.113.9"),
                  source("127.0.0.1", 40005));
  ASSERT_TRUE(r.ok);
  EXPECT_NE(r.text.find("Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-l;rport=40005\r\n"), std::string::npos) << r.text;
  EXPECT_EQ(r.text.find("203.0.113.9"), std::string::npos) << r.text;
  EXPECT_EQ(r.port(), 40005u);
  EXPECT_EQ(r.ip(), "127.0.0.1");
}

/// The reply to `text` received from [ip]:port.
Reply answer6(const std::string& text, const char* ip, unsigned port) {
  sockaddr_in6 from{};
  from.sin6_family = AF_INET6;
  from.sin6_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET6, ip, &from.sin6_addr);
  Parsed p(text);
  Reply r;
  r.ok = make_stateless_reply(p.sip(), msg_home(p.msg), reinterpret_cast<const sockaddr*>(&from), 200, "OK", "", "",
                              r.text, r.to);
  return r;
}

unsigned port6(const ReplyAddress& to) { return ntohs(reinterpret_cast<const sockaddr_in6*>(&to.addr)->sin6_port); }

TEST(StatelessReply, AnIPv6SentByInAnotherCaseIsTheSameHost) {
  auto r = answer6(request("SIP/2.0/UDP [2001:DB8::A]:5070;branch=z9hG4bK-m"), "2001:db8::a", 40011);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.text.find("received="), std::string::npos) << r.text;
  EXPECT_EQ(port6(r.to), 5070u);
}

TEST(StatelessReply, ACancelsResponseGetsNoToTag) {
  Parsed p("CANCEL sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-n\r\n"
           "From: <sip:alice@example.com>;tag=f1\r\nTo: <sip:bob@example.com>\r\nCall-ID: c9\r\n"
           "CSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n");
  auto from = source("127.0.0.1", 5070);
  std::string out;
  ReplyAddress to;
  ASSERT_TRUE(make_stateless_reply(p.sip(), msg_home(p.msg), reinterpret_cast<const sockaddr*>(&from), 481, nullptr, "",
                                   "", out, to));
  EXPECT_NE(out.find("To: <sip:bob@example.com>\r\n"), std::string::npos) << out;
}

TEST(StatelessReply, EveryViaAndTheDialogHeadersAreCopiedWithATagOfOurs) {
  auto r = answer(request("SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-e, SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bK-f"),
                  source("127.0.0.1", 5070), 423, "Interval Too Brief", "Min-Expires: 60");
  ASSERT_TRUE(r.ok);
  const auto first = r.text.find("Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-e\r\n");
  const auto second = r.text.find("Via: SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bK-f\r\n");
  ASSERT_NE(first, std::string::npos) << r.text;
  ASSERT_NE(second, std::string::npos) << r.text;
  EXPECT_LT(first, second) << "in the request's order";
  EXPECT_EQ(r.text.rfind("SIP/2.0 423 Interval Too Brief\r\n", 0), 0u);
  EXPECT_NE(r.text.find("From: <sip:alice@example.com>;tag=f1\r\n"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("To: <sip:alice@example.com>;tag="), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("Call-ID: c1@host\r\n"), std::string::npos);
  EXPECT_NE(r.text.find("CSeq: 7 REGISTER\r\n"), std::string::npos);
  EXPECT_NE(r.text.find("Min-Expires: 60\r\n"), std::string::npos);
  EXPECT_NE(r.text.find("Server: Switchboard test\r\n"), std::string::npos);
  EXPECT_EQ(r.text.substr(r.text.size() - 21), "Content-Length: 0\r\n\r\n");
  // Two replies to the same request: two tags (stateless, as sofia's nta_msg_treply).
  auto again = answer(request("SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-e"), source("127.0.0.1", 5070));
  auto tag = [](const std::string& t) {
    auto at = t.find("To: <sip:alice@example.com>;tag=");
    return t.substr(at, t.find("\r\n", at) - at);
  };
  EXPECT_NE(tag(r.text), tag(again.text));
  EXPECT_EQ(tag(r.text).size(), std::string("To: <sip:alice@example.com>;tag=").size() + 12);
}

TEST(StatelessReply, AToTagTheClientSentIsKept) {
  auto r = answer(request("SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-g", "To: <sip:alice@example.com>;tag=theirs\r\n"),
                  source("127.0.0.1", 5070));
  ASSERT_TRUE(r.ok);
  EXPECT_NE(r.text.find("To: <sip:alice@example.com>;tag=theirs\r\n"), std::string::npos) << r.text;
  EXPECT_EQ(r.text.find("tag=", r.text.find("tag=theirs") + 4), std::string::npos) << "one tag only\n" << r.text;
}

TEST(StatelessReply, AMissingHeaderIsLeftOutAndWithoutViaThereIsNoReply) {
  // The registrar answers 400 to a REGISTER without Call-ID; sofia's nta sends it without one.
  auto r = answer(request("SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-h", "To: <sip:alice@example.com>\r\n", ""),
                  source("127.0.0.1", 5070), 400, "Missing Call-ID", "");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.text.find("\r\nCall-ID:"), std::string::npos) << r.text;
  EXPECT_EQ(r.text.rfind("SIP/2.0 400 Missing Call-ID\r\n", 0), 0u) << r.text;
  // No Via: nowhere to send a response.
  Parsed noVia("REGISTER sip:example.com SIP/2.0\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\n"
               "CSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n");
  std::string out = "untouched";
  ReplyAddress to;
  auto from = source("127.0.0.1", 5070);
  EXPECT_FALSE(make_stateless_reply(noVia.sip(), msg_home(noVia.msg), reinterpret_cast<const sockaddr*>(&from), 400,
                                    nullptr, "", "", out, to));
  EXPECT_EQ(out, "untouched");
  // Not an IP source.
  sockaddr unix_source{};
  unix_source.sa_family = AF_UNIX;
  Parsed ok(request("SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-i"));
  EXPECT_FALSE(make_stateless_reply(ok.sip(), msg_home(ok.msg), &unix_source, 200, nullptr, "", "", out, to));
  // A null phrase: the standard one.
  auto std_phrase = answer(request("SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-j"), source("127.0.0.1", 5070), 481,
                           nullptr, "");
  EXPECT_EQ(std_phrase.text.rfind("SIP/2.0 481 Call/Transaction Does Not Exist\r\n", 0), 0u) << std_phrase.text;
}

TEST(StatelessReply, IPv6SourcesAreAnsweredWithoutBrackets) {
  auto r = answer6(request("SIP/2.0/UDP [::1]:5070;branch=z9hG4bK-k;rport"), "::1", 40010);
  ASSERT_TRUE(r.ok);
  EXPECT_NE(r.text.find("Via: SIP/2.0/UDP [::1]:5070;branch=z9hG4bK-k;rport=40010\r\n"), std::string::npos)
      << "[::1] is the source: no received\n" << r.text;
  EXPECT_EQ(r.to.length, sizeof(sockaddr_in6));
  EXPECT_EQ(port6(r.to), 40010u);
}

}  // namespace
}  // namespace sb::gateway
