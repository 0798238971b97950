// deep_options_test.cpp: issue #11 item 1 beyond the decoders — commands whose string params
// hold JSON (port, account and dialplan options) parse it too: a deeply nested one must be
// refused with the limit named, never crash the daemon (options are copied recursively).
#include <gtest/gtest.h>

#include <string>

#include "sip/sip_test_util.h"

namespace sb::test::sip {
namespace {

std::string deep_object(int levels) {
  return "{\"a\":" + std::string(levels, '[') + std::string(levels, ']') + "}";
}

TEST(SecurityNesting, DeeplyNestedCommandOptionsAreRefused) {
  TestDaemon d;
  const std::string deep = deep_object(20000);
  json port = rpc(d, "port_add", {{"port", 1}, {"driver", "virtual"}, {"options", deep}});
  ASSERT_TRUE(port.contains("error")) << port.dump().substr(0, 300);
  EXPECT_NE(port.dump().find("core.max_nesting"), std::string::npos) << port.dump().substr(0, 300);
  json account = rpc(d, "account_add", {{"name", "t"}, {"address", "127.0.0.1"}, {"username", "u"},
                                        {"secret", "s"}, {"register", false}, {"options", deep}});
  ASSERT_TRUE(account.contains("error")) << account.dump().substr(0, 300);
  EXPECT_NE(account.dump().find("core.max_nesting"), std::string::npos) << account.dump().substr(0, 300);
  // Within the limit: accepted as before.
  json ok = rpc(d, "port_add", {{"port", 2}, {"driver", "virtual"}, {"options", "{}"}});
  EXPECT_TRUE(ok.contains("result")) << ok.dump();
  EXPECT_EQ(d.text("uptime").rfind("200 OK", 0), 0u) << "the daemon is alive";
  expect_clean_stop(d);
}

}  // namespace
}  // namespace sb::test::sip
