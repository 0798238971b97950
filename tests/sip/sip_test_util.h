// sip_test_util.h: helpers shared by the SIP loopback tests (tests/sip/*_test.cpp): JSON-RPC
// calls over the FIFO, REGISTER builders (bounded polling: support/wait.h).
#pragma once

#include <signal.h>

#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/daemon.h"
#include "support/sip_peer.h"
#include "support/wait.h"

namespace sb::test::sip {

using json = nlohmann::json;
using namespace std::chrono_literals;

/// How long a test waits for the daemon's answer to one SIP request.
inline constexpr auto kReply = 3s;

/// One JSON-RPC call through the FIFO JSON dialect; the parsed reply (discarded on garbage).
inline json rpc(const TestDaemon& d, const std::string& method, json params = nullptr) {
  json req = {{"jsonrpc", "2.0"}, {"method", method}, {"id", 1}};
  if (!params.is_null()) req["params"] = std::move(params);
  std::string r = d.json(req.dump());
  json j = json::parse(r, nullptr, false);
  if (j.is_discarded()) return json{{"unparsed", r}};
  return j;
}

/// The contacts of an AOR as ul_show_contact reports them (empty array when 404).
inline json show_contacts(const TestDaemon& d, const std::string& aor) {
  json j = rpc(d, "ul_show_contact", {{"table_name", "location"}, {"aor", aor}});
  if (!j.contains("result")) return json::array();
  return j["result"]["Contacts"];
}

/// The ul_show_contact entry for one contact URI (null when absent).
inline json find_contact(const json& contacts, const std::string& uri) {
  for (const auto& c : contacts)
    if (c.value("Contact", "") == uri) return c;
  return nullptr;
}

/// A REGISTER for sip:<user>@<domain> with the given Contact values.
inline SipRequest make_register(const std::string& user, const std::string& domain,
                                std::vector<std::string> contacts = {},
                                std::optional<std::string> expires = std::nullopt) {
  SipRequest r;
  r.method = "REGISTER";
  r.to = "sip:" + user + "@" + domain;
  r.contacts = std::move(contacts);
  r.expires = std::move(expires);
  return r;
}

/// The next request of the same registration (same Call-ID, CSeq + 1, new branch).
inline void next_cseq(SipRequest& r) {
  ++r.cseq_number;
  r.branch.clear();
}

/// The `expires` param of a Contact value in a 200 to REGISTER, or -1.
inline long long contact_expires(const std::string& contact_value) {
  auto v = header_param(contact_value, "expires");
  return v ? std::atoll(v->c_str()) : -1;
}

/// The Contact value of `msg` whose URI is `uri` ("" when none).
inline std::string contact_for(const SipMessage& msg, const std::string& uri) {
  for (const auto& c : msg.contacts())
    if (header_uri(c) == uri) return c;
  return {};
}

/// Stops `d` with SIGTERM and expects a clean exit: status 0 and no sanitizer report in its log
/// (ASan/UBSan/LSan write to the daemon's stderr, which is its log file).
inline void expect_clean_log(const TestDaemon& d) {
  std::string log = d.log();
  std::string tail = log.size() > 6000 ? log.substr(log.size() - 6000) : log;
  EXPECT_EQ(log.find("Sanitizer"), std::string::npos) << tail;
  EXPECT_EQ(log.find("runtime error:"), std::string::npos) << tail;
}
inline void expect_clean_stop(TestDaemon& d) {
  int rc = d.stop(SIGTERM);
  std::string log = d.log();
  EXPECT_EQ(rc, 0) << (log.size() > 6000 ? log.substr(log.size() - 6000) : log);
  expect_clean_log(d);
}

/// How many of load<i>@`domain` (i in `acked`) a restarted daemon on `db_path` lacks (kill -9
/// tests: an acknowledged binding must survive); -1 when its ul_dump fails. Stops it cleanly.
inline long lost_after_restart(const std::string& db_path, const std::set<int>& acked, const std::string& domain) {
  TestDaemon second({"core.db=" + db_path});
  json dump = rpc(second, "ul_dump", json::array({1}));
  EXPECT_TRUE(dump.contains("result")) << dump.dump().substr(0, 500);
  if (!dump.contains("result")) return -1;
  std::set<std::string> present;
  for (const auto& a : dump["result"]["Domains"][0]["AORs"]) present.insert(a["AOR"].get<std::string>());
  long lost = 0;
  for (int i : acked)
    if (!present.contains("load" + std::to_string(i) + "@" + domain)) ++lost;
  EXPECT_GE(present.size(), acked.size() - static_cast<std::size_t>(lost));
  expect_clean_stop(second);
  return lost;
}

/// A user name unique to the running test (AORs of tests sharing a daemon never collide).
inline std::string test_user(const std::string& suffix = "") {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string n = info ? info->name() : "user";
  std::string out;
  for (char c : n) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out + suffix;
}

}  // namespace sb::test::sip
