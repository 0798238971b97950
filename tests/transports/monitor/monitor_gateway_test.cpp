// monitor_gateway_test.cpp: the ISGW monitor letters for the gateway state — r (reg_list),
// l / k (call_list), d (dp_list), dts (dp_translate, prompted), blX (port_block), i (port_list),
// lpg, ss, ccd, ccX — against a daemon with an account, a port group, dialplan rules and a
// ringing call; every answer must be the MI command's FIFO text body.
#include <gtest/gtest.h>

#include "sip/calls_util.h"
#include "support/monitor_client.h"

namespace sb::test::sip {
namespace {

/// CR LF → LF, without trailing line ends.
std::string normalized(std::string s) {
  std::string out;
  for (char c : s)
    if (c != '\r') out += c;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

/// The FIFO text body of a command (the status line removed), normalized.
std::string fifo_body(const TestDaemon& d, const std::string& cmd, const std::vector<std::string>& params = {}) {
  std::string t = d.text(cmd, params);
  EXPECT_EQ(t.rfind("200 OK\n", 0), 0u) << cmd << ": " << t;
  return normalized(t.substr(t.find('\n') + 1));
}

/// Removes the lines whose value moves with the clock (age_s, connected_s, Up time).
std::string without_clock(const std::string& s) {
  std::string out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find('\n', start);
    if (end == std::string::npos) end = s.size();
    std::string line = s.substr(start, end - start);
    if (line.find("age_s::") == std::string::npos && line.find("connected_s::") == std::string::npos &&
        line.find("expires_in::") == std::string::npos)
      out += line + "\n";
    start = end + 1;
  }
  return out;
}

TEST(MonitorGateway, LettersShowTheSameAsTheirMiCommands) {
  TestDaemon d;
  ok(d, "port_add", {{"port", 1}, {"driver", "virtual"}, {"channels", 2}, {"options", R"({"mode":"ring"})"}});
  ok(d, "port_group_add", {{"name", "lab"}, {"ports", "1"}});
  add_rule(d, {{"src", "any"}, {"dest_match", "^9(\\d+)$"}, {"dest_rewrite", "\\1"}, {"target", "group:lab"}});
  ok(d, "account_add", {{"name", "carrier"}, {"address", "127.0.0.1:9"}, {"username", "gw"}, {"secret", "x"},
                        {"register", false}});
  SipPeer alice(d.sip_port());
  register_user(alice, "alice");
  Caller c(alice, d);
  c.call("9123");
  auto ringing = c.wait_response(180);
  ASSERT_TRUE(ringing && ringing->status == 180);

  MonitorClient m(d.monitor_port());
  ASSERT_TRUE(m.connected());
  m.greeting();
  EXPECT_EQ(normalized(m.command("r")), fifo_body(d, "reg_list"));
  EXPECT_NE(m.command("r").find("state:: disabled"), std::string::npos);
  EXPECT_EQ(without_clock(normalized(m.command("l"))), without_clock(fifo_body(d, "call_list")));
  EXPECT_NE(m.command("l").find("state:: ringing"), std::string::npos);
  std::string k = normalized(m.command("k"));
  EXPECT_NE(k.find("#1 ringing subscriber:alice@example.com alice -> 123 via port:1"), std::string::npos) << k;
  EXPECT_EQ(normalized(m.command("d")), fifo_body(d, "dp_list"));
  EXPECT_EQ(normalized(m.command("i")), fifo_body(d, "port_list"));
  EXPECT_EQ(normalized(m.command("lpg")), fifo_body(d, "port_group_list"));
  EXPECT_EQ(without_clock(normalized(m.command("cc1"))), without_clock(fifo_body(d, "call_show", {"1"})));
  EXPECT_EQ(normalized(m.command("ss")), fifo_body(d, "call_stats"));
  EXPECT_EQ(normalized(m.command("ccd")), fifo_body(d, "call_durations"));

  // dts: the number is asked for on the next line, then the caller and the source.
  m.send("dts\r\n9555\r\n\r\n");  // number, no caller, then the source prompt: default
  std::string dts = normalized(m.command(""));
  ASSERT_NE(dts.find("rule_id::"), std::string::npos) << dts;
  dts = dts.substr(dts.find("rule_id::"));
  EXPECT_EQ(dts, fifo_body(d, "dp_translate", {"any", "9555"})) << dts;
  EXPECT_NE(dts.find("called:: 555"), std::string::npos) << dts;

  // bl1 toggles the block: the MI view agrees; the ringing call is not touched.
  std::string bl = normalized(m.command("bl1"));
  EXPECT_NE(bl.find("blocked:: true"), std::string::npos) << bl;
  EXPECT_NE(fifo_body(d, "port_list").find("blocked:: true"), std::string::npos);
  EXPECT_EQ(calls(d).size(), 1u);
  EXPECT_NE(normalized(m.command("bl1")).find("blocked:: false"), std::string::npos);

  // fin1 ends the call: the caller gets 487.
  EXPECT_NE(normalized(m.command("fin1")).find("finished:: true"), std::string::npos);
  auto final = c.wait_response(200);
  ASSERT_TRUE(final);
  EXPECT_EQ(final->status, 487);
  expect_clean_stop(d);
}

}  // namespace
}  // namespace sb::test::sip
