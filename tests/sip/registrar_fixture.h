// registrar_fixture.h: the daemon and SIP peer the registrar tests share (registrar_test.cpp,
// registrar_input_test.cpp, registrar_auth_test.cpp): one daemon per test suite, a fresh peer
// per test.
// Threading: gtest's (the test thread).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sip/sip_test_util.h"

namespace sb::test::sip {
namespace {

/// One daemon per test suite, a fresh SIP peer per test. `Suite` (the derived fixture) starts
/// the daemon in its SetUpTestSuite with start_daemon(); each suite has its own daemon.
template <class Suite>
class SuiteDaemon : public ::testing::Test {
 protected:
  static void start_daemon(std::vector<std::string> settings) { daemon_ = new TestDaemon(std::move(settings)); }
  static void TearDownTestSuite() {
    if (daemon_) expect_clean_stop(*daemon_);
    delete daemon_;
    daemon_ = nullptr;
  }
  void SetUp() override { peer_ = std::make_unique<SipPeer>(daemon_->sip_port()); }
  static const TestDaemon& d() { return *daemon_; }
  SipPeer& peer() { return *peer_; }

  inline static TestDaemon* daemon_ = nullptr;
  std::unique_ptr<SipPeer> peer_;
};

// Bounds differ from the defaults so that each one is observable: min 10, max 600, default 300,
// at most 3 contacts per AOR.
class RegistrarFixture : public SuiteDaemon<RegistrarFixture> {
 protected:
  static void SetUpTestSuite() {
    start_daemon({"registrar.min_expires=10", "registrar.max_expires=600", "registrar.default_expires=300",
                  "registrar.max_contacts=3"});
  }
  std::string aor(const std::string& suffix = "") { return test_user(suffix) + "@example.com"; }
  /// <sip:<name>@127.0.0.1:<peer port>>
  std::string contact(const std::string& name) { return peer().contact_uri(name); }
  /// A `method` request to sip:[ruri_user@]127.0.0.1:<daemon port>, To sip:<to>@127.0.0.1,
  /// From sip:<from>@127.0.0.1.
  SipRequest to_daemon(const std::string& method, const std::string& ruri_user, const std::string& to,
                       const std::string& from) {
    SipRequest r;
    r.method = method;
    r.ruri = "sip:" + (ruri_user.empty() ? "" : ruri_user + "@") + "127.0.0.1:" + std::to_string(d().sip_port());
    r.to = "sip:" + to + "@127.0.0.1";
    r.from = "sip:" + from + "@127.0.0.1";
    return r;
  }
};

}  // namespace
}  // namespace sb::test::sip
