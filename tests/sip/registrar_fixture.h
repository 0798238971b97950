// registrar_fixture.h: the daemon and SIP peer the registrar tests share (registrar_test.cpp,
// registrar_input_test.cpp): one daemon per test suite, a fresh peer per test.
// Threading: gtest's (the test thread).
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "sip/sip_test_util.h"

namespace sb::test::sip {
namespace {

// One daemon per suite. Bounds differ from the defaults so that each
// one is observable: min 10, max 600, default 300, at most 3 contacts per AOR.
class RegistrarFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    daemon_ = new TestDaemon({"registrar.min_expires=10", "registrar.max_expires=600",
                              "registrar.default_expires=300", "registrar.max_contacts=3"});
  }
  static void TearDownTestSuite() {
    if (daemon_) expect_clean_stop(*daemon_);
    delete daemon_;
    daemon_ = nullptr;
  }
  void SetUp() override { peer_ = std::make_unique<SipPeer>(daemon_->sip_port()); }
  const TestDaemon& d() { return *daemon_; }
  SipPeer& peer() { return *peer_; }
  std::string aor(const std::string& suffix = "") { return test_user(suffix) + "@example.com"; }
  /// <sip:<name>@127.0.0.1:<peer port>>
  std::string contact(const std::string& name) { return peer().contact_uri(name); }

  inline static TestDaemon* daemon_ = nullptr;
  std::unique_ptr<SipPeer> peer_;
};

}  // namespace
}  // namespace sb::test::sip
