// caller_auth_test.cpp: Registrar::authenticate_caller (digest authentication of an INVITE from a
// subscriber, RFC 3261 §22.3) in-process, with the clock injected: the `now` the call engine
// passes in. A nonce is good for registrar.nonce_expires seconds; after that the right password
// gets a new challenge with stale=true (a client retries without asking its user), and the fresh
// nonce works. Without a clock to set, this took a 6 s sleep against the real daemon
// (tests/sip/calls_auth_test.cpp covers the 407 exchange on the wire).
// Threading: single-threaded; sofia-sip messages parsed from text.
#include "gateway/sip/sofia.h"  // first: sofia's magic types

#include "gateway/registrar/registrar.h"

#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "gateway/registrar/digest.h"
#include "gateway/registrar/subscribers.h"
#include "gateway/sip/sip_stack.h"
#include "gateway/store/database.h"
#include "gateway/usrloc/usrloc.h"
#include "mi/statistics.h"
#include "support/temp_dir.h"

namespace sb::gateway {
namespace {

constexpr std::int64_t kT0 = 1'700'000'000;  // the injected clock's start
const std::string kRuri = "sip:9124@127.0.0.1:5060";

/// A parsed INVITE from alice@example.com, with `proxy_authorization` when not empty.
class Invite {
 public:
  explicit Invite(const std::string& proxy_authorization = {}, int cseq = 1) {
    std::string text = "INVITE " + kRuri + " SIP/2.0\r\n"
                       "Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK-" + std::to_string(cseq) + "\r\n"
                       "Max-Forwards: 70\r\n"
                       "From: <sip:alice@example.com>;tag=a1\r\n"
                       "To: <sip:9124@example.com>\r\n"
                       "Call-ID: stale-nonce@test\r\n"
                       "CSeq: " + std::to_string(cseq) + " INVITE\r\n"
                       "Contact: <sip:alice@127.0.0.1:5099>\r\n";
    if (!proxy_authorization.empty()) text += "Proxy-Authorization: " + proxy_authorization + "\r\n";
    text += "Content-Length: 0\r\n\r\n";
    msg_ = msg_make(sip_default_mclass(), 0, text.data(), static_cast<ssize_t>(text.size()));
  }
  ~Invite() {
    if (msg_) msg_destroy(msg_);
  }
  Invite(const Invite&) = delete;
  Invite& operator=(const Invite&) = delete;
  msg_t* msg() const { return msg_; }
  const sip_t* sip() const { return msg_ ? sip_object(msg_) : nullptr; }

 private:
  msg_t* msg_ = nullptr;
};

/// The value of `name="…"` in a challenge header ("" when absent).
std::string param(const std::string& header, const std::string& name) {
  std::smatch m;
  std::regex re(name + R"(=\"([^\"]*)\")");
  return std::regex_search(header, m, re) ? m[1].str() : std::string();
}

/// Proxy-Authorization for alice answering `nonce` with qop=auth and nonce count `nc`, computed
/// from the RFC 2617 formulas (not by the code under test).
std::string credentials(const std::string& nonce, const std::string& password, const std::string& nc) {
  const std::string cnonce = "c0ffee";
  std::string ha1 = md5_hex("alice:example.com:" + password);
  std::string ha2 = md5_hex("INVITE:" + kRuri);
  std::string response = md5_hex(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":auth:" + ha2);
  return "Digest username=\"alice\", realm=\"example.com\", nonce=\"" + nonce + "\", uri=\"" + kRuri +
         "\", response=\"" + response + "\", algorithm=MD5, qop=auth, nc=" + nc + ", cnonce=\"" + cnonce + "\"";
}

class CallerAuthClock : public ::testing::Test {
 protected:
  CallerAuthClock() {
    db_.migrate();
    EXPECT_TRUE(subscribers_.add("alice", "example.com", "pw-alice", kT0));
  }
  /// authenticate_caller at the injected time `now`.
  CallerAuth at(std::int64_t now, const Invite& invite) {
    EXPECT_NE(invite.sip(), nullptr) << "the test INVITE does not parse";
    return registrar_.authenticate_caller(invite.msg(), invite.sip(), "INVITE", now);
  }
  static RegistrarConfig config() {
    RegistrarConfig c;
    c.auth = true;
    c.nonce_expires = 5;
    return c;
  }

  sb::test::TempDir tmp_;
  Database db_{DatabaseOptions{tmp_ / "sb.db"}};
  mi::Statistics stats_;
  Subscribers subscribers_{db_};
  Usrloc usrloc_{nullptr, stats_};
  SipStack sip_{SipConfig{{"udp:127.0.0.1:0"}, 500, "test"}, stats_};  // never started: not used
  Registrar registrar_{config(), sip_, usrloc_, subscribers_, stats_};
};

TEST_F(CallerAuthClock, ANonceIsGoodForItsLifetimeThenStaleAndTheFreshOneWorks) {
  CallerAuth first = at(kT0, Invite());
  ASSERT_EQ(first.kind, CallerAuth::Kind::challenge) << first.why;
  EXPECT_EQ(first.header.find("stale=true"), std::string::npos) << first.header;
  std::string nonce = param(first.header, "nonce");
  ASSERT_FALSE(nonce.empty()) << first.header;

  // At the end of its lifetime (5 s) the nonce is still good.
  CallerAuth in_time = at(kT0 + 5, Invite(credentials(nonce, "pw-alice", "00000001"), 2));
  EXPECT_EQ(in_time.kind, CallerAuth::Kind::authenticated) << in_time.why << " " << in_time.header;
  EXPECT_EQ(in_time.aor, "alice@example.com");

  // One second later: the right password, but the nonce expired → challenged again, stale=true,
  // and that is no authentication failure.
  CallerAuth stale = at(kT0 + 6, Invite(credentials(nonce, "pw-alice", "00000002"), 3));
  ASSERT_EQ(stale.kind, CallerAuth::Kind::challenge) << stale.why;
  EXPECT_NE(stale.header.find("stale=true"), std::string::npos) << stale.header;
  EXPECT_FALSE(stale.failed);
  EXPECT_EQ(stats_.counter("registrar", "auth_failures").get(), 0);
  std::string fresh = param(stale.header, "nonce");
  ASSERT_FALSE(fresh.empty()) << stale.header;
  EXPECT_NE(fresh, nonce);

  // The fresh nonce works at that time.
  CallerAuth ok = at(kT0 + 6, Invite(credentials(fresh, "pw-alice", "00000001"), 4));
  EXPECT_EQ(ok.kind, CallerAuth::Kind::authenticated) << ok.why << " " << ok.header;
}

}  // namespace
}  // namespace sb::gateway
