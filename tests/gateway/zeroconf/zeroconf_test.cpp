// zeroconf_test.cpp: gateway/zeroconf/zeroconf.h without an Avahi daemon — what a user service
// may be, where a listener is announced, text from the network made printable, and the
// publish/unpublish bookkeeping and limits while no bus answers. The real Avahi daemon is
// tests/shell/zeroconf_avahi_test.sh's.
#include "gateway/zeroconf/zeroconf.h"

#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/support/temp_dir.h"

namespace sb::gateway::zeroconf {
namespace {

ServiceSpec valid() {
  return {.name = "Printer on %h", .type = "_ipp._tcp", .port = 631, .txt = {"note=x", "flag"}, .interface = {},
          .family = 0, .origin = "user"};
}

TEST(ZeroconfCheck, AcceptsAWellFormedService) {
  EXPECT_EQ(check_service(valid()), "");
  ServiceSpec s = valid();
  s.interface = "lo";
  s.name = std::string(63, 'n');
  EXPECT_EQ(check_service(s), "");
}

TEST(ZeroconfCheck, RefusesEachBadFieldNamingIt) {
  auto why = [](auto change) {
    ServiceSpec s = valid();
    change(s);
    return check_service(s);
  };
  EXPECT_EQ(why([](ServiceSpec& s) { s.name.clear(); }).rfind("name:", 0), 0u);
  EXPECT_EQ(why([](ServiceSpec& s) { s.name = std::string(64, 'n'); }).rfind("name:", 0), 0u);
  EXPECT_EQ(why([](ServiceSpec& s) { s.name = "a\nb"; }).rfind("name:", 0), 0u);
  EXPECT_EQ(why([](ServiceSpec& s) { s.name = "bad \xff utf-8"; }).rfind("name:", 0), 0u);
  for (const char* type : {"_ipp", "ipp._tcp", "_ipp._sctp", "_ipp._tcp.local", ""})
    EXPECT_EQ(why([&](ServiceSpec& s) { s.type = type; }).rfind("type:", 0), 0u) << type;
  EXPECT_EQ(why([](ServiceSpec& s) { s.port = 0; }).rfind("port:", 0), 0u);
  EXPECT_EQ(why([](ServiceSpec& s) { s.port = 65536; }).rfind("port:", 0), 0u);
  EXPECT_EQ(why([](ServiceSpec& s) { s.txt = {""}; }).rfind("txt:", 0), 0u);
  EXPECT_EQ(why([](ServiceSpec& s) { s.txt = {"=v"}; }).rfind("txt:", 0), 0u);
  EXPECT_EQ(why([](ServiceSpec& s) { s.txt = {"k=" + std::string(254, 'v')}; }).rfind("txt:", 0), 0u);
  EXPECT_EQ(why([](ServiceSpec& s) { s.txt = {"k=" + std::string(253, 'v')}; }), "");
  EXPECT_EQ(why([](ServiceSpec& s) { s.txt.assign(65, "k=v"); }).rfind("txt:", 0), 0u);
  EXPECT_EQ(why([](ServiceSpec& s) { s.txt.assign(6, "k=" + std::string(250, 'v')); }).rfind("txt:", 0), 0u);
  EXPECT_EQ(why([](ServiceSpec& s) { s.txt = {"k=\x01"}; }).rfind("txt:", 0), 0u);
  EXPECT_EQ(why([](ServiceSpec& s) { s.interface = "nosuch0"; }).rfind("interface:", 0), 0u);
}

TEST(ZeroconfPrintable, KeepsUtf8AndEscapesTheRest) {
  EXPECT_EQ(printable("Drucker im Büro"), "Drucker im Büro");
  EXPECT_EQ(printable(std::string("a\x01" "b\x7f", 4)), "a\\x01b\\x7f");
  EXPECT_EQ(printable("\xff\xc3"), "\\xff\\xc3");
  EXPECT_EQ(printable(std::string("nul\0", 4)), "nul\\x00");
}

/// True when some interface has ::1 (containers may run without IPv6).
bool host_has_ipv6_loopback() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return false;
  bool found = false;
  for (ifaddrs* i = list; i; i = i->ifa_next)
    if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET6 &&
        IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr))
      found = true;
  freeifaddrs(list);
  return found;
}

