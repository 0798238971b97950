// config_sip_test.cpp: the configuration keys added with the SIP engine — core.db, core.db_sync,
// fifo.request_timeout_ms, sip.*, registrar.*, usrloc.* — their defaults, accepted and refused
// values (messages naming the key), cross-key rules, and the engine modules' config readers.
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

#include "gateway/registrar/registrar_module.h"
#include "gateway/sip/sip_module.h"
#include "gateway/store/store_module.h"

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

::testing::AssertionResult Contains(const std::string& hay, const std::string& needle) {
  if (hay.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << hay << "' does not contain '" << needle << "'";
}

TEST(ConfigSip, Defaults) {
  Config c(daemon_schema());
  EXPECT_EQ(c.get_string("core.db"), "./var/switchboard.db");
  EXPECT_EQ(c.get_string("core.db_sync"), "normal");
  EXPECT_EQ(c.get_int("fifo.request_timeout_ms"), 5000);
  EXPECT_EQ(c.get_string("sip.listen"), "udp:127.0.0.1:5060");
  EXPECT_EQ(c.get_int("sip.t1_ms"), 500);
  EXPECT_FALSE(c.get_bool("registrar.auth"));
  EXPECT_EQ(c.get_string("registrar.realm"), "");
  EXPECT_EQ(c.get_int("registrar.min_expires"), 60);
  EXPECT_EQ(c.get_int("registrar.max_expires"), 3600);
  EXPECT_EQ(c.get_int("registrar.default_expires"), 3600);
  EXPECT_EQ(c.get_int("registrar.max_contacts"), 10);
  EXPECT_EQ(c.get_int("registrar.nonce_expires_s"), 300);
  EXPECT_EQ(c.get_int("usrloc.timer_interval_s"), 1);
  EXPECT_EQ(transports::fifo_config(c).request_timeout, std::chrono::milliseconds(5000));
}

TEST(ConfigSip, AcceptedValues) {
  const std::vector<std::vector<std::string>> ok = {
      {"core.db="},
      {"core.db=/var/lib/switchboard/sb.db"},
      {"core.db_sync=normal"},
      {"core.db_sync=full"},
      {"fifo.request_timeout_ms=100"},
      {"fifo.request_timeout_ms=600000"},
      {"sip.listen="},
      {"sip.listen=udp:127.0.0.1:5070"},
      {"sip.listen=tcp:[::1]:5070"},
      {"sip.listen=udp:127.0.0.1:5070, tcp:127.0.0.1:5070 ,udp:[::1]:5072"},
      {"sip.listen=udp:0.0.0.0:0"},
      {"sip.t1_ms=10"},
      {"sip.t1_ms=10000"},
      {"registrar.auth=on"},
      {"registrar.auth=no"},
      {"registrar.realm=sip.example.com"},
      {"registrar.min_expires=0"},
      {"registrar.max_expires=31536000"},
      {"registrar.default_expires=1", "registrar.min_expires=0"},
      {"registrar.max_contacts=0"},
      {"registrar.max_contacts=10000"},
      {"registrar.nonce_expires_s=5"},
      {"registrar.nonce_expires_s=86400"},
      {"usrloc.timer_interval_s=3600"},
  };
  for (const auto& o : ok) {
    SCOPED_TRACE(o.front());
    EXPECT_EQ(set_error(o), "");
  }
}

TEST(ConfigSip, RefusedValuesNameTheKey) {
  struct Case {
    std::string set;
    std::vector<std::string> fragments;
  };
  const std::vector<Case> cases = {
      {"sip.listen=udp:nohost", {"--set sip.listen=udp:nohost: bad value for 'sip.listen'", "'nohost' is not host:port"}},
      {"sip.listen=udp:nohost:5060", {"bad value for 'sip.listen'", "not an IPv4/IPv6 address"}},
      {"sip.listen=sctp:127.0.0.1:5060", {"bad value for 'sip.listen'", "'sctp:127.0.0.1:5060'", "expected udp:HOST:PORT"}},
      {"sip.listen=udp:127.0.0.1:5060,tls:127.0.0.1:5061", {"bad value for 'sip.listen'", "'tls:127.0.0.1:5061'"}},
      {"sip.listen=udp:127.0.0.1:99999", {"bad value for 'sip.listen'", "not a port number"}},
      {"core.db_sync=sometimes", {"bad value for 'core.db_sync'", "'sometimes' is neither normal nor full"}},
      {"core.db_sync=", {"bad value for 'core.db_sync'"}},
      {"core.db_sync=FULL", {"bad value for 'core.db_sync'"}},
      {"fifo.request_timeout_ms=99", {"bad value for 'fifo.request_timeout_ms'", "out of range 100..600000"}},
      {"fifo.request_timeout_ms=soon", {"bad value for 'fifo.request_timeout_ms'", "not an integer"}},
      {"sip.t1_ms=9", {"bad value for 'sip.t1_ms'", "out of range 10..10000"}},
      {"sip.t1_ms=10001", {"bad value for 'sip.t1_ms'"}},
      {"registrar.auth=maybe", {"bad value for 'registrar.auth'", "not a boolean"}},
      {"registrar.min_expires=-1", {"bad value for 'registrar.min_expires'", "out of range 0..86400"}},
      {"registrar.min_expires=86401", {"bad value for 'registrar.min_expires'"}},
      {"registrar.max_expires=0", {"bad value for 'registrar.max_expires'", "out of range 1..31536000"}},
      {"registrar.max_expires=31536001", {"bad value for 'registrar.max_expires'"}},
      {"registrar.default_expires=0", {"bad value for 'registrar.default_expires'"}},
      {"registrar.max_contacts=-1", {"bad value for 'registrar.max_contacts'", "out of range 0..10000"}},
      {"registrar.max_contacts=10001", {"bad value for 'registrar.max_contacts'"}},
      {"registrar.nonce_expires_s=4", {"bad value for 'registrar.nonce_expires_s'", "out of range 5..86400"}},
      {"registrar.nonce_expires_s=86401", {"bad value for 'registrar.nonce_expires_s'"}},
      {"usrloc.timer_interval_s=0", {"bad value for 'usrloc.timer_interval_s'", "out of range 1..3600"}},
      {"usrloc.timer_interval_s=3601", {"bad value for 'usrloc.timer_interval_s'"}},
      {"registrar.nonce_expires=300", {"unknown key 'registrar.nonce_expires'", "did you mean 'registrar.nonce_expires_s'"}},
      {"usrlc.timer_interval_s=1", {"unknown section [usrlc]"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.set);
    std::string msg = set_error({c.set});
    ASSERT_FALSE(msg.empty()) << "accepted";
    EXPECT_TRUE(Contains(msg, "--set " + c.set + ": "));
    for (const auto& f : c.fragments) EXPECT_TRUE(Contains(msg, f));
  }
}

TEST(ConfigSip, FileErrorsNameTheLine) {
  Config c(daemon_schema());
  try {
    c.load_string("[sip]\nlisten = udp:127.0.0.1:5060\n\n[registrar]\nauth = on\nmin_expires = x\n", "sb.conf");
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_TRUE(Contains(e.what(), "sb.conf:6: bad value for 'registrar.min_expires'"));
  }
  try {
    c.load_string("[sip]\nlisten = udp:127.0.0.1:5060, sctp:1.2.3.4:5\n", "sb.conf");
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_TRUE(Contains(e.what(), "sb.conf:2: bad value for 'sip.listen'"));
  }
}

// A registrar whose shortest accepted registration is longer than the longest it grants cannot
// be configured on purpose: with min 600 / max 60 a REGISTER for 300 s gets 423 Min-Expires: 600,
// the retry for 600 s is accepted and then cut to 60 s. Like core.workers_min/max, refuse it,
// blaming the key set last.
TEST(ConfigSip, MinExpiresAboveMaxExpiresIsRefused) {
  std::string msg = set_error({"registrar.max_expires=60", "registrar.default_expires=60", "registrar.min_expires=600"});
  EXPECT_FALSE(msg.empty()) << "registrar.min_expires=600 with registrar.max_expires=60 was accepted";
  EXPECT_TRUE(Contains(msg, "--set registrar.min_expires=600: bad value for 'registrar.min_expires'"));
  EXPECT_EQ(set_error({"registrar.max_expires=600", "registrar.default_expires=600", "registrar.min_expires=600"}), "")
      << "equal is fine";
}

TEST(ConfigSip, TheEngineModulesReadTheirKeys) {
  Config c = load_daemon_config("", {"core.db=/tmp/x/sb.db", "core.db_sync=full",
                              "sip.listen= udp:127.0.0.1:5070 , tcp:[::1]:5071", "sip.t1_ms=250",
                              "registrar.auth=yes", "registrar.realm=r.example", "registrar.min_expires=30",
                              "registrar.max_expires=600", "registrar.default_expires=300",
                              "registrar.max_contacts=3", "registrar.nonce_expires_s=60",
                              "usrloc.timer_interval_s=7"});
  DatabaseOptions db = database_options(c);
  EXPECT_EQ(db.path, "/tmp/x/sb.db");
  EXPECT_EQ(db.synchronous, "full");
  SipConfig sip = sip_config(c);
  EXPECT_EQ(sip.listen, (std::vector<std::string>{"udp:127.0.0.1:5070", "tcp:[::1]:5071"}));
  EXPECT_EQ(sip.t1_ms, 250u);
  RegistrarConfig r = registrar_config(c);
  EXPECT_TRUE(r.auth);
  EXPECT_EQ(r.realm, "r.example");
  EXPECT_EQ(r.min_expires, 30);
  EXPECT_EQ(r.max_expires, 600);
  EXPECT_EQ(r.default_expires, 300);
  EXPECT_EQ(r.max_contacts, 3u);
  EXPECT_EQ(r.nonce_expires, 60);
  EXPECT_EQ(c.get_int("usrloc.timer_interval_s"), 7);

  // An empty core.db is a private in-memory database; an empty sip.listen no listener.
  Config m = load_daemon_config("", {"core.db=", "sip.listen="});
  EXPECT_EQ(database_options(m).path, ":memory:");
  EXPECT_TRUE(sip_config(m).listen.empty());
}

}  // namespace
}  // namespace sb::gateway
