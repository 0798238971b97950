// config_monitor_test.cpp: the [monitor] keys of the ISGW telnet monitor — defaults, overrides,
// refused values (messages naming the key) and transports::monitor_config().
// Threading: single-threaded.
#include "gateway/config/config.h"
#include "gateway/config/config_file.h"
#include "gateway/core/core_component.h"
#include "gateway/daemon/components.h"
#include "transports/datagram/datagram_component.h"
#include "transports/fifo/fifo_component.h"
#include "transports/http/http_component.h"
#include "transports/monitor/monitor_component.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace sb::gateway {
namespace {

/// The ConfigError text for the overrides applied to the defaults, or "" when accepted.
std::string set_error(const std::vector<std::string>& overrides) {
  try {
    load_daemon_config("", overrides);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return {};
}

TEST(ConfigMonitor, DefaultsAreLoopbackWithoutPassword) {
  transports::MonitorConfig m = transports::monitor_config(Config(daemon_schema()));
  EXPECT_EQ(m.listen, "127.0.0.1:54322");
  EXPECT_EQ(m.password, "");
  EXPECT_EQ(m.anonymous_role, mi::Role::read_only);  // any local process can connect
  EXPECT_EQ(m.login_timeout, std::chrono::seconds(30));
  EXPECT_EQ(m.max_output, 1048576u);
  EXPECT_EQ(m.auth_fail_limit, 10u);
  EXPECT_EQ(m.max_connections, 16u);
  EXPECT_EQ(m.idle_timeout_s, 300u);
  EXPECT_EQ(m.max_line, 1024u);
}

TEST(ConfigMonitor, OverridesReachTheTransportConfig) {
  Config c = load_daemon_config("", {"monitor.listen=[::1]:0", "monitor.password=s3cret",
                              "monitor.anonymous_role=admin", "monitor.max_connections=2",
                              "monitor.max_output=8192", "monitor.login_timeout_s=3",
                              "monitor.idle_timeout_s=5", "monitor.max_line=16"});
  transports::MonitorConfig m = transports::monitor_config(c);
  EXPECT_EQ(m.listen, "[::1]:0");
  EXPECT_EQ(m.password, "s3cret");
  EXPECT_EQ(m.anonymous_role, mi::Role::admin);
  EXPECT_EQ(m.max_output, 8192u);
  EXPECT_EQ(m.login_timeout, std::chrono::seconds(3));
  EXPECT_EQ(m.max_connections, 2u);
  EXPECT_EQ(m.idle_timeout_s, 5u);
  EXPECT_EQ(m.max_line, 16u);
  EXPECT_EQ(transports::monitor_config(load_daemon_config("", {"monitor.listen="})).listen, "");  // off
}

TEST(ConfigMonitor, BadValuesNameTheKey) {
  const std::pair<const char*, const char*> bad[] = {
      {"monitor.listen=localhost", "'localhost' is not host:port"},
      {"monitor.listen=example.com:54322", "is not an IPv4/IPv6 address"},
      {"monitor.listen=127.0.0.1:65536", "is not a port number"},
      {"monitor.anonymous_role=root", "'root' is not read_only, operator or admin"},
      {"monitor.max_output=100", "out of range 4096..268435456"},
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
