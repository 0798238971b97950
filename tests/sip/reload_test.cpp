// reload_test.cpp: `reload` and SIGHUP against the real daemon (issue #17) — registrar.auth turned
// on and off without a restart (the REGISTER workers leave and come back), the live registrar
// keys reaching every thread that answers REGISTER, a changed key that cannot change live
// reported as needing a restart (and keeping its value), a bad file changing nothing, SIGHUP
// doing the same as the command.
#include <signal.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sip/sip_test_util.h"

namespace sb::test::sip {
namespace {


/// REGISTERs of `user`<i> with Expires `expires` from `n` new clients (new source ports: with
/// workers, they reach the engine's and the workers' sockets); the statuses answered.
std::vector<SipMessage> register_from_many(const TestDaemon& d, const std::string& user, const std::string& expires,
                                           int n = 12) {
  std::vector<SipMessage> out;
  for (int i = 0; i < n; ++i) {
    SipPeer peer(d.sip_port());
    const std::string u = user + std::to_string(i);
    auto r = make_register(u, "reload.example.com", {"<" + peer.contact_uri(u) + ">"}, expires);
    auto a = peer.request(r, kReply);
    EXPECT_TRUE(a) << "REGISTER " << i << " unanswered";
    if (a) out.push_back(*a);
  }
  return out;
}

std::vector<std::string> names(const json& list) {
  std::vector<std::string> out;
  for (const auto& n : list) out.push_back(n.get<std::string>());
  return out;
}

TEST(SipReload, RegistrarKeysChangeLiveAndTheRestWaitsForARestart) {
  TestDaemon d({"registrar.workers=1"}, "[registrar]\nmax_contacts = 10\n");
  const std::string conf = d.dir() + "/switchboard.conf";
  ASSERT_EQ(d.stat("registrar:workers"), 1);
  for (const auto& m : register_from_many(d, "open", "300")) EXPECT_EQ(m.status, 200) << m.raw;

  // auth on, min_expires 120, and sip.t1_ms (not live).
  write_config(conf, "[registrar]\nauth = on\nmin_expires = 120\n[sip]\nt1_ms = 400\n");
  json r = rpc(d, "reload");
  ASSERT_TRUE(r.contains("result")) << r.dump();
  EXPECT_EQ(names(r["result"]["applied"]), (std::vector<std::string>{"registrar.auth", "registrar.min_expires"}));
  EXPECT_EQ(names(r["result"]["restart_needed"]), (std::vector<std::string>{"sip.t1_ms"}));
  EXPECT_TRUE(wait_until([&] { return d.stat("registrar:workers") == 0; }, 5s));
  for (const auto& m : register_from_many(d, "closed", "300")) EXPECT_EQ(m.status, 401) << m.raw;

  // auth off again: the worker comes back, with min_expires 120 like the engine.
  write_config(conf, "[registrar]\nauth = off\nmin_expires = 120\n[sip]\nt1_ms = 400\n");
  r = rpc(d, "reload");
  ASSERT_TRUE(r.contains("result")) << r.dump();
  EXPECT_EQ(names(r["result"]["applied"]), (std::vector<std::string>{"registrar.auth"}));
  // Still different from the running value: still reported.
  EXPECT_EQ(names(r["result"]["restart_needed"]), (std::vector<std::string>{"sip.t1_ms"}));
  EXPECT_TRUE(wait_until([&] { return d.stat("registrar:workers") == 1; }, 5s));
  for (const auto& m : register_from_many(d, "brief", "100")) {
    EXPECT_EQ(m.status, 423) << m.raw;
    EXPECT_EQ(m.header("Min-Expires"), "120") << m.raw;
  }

  // A live key without an auth change reaches the running worker too.
  write_config(conf, "[registrar]\nmin_expires = 200\n");
  r = rpc(d, "reload");
  ASSERT_TRUE(r.contains("result")) << r.dump();
  EXPECT_EQ(names(r["result"]["applied"]), (std::vector<std::string>{"registrar.min_expires"}));
  EXPECT_EQ(names(r["result"]["restart_needed"]), std::vector<std::string>{});  // t1_ms is back to its running value
  EXPECT_TRUE(wait_until([&] {
    for (const auto& m : register_from_many(d, "brief2", "150", 8))
      if (m.status != 423 || m.header("Min-Expires") != "200") return false;
    return true;
  }, 5s));

  // A bad file changes nothing.
  write_config(conf, "[registrar]\nmin_expires = soon\n");
  r = rpc(d, "reload");
  ASSERT_TRUE(r.contains("error")) << r.dump();
  EXPECT_EQ(r["error"]["code"], 400) << r.dump();
  EXPECT_NE(r.dump().find("min_expires"), std::string::npos) << r.dump();
  for (const auto& m : register_from_many(d, "brief3", "150", 4)) EXPECT_EQ(m.header("Min-Expires"), "200") << m.raw;

  // SIGHUP does the same.
  write_config(conf, "[registrar]\nmin_expires = 200\nmax_expires = 1800\n");
  ASSERT_EQ(::kill(d.pid(), SIGHUP), 0);
  EXPECT_TRUE(wait_until([&] { return d.log().find("applied: registrar.max_expires") != std::string::npos; }, 5s))
      << d.log();
  EXPECT_TRUE(wait_until([&] { return d.stat("registrar:max_expires") == 1800; }, 5s));
  expect_clean_stop(d);
}

}  // namespace
}  // namespace sb::test::sip
