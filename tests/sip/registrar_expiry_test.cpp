// registrar_expiry_test.cpp: the registrar against the real daemon over real UDP SIP on loopback:
// bindings expire and are swept by the usrloc timer (a refreshed one is not), and with SIP
// disabled the engine commands answer 503 and nothing listens for SIP. (Split from
// registrar_test.cpp.)
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "sip/sip_test_util.h"

namespace sb::test::sip {
namespace {


/// The local ports of every TCP and UDP socket (IPv4 and IPv6) that process `pid` holds.
std::set<int> local_ports(pid_t pid) {
  std::set<std::string> inodes;
  std::string fds = "/proc/" + std::to_string(pid) + "/fd";
  for (const auto& e : std::filesystem::directory_iterator(fds)) {
    std::error_code ec;
    std::string target = std::filesystem::read_symlink(e.path(), ec).string();
    if (!ec && target.rfind("socket:[", 0) == 0) inodes.insert(target.substr(8, target.size() - 9));
  }
  std::set<int> ports;
  for (const char* table : {"tcp", "tcp6", "udp", "udp6"}) {
    std::ifstream in(std::string("/proc/net/") + table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string sl, local, remote, st, queues, tr, retr, uid, timeout, inode;
      f >> sl >> local >> remote >> st >> queues >> tr >> retr >> uid >> timeout >> inode;
      if (inodes.count(inode)) ports.insert(std::stoi(local.substr(local.rfind(':') + 1), nullptr, 16));
    }
  }
  return ports;
}

// --- expiry -----------------------------------------------------------------------------------

TEST(SipRegistrarExpiry, BindingExpiresAndIsSwept) {
  TestDaemon d({"registrar.min_expires=1", "usrloc.timer_interval_s=1"});
  SipPeer peer(d.sip_port());
  long long expired_before = d.stat("usrloc:location-expires");
  ASSERT_GE(expired_before, 0);
  auto r = make_register("eve", "example.com", {"<" + peer.contact_uri("eve") + ">;expires=2"});
  auto start = std::chrono::steady_clock::now();
  auto a = peer.request(r, kReply);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->status, 200) << a->raw;
  EXPECT_NEAR(contact_expires(a->contacts().at(0)), 2, 1);
  ASSERT_EQ(show_contacts(d, "eve@example.com").size(), 1u);
  // fred registers for 2 s too but refreshes at once for 60 s: his old expiry must not fire.
  auto f = make_register("fred", "example.com", {"<" + peer.contact_uri("fred") + ">;expires=2"});
  auto fa = peer.request(f, kReply);
  ASSERT_TRUE(fa);
  ASSERT_EQ(fa->status, 200);
  const auto fred_old_expiry = std::chrono::steady_clock::now() + 2s;
  next_cseq(f);
  f.contacts = {"<" + peer.contact_uri("fred") + ">;expires=60"};
  fa = peer.request(f, kReply);
  ASSERT_TRUE(fa);
  ASSERT_EQ(fa->status, 200);
  EXPECT_EQ(d.stat("usrloc:location-contacts"), 2);

  bool gone = wait_until([&] {
    return rpc(d, "ul_show_contact", {{"table_name", "location"}, {"aor", "eve@example.com"}})["error"]["message"] ==
           "AOR not found";
  }, 6s);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  ASSERT_TRUE(gone) << "the binding never expired";
  EXPECT_GE(took.count(), 900) << "removed before it expired";
  // Once fred's first expiry has passed (the time under test, not a synchronisation), a sweep
  // run now (ul_flush: the same expiry pass, synchronously) must keep his refreshed binding.
  std::this_thread::sleep_until(fred_old_expiry + 100ms);
  ASSERT_TRUE(rpc(d, "ul_flush").contains("result"));
  EXPECT_EQ(d.stat("usrloc:location-expires"), expired_before + 1);
  EXPECT_EQ(d.stat("usrloc:location-contacts"), 1);
  EXPECT_EQ(d.stat("usrloc:location-users"), 1);
  json fred = show_contacts(d, "fred@example.com");
  ASSERT_EQ(fred.size(), 1u) << "the refreshed binding was swept with its old expiry";
  EXPECT_GE(fred[0]["Expires"].get<int>(), 55);
  // A query REGISTER confirms nothing is left.
  auto q = make_register("eve", "example.com");
  auto b = peer.request(q, kReply);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 200);
  EXPECT_FALSE(b->has("Contact")) << b->raw;
  expect_clean_stop(d);
}

TEST(SipDisabled, EngineCommandsAnswer503AndNothingListens) {
  TestDaemon d({"sip.listen="});
  for (const auto& [method, params] : std::vector<std::pair<std::string, json>>{
           {"ul_show_contact", {"location", "a@example.com"}},
           {"ul_dump", nullptr},
           {"subscriber_list", nullptr},
           {"t_uac_dlg", {{"method", "OPTIONS"}, {"ruri", "sip:x@127.0.0.1"}, {"headers", "From: <sip:a@b>\r\nTo: <sip:x@y>\r\n"}}},
           {"t_uac_cancel", {"x", 1}}}) {
    SCOPED_TRACE(method);
    json j = rpc(d, method, params);
    EXPECT_EQ(j["error"]["code"], 503) << j.dump();
  }
  // Nothing listens for SIP: the daemon's only IP sockets are the datagram, HTTP and monitor ones.
  EXPECT_EQ(d.sip_port(), 0);
  EXPECT_NE(d.log().find("; SIP: disabled"), std::string::npos) << d.log();
  EXPECT_EQ(local_ports(d.pid()), (std::set<int>{d.udp_port(), d.http_port(), d.monitor_port()}));
  EXPECT_EQ(d.text("uptime").rfind("200 OK\n", 0), 0u);
  expect_clean_stop(d);
}

}  // namespace
}  // namespace sb::test::sip