TEST(ZeroconfPlace, LoopbackStaysOnLoopbackWildcardGoesEverywhere) {
  ServiceSpec s = valid();
  place_by_address("127.0.0.1", s);
  EXPECT_EQ(s.interface, "lo");
  EXPECT_EQ(s.family, AF_INET);
  place_by_address("0.0.0.0", s);
  EXPECT_EQ(s.interface, "");
  EXPECT_EQ(s.family, AF_INET);
  place_by_address("::", s);
  EXPECT_EQ(s.interface, "");
  EXPECT_EQ(s.family, 0);
  place_by_address("localhost", s);  // a name: every interface
  EXPECT_EQ(s.interface, "");
  EXPECT_EQ(s.family, 0);
  place_by_address("192.0.2.1", s);  // TEST-NET: on no interface here
  EXPECT_EQ(s.interface, "");
  EXPECT_EQ(s.family, AF_INET);
  place_by_address("::1", s);
  EXPECT_EQ(s.interface, host_has_ipv6_loopback() ? "lo" : "");
  EXPECT_EQ(s.family, AF_INET6);
}

/// A Zeroconf whose system bus is a path where nothing listens.
class ZeroconfWithoutBus : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* old = std::getenv("DBUS_SYSTEM_BUS_ADDRESS");
    if (old) saved_ = old, had_ = true;
    setenv("DBUS_SYSTEM_BUS_ADDRESS", ("unix:path=" + dir_.path() + "/no-bus").c_str(), 1);
  }
  void TearDown() override {
    if (had_) setenv("DBUS_SYSTEM_BUS_ADDRESS", saved_.c_str(), 1);
    else unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
  }
  test::TempDir dir_{"zeroconf_test"};
  std::string saved_;
  bool had_ = false;
};

TEST_F(ZeroconfWithoutBus, KeepsItsServicesWaitingAndEnforcesTheLimits) {
  Zeroconf z(Limits{.max_published = 2, .max_browsed = 16, .browse = true});
  z.start({{.name = "Switchboard on %h", .type = "_switchboard-mi._tcp", .port = 8888, .txt = {"api=/api/v1"},
            .interface = "lo", .family = AF_INET, .origin = "mi"}});
  mi::Value l = z.list("");
  EXPECT_EQ(l["state"], "unavailable");
  EXPECT_NE(l["error"].get<std::string>(), "");
  ASSERT_EQ(l["announced"].size(), 1u);
  EXPECT_EQ(l["announced"][0]["state"], "waiting");
  EXPECT_EQ(l["announced"][0]["origin"], "mi");

  auto first = z.publish(valid());
  ASSERT_TRUE(std::holds_alternative<mi::Value>(first));
  EXPECT_EQ(std::get<mi::Value>(first)["state"], "waiting");
  EXPECT_EQ(std::get<mi::Value>(first)["origin"], "user");
  ServiceSpec second = valid();
  second.name = "Second";
  EXPECT_TRUE(std::holds_alternative<mi::Value>(z.publish(second)));
  ServiceSpec third = valid();
  third.name = "Third";
  auto refused = z.publish(third);
  ASSERT_TRUE(std::holds_alternative<mi::Error>(refused));
  EXPECT_EQ(std::get<mi::Error>(refused).code, 503);
  second.port = 632;  // replacing one at the limit is fine
  auto replaced = z.publish(second);
  ASSERT_TRUE(std::holds_alternative<mi::Value>(replaced));
  EXPECT_EQ(std::get<mi::Value>(replaced)["port"], 632);
  EXPECT_EQ(z.list("_ipp._tcp")["announced"].size(), 2u);

  ServiceSpec bad = valid();
  bad.type = "_ipp";
  auto refused_bad = z.publish(bad);
  ASSERT_TRUE(std::holds_alternative<mi::Error>(refused_bad));
  EXPECT_EQ(std::get<mi::Error>(refused_bad).code, 400);

  auto own = z.unpublish("Switchboard on %h", "_switchboard-mi._tcp");
  ASSERT_TRUE(std::holds_alternative<mi::Error>(own));
  EXPECT_EQ(std::get<mi::Error>(own).code, 400);
  auto unknown = z.unpublish("Nothing", "_ipp._tcp");
  ASSERT_TRUE(std::holds_alternative<mi::Error>(unknown));
  EXPECT_EQ(std::get<mi::Error>(unknown).code, 404);
  EXPECT_TRUE(std::holds_alternative<mi::Value>(z.unpublish("Second", "_ipp._tcp")));
  EXPECT_TRUE(std::holds_alternative<mi::Value>(z.publish(third)));  // room again

  z.stop();
  z.stop();  // idempotent
  auto after = z.publish(valid());
  ASSERT_TRUE(std::holds_alternative<mi::Error>(after));
  EXPECT_EQ(std::get<mi::Error>(after).code, 503);
}

}  // namespace
}  // namespace sb::gateway::zeroconf
