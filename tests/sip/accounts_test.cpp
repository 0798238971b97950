// accounts_test.cpp: outbound registration of SIP accounts against the real daemon, with the
// scripted peer (tests/support/sip_peer.h) as the registrar: the REGISTER's Request-URI, From,
// To, Contact, Expires and Call-ID/CSeq; a 401 (and a 407) answered with a digest response the
// test verifies; a wrong password → failed with "401 Unauthorized (wrong credentials?)"; the
// refresh at 90 % of the granted expiry; 503 + Retry-After honoured; back-off doubling to
// accounts.retry_max_s; a timeout; account_rm → Expires: 0; reg_list fields; statistics; and
// Expires: 0 at a graceful shutdown.
// Short settings keep it fast: accounts.retry_min_s=1, retry_max_s=2, sip.t1_ms=50.
#include <signal.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sip/sip_test_util.h"

namespace sb::test::sip {
namespace {

using Clock = std::chrono::steady_clock;

/// What a scripted registrar saw, by transaction: UDP retransmissions (same Via branch) are the
/// same request, so a handler answers them alike and they count once. Thread-safe.
class Transactions {
 public:
  /// The index (0, 1, ...) of `req`'s transaction, recording its arrival the first time.
  std::size_t index_of(const SipMessage& req) {
    std::lock_guard lk(mu_);
    std::string b = req.branch();
    for (std::size_t i = 0; i < branches_.size(); ++i)
      if (branches_[i] == b) return i;
    branches_.push_back(b);
    times_.push_back(Clock::now());
    requests_.push_back(req);
    return branches_.size() - 1;
  }
  std::vector<Clock::time_point> times() const {
    std::lock_guard lk(mu_);
    return times_;
  }
  std::vector<SipMessage> requests() const {
    std::lock_guard lk(mu_);
    return requests_;
  }
  std::size_t size() const {
    std::lock_guard lk(mu_);
    return branches_.size();
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> branches_;
  std::vector<Clock::time_point> times_;
  std::vector<SipMessage> requests_;
};

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

class SipAccounts : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    daemon_ = new TestDaemon({"accounts.retry_min_s=1", "accounts.retry_max_s=2", "sip.t1_ms=50"});
  }
  static void TearDownTestSuite() {
    if (daemon_) expect_clean_stop(*daemon_);
    delete daemon_;
    daemon_ = nullptr;
  }
  void TearDown() override {
    if (!name_.empty()) rpc(d(), "account_rm", {{"name", name_}});
  }
  const TestDaemon& d() { return *daemon_; }

  /// account_add for this test's account, registering to `peer` (named params; `extra` wins).
  json add(const SipPeer& peer, json extra = json::object()) {
    name_ = test_user();
    json p = {{"name", name_}, {"address", peer.host_port()}, {"username", "alice"}, {"secret", "pw-alice"},
              {"domain", "example.com"}, {"expires", 600}};
    for (auto& [k, v] : extra.items()) p[k] = v;
    return rpc(d(), "account_add", p);
  }
  json entry() {
    json j = rpc(d(), "reg_list");
    for (const auto& e : j["result"]["Registrations"])
      if (e.value("name", "") == name_) return e;
    return nullptr;
  }
  bool wait_state(const std::string& state, std::chrono::milliseconds timeout) {
    return wait_until([&] { json e = entry(); return e.is_object() && e["state"] == state; }, timeout);
  }
  std::string contact_uri() const { return "sip:alice@127.0.0.1:" + std::to_string(daemon_->sip_port()); }
  /// A 200 for `req` echoing its Contact with `;expires=<grant>`.
  static std::string ok(const SipMessage& req, int grant) {
    std::string contact = req.header("Contact");
    return SipPeer::make_response(req, 200, "OK", {{"Contact", contact + ";expires=" + std::to_string(grant)}});
  }

