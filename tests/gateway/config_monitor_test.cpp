// config_monitor_test.cpp: the [monitor] keys of the ISGW telnet monitor — defaults, overrides,
// refused values (messages naming the key) and monitor_config().
// Threading: single-threaded.
#include "gateway/config/config.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace sb::gateway {
namespace {

/// The ConfigError text for the overrides applied to the defaults, or "" when accepted.
std::string set_error(const std::vector<std::string>& overrides) {
  try {
    load_config("", overrides);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return {};
}

TEST(ConfigMonitor, DefaultsAreLoopbackWithoutPassword) {
  transports::MonitorConfig m = monitor_config(Config());
  EXPECT_EQ(m.listen, "127.0.0.1:54322");
  EXPECT_EQ(m.password, "");
  EXPECT_TRUE(m.loopback_admin);
  EXPECT_EQ(m.max_connections, 16u);
  EXPECT_EQ(m.idle_timeout_s, 300u);
  EXPECT_EQ(m.max_line, 1024u);
}

TEST(ConfigMonitor, OverridesReachTheTransportConfig) {
  Config c = load_config("", {"monitor.listen=[::1]:0", "monitor.password=s3cret",
                              "monitor.loopback_admin=off", "monitor.max_connections=2",
                              "monitor.idle_timeout_s=5", "monitor.max_line=16"});
  transports::MonitorConfig m = monitor_config(c);
  EXPECT_EQ(m.listen, "[::1]:0");
  EXPECT_EQ(m.password, "s3cret");
  EXPECT_FALSE(m.loopback_admin);
  EXPECT_EQ(m.max_connections, 2u);
  EXPECT_EQ(m.idle_timeout_s, 5u);
  EXPECT_EQ(m.max_line, 16u);
  EXPECT_EQ(monitor_config(load_config("", {"monitor.listen="})).listen, "");  // off
}

TEST(ConfigMonitor, BadValuesNameTheKey) {
  const std::pair<const char*, const char*> bad[] = {
      {"monitor.listen=localhost", "'localhost' is not host:port"},
      {"monitor.listen=example.com:54322", "is not an IPv4/IPv6 address"},
      {"monitor.listen=127.0.0.1:65536", "is not a port number"},
      {"monitor.loopback_admin=maybe", "is not a boolean"},
      {"monitor.max_connections=0", "out of range 1..1024"},
      {"monitor.idle_timeout_s=0", "out of range 1..86400"},
      {"monitor.max_line=15", "out of range 16..65536"},
      {"monitor.nosuch=1", "unknown key 'monitor.nosuch'"},
  };
  for (const auto& [set, why] : bad) {
    std::string err = set_error({set});
    EXPECT_NE(err.find(why), std::string::npos) << set << " → " << err;
    std::string key = std::string(set).substr(0, std::string(set).find('='));
    EXPECT_NE(err.find(key), std::string::npos) << err;
  }
}

}  // namespace
}  // namespace sb::gateway
