// client_auth_test.cpp: gateway/sip/client_auth.h — answering parsed 401/407 replies. Every
// expected response is computed here from the RFC 2617 §3.2.2 formulas (checked first against
// the RFC's own worked example), never by the code under test: qop=auth, no qop, auth-int,
// MD5-sess, 407 → Proxy-Authorization, nc counting in ClientAuth, and the challenges that cannot be
// answered (algorithm, scheme, qop, no challenge) with their reasons.
// Threading: single-threaded; sofia-sip messages parsed from text.
#include "gateway/sip/sofia.h"  // first: sofia's magic types

#include "gateway/sip/client_auth.h"

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "gateway/registrar/digest.h"

namespace sb::gateway {
namespace {

/// A parsed SIP reply, destroyed with the test.
class Reply {
 public:
  explicit Reply(const std::string& headers) {
    std::string text = headers + "Content-Length: 0\r\n\r\n";
    msg_ = msg_make(sip_default_mclass(), 0, text.data(), static_cast<ssize_t>(text.size()));
  }
  ~Reply() {
    if (msg_) msg_destroy(msg_);
  }
  const sip_t* sip() const { return msg_ ? sip_object(msg_) : nullptr; }

 private:
  msg_t* msg_ = nullptr;
};

std::string reply_401(const std::string& challenge) {
  return "SIP/2.0 401 Unauthorized\r\n"
         "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n"
         "From: <sip:alice@example.com>;tag=1\r\n"
         "To: <sip:alice@example.com>;tag=2\r\n"
         "Call-ID: c1@test\r\n"
         "CSeq: 1 REGISTER\r\n"
         "WWW-Authenticate: " + challenge + "\r\n";
}

std::string reply_407(const std::string& challenge) {
  return "SIP/2.0 407 Proxy Authentication Required\r\n"
         "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n"
         "From: <sip:alice@example.com>;tag=1\r\n"
         "To: <sip:bob@example.com>;tag=2\r\n"
         "Call-ID: c2@test\r\n"
         "CSeq: 1 INVITE\r\n"
         "Proxy-Authenticate: " + challenge + "\r\n";
}

/// `Digest a="b", c=d` → {"": "Digest", "a": "b", "c": "d"} (keys lower-cased, values unquoted).
std::map<std::string, std::string> params(const std::string& value) {
  std::map<std::string, std::string> out;
  auto sp = value.find(' ');
  out[""] = value.substr(0, sp);
  std::size_t i = sp == std::string::npos ? value.size() : sp + 1;
  while (i < value.size()) {
    while (i < value.size() && (value[i] == ' ' || value[i] == ',')) ++i;
    auto eq = value.find('=', i);
    if (eq == std::string::npos) break;
    std::string key = value.substr(i, eq - i);
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    i = eq + 1;
    std::string v;
    if (i < value.size() && value[i] == '"') {
      for (++i; i < value.size() && value[i] != '"'; ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) ++i;
        v += value[i];
      }
      ++i;
    } else {
      while (i < value.size() && value[i] != ',') v += value[i++];
      while (!v.empty() && v.back() == ' ') v.pop_back();
    }
    out[key] = v;
  }
  return out;
}

/// RFC 2617 §3.2.2.1 and §3.2.2.3: request-digest for MD5 / MD5-sess, qop auth or none.
std::string rfc2617_response(const std::string& user, const std::string& realm, const std::string& password,
                             const std::string& method, const std::string& uri, const std::string& nonce,
                             const std::string& qop, const std::string& nc, const std::string& cnonce,
                             bool sess = false) {
  std::string ha1 = md5_hex(user + ":" + realm + ":" + password);
  if (sess) ha1 = md5_hex(ha1 + ":" + nonce + ":" + cnonce);
  std::string ha2 = md5_hex(method + ":" + uri);
  if (qop.empty()) return md5_hex(ha1 + ":" + nonce + ":" + ha2);
  return md5_hex(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":" + qop + ":" + ha2);
}

TEST(ClientAuth, TheReferenceFormulaReproducesRfc2617sExample) {
  // RFC 2617 §3.5: Mufasa / "Circle Of Life", GET /dir/index.html.
  EXPECT_EQ(rfc2617_response("Mufasa", "testrealm@host.com", "Circle Of Life", "GET", "/dir/index.html",
                             "dcd98b7102dd2f0e8b11d0f600bfb0c093", "auth", "00000001", "0a4f113b"),
            "6629fae49393a05397450978507c4ef1");
}

TEST(ClientAuth, Answers401WithQopAuth) {
  Reply r(reply_401(R"(Digest realm="example.com", nonce="abc123nonce", qop="auth", opaque="opq-9", algorithm=MD5)"));
  ASSERT_NE(r.sip(), nullptr);
  std::string why;
  auto h = answer_challenge(r.sip(), "REGISTER", "sip:example.com", "alice", "s3cret", &why);
  ASSERT_TRUE(h) << why;
  EXPECT_EQ(h->first, "Authorization");
  auto p = params(h->second);
  EXPECT_EQ(p[""], "Digest");
  EXPECT_EQ(p["username"], "alice");
  EXPECT_EQ(p["realm"], "example.com");
  EXPECT_EQ(p["nonce"], "abc123nonce");
  EXPECT_EQ(p["uri"], "sip:example.com");
  EXPECT_EQ(p["qop"], "auth");
  EXPECT_EQ(p["nc"], "00000001");
  EXPECT_EQ(p["opaque"], "opq-9") << "opaque is echoed";
  ASSERT_FALSE(p["cnonce"].empty());
  EXPECT_EQ(p["response"], rfc2617_response("alice", "example.com", "s3cret", "REGISTER", "sip:example.com",
                                            "abc123nonce", "auth", p["nc"], p["cnonce"]))
      << h->second;
}

TEST(ClientAuth, Answers401WithoutQop) {
  Reply r(reply_401(R"(Digest realm="example.com", nonce="n0qop")"));
  std::string why;
  auto h = answer_challenge(r.sip(), "REGISTER", "sip:example.com", "bob", "pw", &why);
  ASSERT_TRUE(h) << why;
  EXPECT_EQ(h->first, "Authorization");
  auto p = params(h->second);
  EXPECT_EQ(p.count("cnonce"), 0u) << "no qop: no cnonce (RFC 2617 §3.2.2)";
  EXPECT_EQ(p.count("nc"), 0u);
  EXPECT_EQ(p.count("qop"), 0u);
  EXPECT_EQ(p["response"],
            rfc2617_response("bob", "example.com", "pw", "REGISTER", "sip:example.com", "n0qop", "", "", ""))
      << h->second;
}

TEST(ClientAuth, Answers407WithProxyAuthorization) {
  Reply r(reply_407(R"(Digest realm="proxy.example.net", nonce="pxn", qop="auth,auth-int")"));
  std::string why;
  auto h = answer_challenge(r.sip(), "INVITE", "sip:bob@example.com", "carol", "pw2", &why);
  ASSERT_TRUE(h) << why;
  EXPECT_EQ(h->first, "Proxy-Authorization");
  auto p = params(h->second);
  EXPECT_EQ(p["realm"], "proxy.example.net");
  EXPECT_EQ(p["uri"], "sip:bob@example.com");
  EXPECT_EQ(p["qop"], "auth") << "qop=auth is chosen from auth,auth-int";
  EXPECT_EQ(p["response"], rfc2617_response("carol", "proxy.example.net", "pw2", "INVITE", "sip:bob@example.com",
                                            "pxn", "auth", p["nc"], p["cnonce"]))
      << h->second;
}

TEST(ClientAuth, AuthIntAloneIsAnsweredOverAnEmptyBody) {
  Reply r(reply_401(R"(Digest realm="example.com", nonce="intonly", qop="auth-int")"));
  std::string why;
  auto h = answer_challenge(r.sip(), "REGISTER", "sip:example.com", "erin", "pw4", &why);
  ASSERT_TRUE(h) << why;
  auto p = params(h->second);
  EXPECT_EQ(p["qop"], "auth-int");
  // RFC 2617 §3.2.2.3: A2 = method ":" digest-uri ":" H(entity-body).
  std::string ha1 = md5_hex("erin:example.com:pw4");
  std::string ha2 = md5_hex("REGISTER:sip:example.com:" + md5_hex(""));
  EXPECT_EQ(p["response"], md5_hex(ha1 + ":intonly:" + p["nc"] + ":" + p["cnonce"] + ":auth-int:" + ha2)) << h->second;
}

TEST(ClientAuth, AnswersMd5Sess) {
  Reply r(reply_401(R"(Digest realm="example.com", nonce="sessnonce", qop="auth", algorithm=MD5-sess)"));
  std::string why;
  auto h = answer_challenge(r.sip(), "REGISTER", "sip:example.com", "dave", "pw3", &why);
  ASSERT_TRUE(h) << why;
  auto p = params(h->second);
  EXPECT_EQ(p["response"], rfc2617_response("dave", "example.com", "pw3", "REGISTER", "sip:example.com", "sessnonce",
                                            "auth", p["nc"], p["cnonce"], true))
      << h->second;
}

TEST(ClientAuth, UnsupportedAlgorithmSaysWhy) {
  Reply r(reply_401(R"(Digest realm="example.com", nonce="n1", qop="auth", algorithm=SHA-256)"));
  std::string why;
  EXPECT_FALSE(answer_challenge(r.sip(), "REGISTER", "sip:example.com", "alice", "pw", &why));
  EXPECT_NE(why.find("unsupported digest algorithm 'SHA-256'"), std::string::npos) << why;
}

TEST(ClientAuth, OtherUnanswerableChallengesSayWhy) {
  std::string why;
  Reply basic(reply_401(R"(Basic realm="example.com")"));
  EXPECT_FALSE(answer_challenge(basic.sip(), "REGISTER", "sip:example.com", "a", "b", &why));
  EXPECT_NE(why.find("unsupported authentication scheme 'Basic'"), std::string::npos) << why;

  Reply qop(reply_401(R"(Digest realm="example.com", nonce="n", qop="auth-conf")"));
  EXPECT_FALSE(answer_challenge(qop.sip(), "REGISTER", "sip:example.com", "a", "b", &why));
  EXPECT_NE(why.find("unsupported qop 'auth-conf'"), std::string::npos) << why;

  Reply no_nonce(reply_401(R"(Digest realm="example.com")"));
  EXPECT_FALSE(answer_challenge(no_nonce.sip(), "REGISTER", "sip:example.com", "a", "b", &why));
  EXPECT_NE(why.find("no nonce"), std::string::npos) << why;

  Reply none("SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\n"
             "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 REGISTER\r\n");
  EXPECT_FALSE(answer_challenge(none.sip(), "REGISTER", "sip:example.com", "a", "b", &why));
  EXPECT_NE(why.find("no challenge"), std::string::npos) << why;
}

TEST(ClientAuth, PicksTheAnswerableOfSeveralChallenges) {
  // RFC 8760 servers offer SHA-256 first and MD5 second: the MD5 one is answered.
  std::string text = reply_401(R"(Digest realm="example.com", nonce="n256", qop="auth", algorithm=SHA-256)") +
                     "WWW-Authenticate: Digest realm=\"example.com\", nonce=\"nmd5\", qop=\"auth\", algorithm=MD5\r\n";
  Reply r(text);
  std::string why;
  auto h = answer_challenge(r.sip(), "REGISTER", "sip:example.com", "alice", "pw", &why);
  ASSERT_TRUE(h) << why;
  auto p = params(h->second);
  EXPECT_EQ(p["nonce"], "nmd5");
  EXPECT_EQ(p["response"], rfc2617_response("alice", "example.com", "pw", "REGISTER", "sip:example.com", "nmd5",
                                            "auth", p["nc"], p["cnonce"]));
}

TEST(ClientAuth, ChallengesOfReadsEveryField) {
  std::string text = reply_401(R"(Digest realm="r1", nonce="n1", qop="auth", stale=TRUE, opaque="o")");
  Reply r(text);
  auto list = challenges_of(r.sip());
  ASSERT_EQ(list.size(), 1u);
  EXPECT_FALSE(list[0].proxy);
  EXPECT_EQ(list[0].scheme, "Digest");
  EXPECT_EQ(list[0].realm, "r1");
  EXPECT_EQ(list[0].nonce, "n1");
  EXPECT_EQ(list[0].qop, "auth");
  EXPECT_EQ(list[0].opaque, "o");
  EXPECT_TRUE(list[0].stale);
  Reply p(reply_407(R"(Digest realm="r2", nonce="n2")"));
  auto plist = challenges_of(p.sip());
  ASSERT_EQ(plist.size(), 1u);
  EXPECT_TRUE(plist[0].proxy);
  EXPECT_FALSE(plist[0].stale);
  EXPECT_TRUE(challenges_of(nullptr).empty());
}

TEST(ClientAuth, KeptCredentialsCountNcUpAndClearForgetsThem) {
  Reply r(reply_401(R"(Digest realm="example.com", nonce="keep", qop="auth")"));
  ClientAuth auth;
  EXPECT_FALSE(auth.has_credentials());
  std::vector<AuthHeader> headers;
  std::string why;
  ASSERT_TRUE(auth.headers("REGISTER", "sip:example.com", &headers, &why));
  EXPECT_TRUE(headers.empty()) << "nothing before a challenge";
  ASSERT_TRUE(auth.challenge(r.sip(), "alice", "pw", &why)) << why;
  EXPECT_TRUE(auth.has_credentials());
  ASSERT_TRUE(auth.headers("REGISTER", "sip:example.com", &headers, &why)) << why;
  ASSERT_EQ(headers.size(), 1u);
  auto first = params(headers[0].second);
  ASSERT_TRUE(auth.headers("REGISTER", "sip:example.com", &headers, &why)) << why;
  ASSERT_EQ(headers.size(), 1u);
  auto second = params(headers[0].second);
  EXPECT_EQ(first["nc"], "00000001");
  EXPECT_EQ(second["nc"], "00000002");
  EXPECT_EQ(first["cnonce"], second["cnonce"]);
  EXPECT_EQ(second["response"], rfc2617_response("alice", "example.com", "pw", "REGISTER", "sip:example.com", "keep",
                                                 "auth", "00000002", second["cnonce"]));
  auth.clear();
  EXPECT_FALSE(auth.has_credentials());
  ASSERT_TRUE(auth.headers("REGISTER", "sip:example.com", &headers, &why));
  EXPECT_TRUE(headers.empty());
}

}  // namespace
}  // namespace sb::gateway