  static TestDaemon* daemon_;
  std::string name_;
};
TestDaemon* SipAccounts::daemon_ = nullptr;

TEST_F(SipAccounts, RegistersWithTheExpectedHeadersAndReportsIt) {
  SipPeer peer;
  peer.serve([](const SipMessage& req) { return std::vector<std::string>{ok(req, 120)}; });
  long long registered0 = d().stat("accounts:registered");
  long long changes0 = d().stat("accounts:reg_state_changes");
  json a = add(peer, {{"displayname", "Trunk A"}});
  ASSERT_TRUE(a.contains("result")) << a.dump();
  EXPECT_EQ(a["result"]["has_secret"], true);
  auto reg = peer.wait_for_method("REGISTER", 5s);
  ASSERT_TRUE(reg);
  EXPECT_EQ(reg->uri, "sip:example.com");
  EXPECT_EQ(header_uri(reg->header("From")), "sip:alice@example.com");
  EXPECT_NE(reg->header("From").find("\"Trunk A\""), std::string::npos) << reg->header("From");
  EXPECT_FALSE(reg->from_tag().empty());
  EXPECT_EQ(header_uri(reg->header("To")), "sip:alice@example.com");
  EXPECT_TRUE(reg->to_tag().empty());
  ASSERT_EQ(reg->contacts().size(), 1u) << reg->raw;
  EXPECT_EQ(header_uri(reg->contacts()[0]), contact_uri());
  EXPECT_EQ(reg->header("Expires"), "600");
  EXPECT_EQ(reg->cseq_method(), "REGISTER");
  EXPECT_FALSE(reg->header("Call-ID").empty());
  EXPECT_FALSE(reg->has("Authorization")) << "no credentials before a challenge";
  EXPECT_EQ(reg->from_port(), d().sip_port()) << "sent from our listener";

  ASSERT_TRUE(wait_state("registered", 5s)) << entry().dump();
  json e = entry();
  EXPECT_EQ(e["registrar"], "sip:example.com");
  EXPECT_EQ(e["next_hop"], "sip:" + peer.host_port() + ";transport=udp");
  EXPECT_EQ(e["contact"], "<" + contact_uri() + ">");
  EXPECT_EQ(e["expires"], 120) << "the granted expiry, from the 200's Contact";
  EXPECT_GE(e["expires_in"].get<int>(), 115);
  EXPECT_LE(e["expires_in"].get<int>(), 120);
  EXPECT_GE(e["refresh_in"].get<int>(), 100) << "refresh at 90 % of 120 s";
  EXPECT_EQ(e["last_error"], "");
  EXPECT_EQ(e["failures"], 0);
  EXPECT_EQ(e["next_retry_in"], 0);
  EXPECT_NEAR(e["last_change"].get<double>(), static_cast<double>(std::time(nullptr)), 10);
  EXPECT_EQ(d().stat("accounts:registered"), registered0 + 1);
  EXPECT_GE(d().stat("accounts:reg_state_changes"), changes0 + 2) << "disabled → registering → registered";
  json list = rpc(d(), "account_list");
  EXPECT_EQ(list.dump().find("pw-alice"), std::string::npos) << "the secret is never printed";
  EXPECT_EQ(d().log().find("pw-alice"), std::string::npos) << "nor logged";
}

TEST_F(SipAccounts, Answers401WithAVerifiedDigest) {
  SipPeer peer;
  std::mutex mu;
  std::vector<std::string> verdicts;
  Transactions seen;
  peer.serve([&](const SipMessage& req) {
    bool retransmission = seen.index_of(req) + 1 < seen.size();
    if (!req.has("Authorization"))
      return std::vector<std::string>{SipPeer::make_response(
          req, 401, "Unauthorized",
          {{"WWW-Authenticate", R"(Digest realm="example.com", nonce="n-4f1c", qop="auth", algorithm=MD5)"}})};
    auto p = auth_params(req.header("Authorization"));
    // RFC 2617 §3.2.2, computed here with the peer's own MD5.
    std::string ha1 = md5_hex("auth-alice:example.com:pw-alice");
    std::string ha2 = md5_hex("REGISTER:sip:example.com");
    std::string expected = md5_hex(ha1 + ":n-4f1c:" + p["nc"] + ":" + p["cnonce"] + ":auth:" + ha2);
    std::string verdict = p["username"] != "auth-alice" ? "username " + p["username"]
                          : p["realm"] != "example.com" ? "realm " + p["realm"]
                          : p["nonce"] != "n-4f1c"      ? "nonce " + p["nonce"]
                          : p["uri"] != "sip:example.com" ? "uri " + p["uri"]
                          : p["qop"] != "auth"           ? "qop " + p["qop"]
                          : p["response"] != expected    ? "response " + p["response"] + " != " + expected
                                                         : "ok";
    if (!retransmission) {
      std::lock_guard lk(mu);
      verdicts.push_back(verdict);
    }
    return std::vector<std::string>{verdict == "ok" ? ok(req, 300) : SipPeer::make_response(req, 403, "Forbidden")};
  });
  long long challenges0 = d().stat("accounts:auth_challenges");
  ASSERT_TRUE(add(peer, {{"auth_user", "auth-alice"}}).contains("result"));
  ASSERT_TRUE(wait_state("registered", 5s)) << entry().dump();
  {
    std::lock_guard lk(mu);
    ASSERT_EQ(verdicts.size(), 1u);
    EXPECT_EQ(verdicts[0], "ok");
  }
  auto regs = seen.requests();
  ASSERT_EQ(regs.size(), 2u);
  EXPECT_EQ(regs[0].header("Call-ID"), regs[1].header("Call-ID")) << "one Call-ID per registration";
  EXPECT_EQ(regs[1].cseq(), regs[0].cseq() + 1);
  EXPECT_EQ(regs[1].from_tag(), regs[0].from_tag());
  EXPECT_EQ(d().stat("accounts:auth_challenges"), challenges0 + 1);
}

TEST_F(SipAccounts, Answers407WithProxyAuthorization) {
  SipPeer peer;
  peer.serve([](const SipMessage& req) {
    if (!req.has("Proxy-Authorization"))
      return std::vector<std::string>{SipPeer::make_response(
          req, 407, "Proxy Authentication Required",
          {{"Proxy-Authenticate", R"(Digest realm="proxy.example.com", nonce="p-77")"}})};
    auto p = auth_params(req.header("Proxy-Authorization"));
    std::string expected = md5_hex(md5_hex("alice:proxy.example.com:pw-alice") + ":p-77:" +
                                   md5_hex("REGISTER:sip:example.com"));
    return std::vector<std::string>{p["response"] == expected ? ok(req, 300)
                                                              : SipPeer::make_response(req, 403, "Bad digest")};
  });
  ASSERT_TRUE(add(peer).contains("result"));
  ASSERT_TRUE(wait_state("registered", 5s)) << entry().dump();
}

TEST_F(SipAccounts, WrongPasswordFailsWithAClearError) {
  SipPeer peer;
  Transactions seen;
  peer.serve([&](const SipMessage& req) {  // every REGISTER is challenged with the same nonce
    seen.index_of(req);
    return std::vector<std::string>{SipPeer::make_response(
        req, 401, "Unauthorized", {{"WWW-Authenticate", R"(Digest realm="example.com", nonce="same", qop="auth")"}})};
  });
  long long failures0 = d().stat("accounts:reg_failures");
  ASSERT_TRUE(add(peer).contains("result"));
  ASSERT_TRUE(wait_state("failed", 5s)) << entry().dump();
  json e = entry();
  EXPECT_EQ(e["last_error"], "401 Unauthorized (wrong credentials?)");
  EXPECT_GE(e["failures"].get<int>(), 1);
  EXPECT_GE(d().stat("accounts:reg_failures"), failures0 + 1);
  // Each attempt answers the nonce once: an authorized REGISTER always follows an unauthorized
  // one (the refused credentials are not offered again), never two answers in a row.
  EXPECT_EQ(d().log().find("pw-alice"), std::string::npos) << "the secret is never logged";
  // The retry (retry_min_s = 1) is a second attempt: again an unauthorized REGISTER, then one
  // answering the new challenge.
  ASSERT_TRUE(wait_until([&] { return seen.size() >= 4; }, 5s)) << seen.size() << " REGISTERs\n" << entry().dump();
  auto regs = seen.requests();
  ASSERT_GE(regs.size(), 4u);
  for (std::size_t i = 0; i < regs.size(); ++i)
    EXPECT_EQ(regs[i].has("Authorization"), i % 2 == 1) << "REGISTER #" << i << "\n" << regs[i].raw;
}

TEST_F(SipAccounts, RefreshesAt90PercentOfTheGrantedExpiry) {
  SipPeer peer;
  Transactions seen;
  peer.serve([&](const SipMessage& req) {
    seen.index_of(req);
    return std::vector<std::string>{ok(req, 2)};  // granted 2 s of the 600 asked
  });
  ASSERT_TRUE(add(peer).contains("result"));
  ASSERT_TRUE(wait_until([&] { return seen.size() >= 2; }, 5s)) << entry().dump();
  auto regs = seen.requests();
  EXPECT_EQ(regs[1].header("Call-ID"), regs[0].header("Call-ID"));
  EXPECT_EQ(regs[1].cseq(), regs[0].cseq() + 1);
  EXPECT_EQ(regs[1].header("Expires"), "600") << "the refresh asks for the configured expiry again";
  auto t = seen.times();
  ASSERT_GE(t.size(), 2u);
  double gap = seconds_between(t[0], t[1]);
  EXPECT_GE(gap, 1.5) << "0.9 * 2 s";
  EXPECT_LE(gap, 2.5);
  json e = entry();
  EXPECT_EQ(e["state"], "registered");
  EXPECT_EQ(e["expires"], 2);
}

TEST_F(SipAccounts, RetryAfterIsHonoured) {
  SipPeer peer;
  Transactions seen;
  peer.serve([&](const SipMessage& req) {
    if (seen.index_of(req) == 0)
      return std::vector<std::string>{
          SipPeer::make_response(req, 503, "Service Unavailable", {{"Retry-After", "3"}})};
    return std::vector<std::string>{ok(req, 300)};
  });
  ASSERT_TRUE(add(peer).contains("result"));
  ASSERT_TRUE(wait_state("failed", 3s)) << entry().dump();
  json e = entry();
  EXPECT_EQ(e["last_error"], "503 Service Unavailable");
  EXPECT_GE(e["next_retry_in"].get<int>(), 2);
  EXPECT_LE(e["next_retry_in"].get<int>(), 3);
  ASSERT_TRUE(wait_state("registered", 6s)) << entry().dump();
  auto t = seen.times();
  ASSERT_GE(t.size(), 2u);
  EXPECT_GE(seconds_between(t[0], t[1]), 2.7) << "Retry-After: 3, not the 1 s back-off";
  EXPECT_EQ(entry()["last_error"], "") << "cleared by the success";
}

TEST_F(SipAccounts, FailuresBackOffDoublingUpToTheMaximum) {
  SipPeer peer;
  Transactions seen;
  peer.serve([&](const SipMessage& req) {
    seen.index_of(req);
    return std::vector<std::string>{SipPeer::make_response(req, 500, "Server Internal Error")};
  });
  ASSERT_TRUE(add(peer).contains("result"));
  ASSERT_TRUE(wait_until([&] { return seen.size() >= 4; }, 9s)) << entry().dump();
  auto t = seen.times();
  // retry_min_s = 1, retry_max_s = 2: gaps of 1 s, 2 s (doubled), 2 s (capped, not 4 s).
  double gap1 = seconds_between(t[0], t[1]), gap2 = seconds_between(t[1], t[2]), gap3 = seconds_between(t[2], t[3]);
  EXPECT_GE(gap1, 0.8);
  EXPECT_LT(gap1, 1.8);
  EXPECT_GE(gap2, 1.8);
  EXPECT_LT(gap2, 3.0);
  EXPECT_GE(gap3, 1.8);
  EXPECT_LT(gap3, 3.0) << "capped at retry_max_s";
  json e = entry();
  EXPECT_EQ(e["state"], "failed");
  EXPECT_EQ(e["last_error"], "500 Server Internal Error");
  EXPECT_GE(e["failures"].get<int>(), 3);
}

TEST_F(SipAccounts, NoResponseIsATimeout) {
  SipPeer peer;
  peer.serve(nullptr);  // a black hole
  ASSERT_TRUE(add(peer).contains("result"));
  ASSERT_TRUE(wait_state("failed", 8s)) << entry().dump();  // 64 * T1 = 3.2 s
  std::string error = entry()["last_error"];
  EXPECT_EQ(error.rfind("408 Request Timeout", 0), 0u) << error;
}

TEST_F(SipAccounts, AccountRmRemovesTheBindingWithExpires0) {
  SipPeer peer;
  peer.serve([](const SipMessage& req) { return std::vector<std::string>{ok(req, 300)}; });
  ASSERT_TRUE(add(peer).contains("result"));
  ASSERT_TRUE(wait_state("registered", 5s)) << entry().dump();
  json r = rpc(d(), "account_rm", {{"name", name_}});
  EXPECT_EQ(r["result"], "OK") << r.dump();
  auto gone = peer.wait_for([](const SipMessage& m) { return m.header("Expires") == "0"; }, 5s);
  ASSERT_TRUE(gone) << "no REGISTER with Expires: 0";
  auto regs = peer.received();
  EXPECT_EQ(gone->header("Call-ID"), regs[0].header("Call-ID"));
  EXPECT_GT(gone->cseq(), regs[0].cseq());
  ASSERT_EQ(gone->contacts().size(), 1u);
  EXPECT_EQ(header_uri(gone->contacts()[0]), contact_uri());
  EXPECT_TRUE(entry().is_null()) << "gone from reg_list";
  EXPECT_EQ(rpc(d(), "account_rm", {{"name", name_}})["error"]["code"], 404);
  name_.clear();
}

TEST_F(SipAccounts, UpdatingTheSecretRestartsTheRegistration) {
  SipPeer peer;
  peer.serve([](const SipMessage& req) { return std::vector<std::string>{ok(req, 300)}; });
  ASSERT_TRUE(add(peer).contains("result"));
  ASSERT_TRUE(wait_state("registered", 5s));
  std::size_t before = peer.count("REGISTER");
  json r = rpc(d(), "account_update", {{"name", name_}, {"secret", "new-secret"}});
  ASSERT_TRUE(r.contains("result")) << r.dump();
  ASSERT_TRUE(wait_until([&] { return peer.count("REGISTER") > before; }, 5s));
  // A field the REGISTER does not carry changes nothing on the wire.
  ASSERT_TRUE(wait_state("registered", 5s));
  std::size_t after = peer.count("REGISTER");
  json registered = entry();
  r = rpc(d(), "account_update", {{"name", name_}, {"matchtype", "to_user"}});
  ASSERT_TRUE(r.contains("result")) << r.dump();
  // reg_list runs on the engine after the update: a restarted registration would show
  // "registering" (a new one) at once; this one is the same, still registered.
  json now = entry();
  EXPECT_EQ(now["state"], "registered") << now.dump();
  EXPECT_EQ(now["last_change"], registered["last_change"]) << now.dump();
  EXPECT_EQ(now["failures"], registered["failures"]) << now.dump();
  EXPECT_EQ(peer.count("REGISTER"), after);
}

TEST(SipAccountsShutdown, AGracefulStopUnregisters) {
  TestDaemon daemon;
  SipPeer peer;
  peer.serve([](const SipMessage& req) {
    std::string contact = req.header("Contact");
    return std::vector<std::string>{SipPeer::make_response(req, 200, "OK", {{"Contact", contact + ";expires=300"}})};
  });
  json a = rpc(daemon, "account_add", {{"name", "t1"}, {"address", peer.host_port()}, {"username", "bob"},
                                       {"secret", "x"}});
  ASSERT_TRUE(a.contains("result")) << a.dump();
  ASSERT_TRUE(wait_until([&] { return peer.count("REGISTER") >= 1; }, 5s));
  ASSERT_TRUE(wait_until([&] { return rpc(daemon, "reg_list").dump().find("\"registered\"") != std::string::npos; }, 5s));
  EXPECT_EQ(daemon.stop(SIGTERM), 0) << daemon.log();
  auto regs = peer.received();
  ASSERT_GE(regs.size(), 2u);
  EXPECT_EQ(regs.back().header("Expires"), "0") << "the binding is removed at shutdown";
  EXPECT_EQ(regs.back().header("Call-ID"), regs.front().header("Call-ID"));
}

}  // namespace
}  // namespace sb::test::sip
