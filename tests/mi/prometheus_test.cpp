// prometheus_test.cpp: Statistics → Prometheus text exposition 0.0.4 (mi/render/prometheus):
// counters and gauges with HELP/TYPE, computed stats, name sanitizing and collisions, the
// per-command labeled families (recognised only when all four per-command stats exist), label
// escaping, and the line grammar of every sample.
#include "mi/render/prometheus.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>

namespace sb::mi {
namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l)) out.push_back(l);
  return out;
}

bool has_line(const std::string& text, const std::string& line) {
  for (const auto& l : lines(text))
    if (l == line) return true;
  return false;
}

/// The four series the dispatcher keeps per command (labeled: family + command).
void add_command(Statistics& st, const std::string& cmd, int calls, int errors, int total_us, int max_us) {
  st.labeled("mi", "calls", "command", cmd, StatKind::counter).set(calls);
  st.labeled("mi", "errors", "command", cmd, StatKind::counter).set(errors);
  st.labeled("mi", "latency_total_us", "command", cmd, StatKind::counter).set(total_us);
  st.labeled("mi", "latency_max_us", "command", cmd, StatKind::gauge).set(max_us);
}

TEST(Prometheus, CountersAndGaugesWithHelpAndType) {
  Statistics st;
  st.counter("mi", "calls").inc(12);
  st.gauge("core", "shm_used").set(-5);
  st.computed("usrloc", "contacts", StatKind::gauge, [] { return std::int64_t{42}; });
  std::string t = render_prometheus(st);
  EXPECT_EQ(t,
            "# HELP switchboard_mi_calls Statistic mi:calls (counter).\n"
            "# TYPE switchboard_mi_calls counter\n"
            "switchboard_mi_calls 12\n"
            "# HELP switchboard_core_shm_used Statistic core:shm_used (gauge).\n"
            "# TYPE switchboard_core_shm_used gauge\n"
            "switchboard_core_shm_used -5\n"
            "# HELP switchboard_usrloc_contacts Statistic usrloc:contacts (gauge).\n"
            "# TYPE switchboard_usrloc_contacts gauge\n"
            "switchboard_usrloc_contacts 42\n");
}

TEST(Prometheus, EmptyStatisticsRenderNothing) {
  Statistics st;
  EXPECT_EQ(render_prometheus(st), "");
}

TEST(Prometheus, NamesAreSanitizedAndCollisionsSuffixed) {
  Statistics st;
  st.gauge("load", "udp:1.2.3.4:5060-load").set(3);  // OpenSIPS #673 style name
  st.counter("my-mod", "a.b").inc();
  st.counter("my_mod", "a_b").inc(2);  // same sanitized name as the one above
  st.counter("my.mod", "a-b").inc(3);  // and again
  std::string t = render_prometheus(st);
  EXPECT_TRUE(has_line(t, "switchboard_load_udp_1_2_3_4_5060_load 3")) << t;
  EXPECT_TRUE(has_line(t, "# HELP switchboard_load_udp_1_2_3_4_5060_load Statistic load:udp:1.2.3.4:5060-load (gauge).")) << t;
  EXPECT_TRUE(has_line(t, "switchboard_my_mod_a_b 1")) << t;
  EXPECT_TRUE(has_line(t, "switchboard_my_mod_a_b_2 2")) << t;
  EXPECT_TRUE(has_line(t, "switchboard_my_mod_a_b_3 3")) << t;
  EXPECT_TRUE(has_line(t, "# TYPE switchboard_my_mod_a_b_2 counter")) << t;
  EXPECT_EQ(prometheus_sanitize("a:b-c.d/é"), "a_b_c_d___");
}

TEST(Prometheus, PerCommandStatsOnlyAsLabeledFamilies) {
  Statistics st;
  st.counter("mi", "calls").inc(7);
  add_command(st, "uptime", 5, 1, 1500, 900);
  add_command(st, "get_statistics", 2, 0, 2'000'000, 1'999'999);
  std::string t = render_prometheus(st);
  EXPECT_TRUE(has_line(t, "switchboard_mi_calls 7")) << t;
  // Exposed once: no flat name for a labeled series.
  EXPECT_EQ(t.find("switchboard_mi_uptime_calls"), std::string::npos) << t;
  EXPECT_EQ(t.find("latency_max_us"), std::string::npos) << t;
  // Labeled families, sorted by command.
  EXPECT_TRUE(has_line(t, "# TYPE switchboard_mi_command_calls_total counter")) << t;
  EXPECT_TRUE(has_line(t, "switchboard_mi_command_calls_total{command=\"uptime\"} 5")) << t;
  EXPECT_TRUE(has_line(t, "switchboard_mi_command_calls_total{command=\"get_statistics\"} 2")) << t;
  EXPECT_TRUE(has_line(t, "switchboard_mi_command_errors_total{command=\"uptime\"} 1")) << t;
  EXPECT_TRUE(has_line(t, "# TYPE switchboard_mi_command_latency_seconds_total counter")) << t;
  EXPECT_TRUE(has_line(t, "switchboard_mi_command_latency_seconds_total{command=\"uptime\"} 0.001500")) << t;
  EXPECT_TRUE(has_line(t, "switchboard_mi_command_latency_seconds_total{command=\"get_statistics\"} 2.000000")) << t;
  EXPECT_TRUE(has_line(t, "# TYPE switchboard_mi_command_latency_max_seconds gauge")) << t;
  EXPECT_TRUE(has_line(t, "switchboard_mi_command_latency_max_seconds{command=\"get_statistics\"} 1.999999")) << t;
  EXPECT_LT(t.find("{command=\"get_statistics\"}"), t.find("{command=\"uptime\"}"));
  // `mi:calls` is not a command called "".
  EXPECT_EQ(t.find("command=\"\""), std::string::npos) << t;
}

TEST(Prometheus, FlatStatsThatLookPerCommandStayFlat) {
  // Only labeled stats form families; a name is never guessed from its suffix.
  Statistics st;
  st.counter("mi", "lonely_calls").inc();
  st.counter("mi", "lonely_errors");
  std::string t = render_prometheus(st);
  EXPECT_TRUE(has_line(t, "switchboard_mi_lonely_calls 1")) << t;
  EXPECT_EQ(t.find("switchboard_mi_command_"), std::string::npos) << t;
}

TEST(Prometheus, OtherLabeledFamiliesGetGenericNames) {
  Statistics st;
  st.labeled("sip", "requests", "method", "INVITE", StatKind::counter).set(3);
  st.labeled("sip", "requests", "method", "BYE", StatKind::counter).set(1);
  std::string t = render_prometheus(st);
  EXPECT_TRUE(has_line(t, "# TYPE switchboard_sip_requests counter")) << t;
  EXPECT_TRUE(has_line(t, "switchboard_sip_requests{method=\"INVITE\"} 3")) << t;
  EXPECT_TRUE(has_line(t, "switchboard_sip_requests{method=\"BYE\"} 1")) << t;
}

TEST(Prometheus, LabelValuesAreEscaped) {
  Statistics st;
  add_command(st, "we\"ird\\cmd\nx", 1, 0, 0, 0);
  std::string t = render_prometheus(st);
  EXPECT_TRUE(has_line(t, R"(switchboard_mi_command_calls_total{command="we\"ird\\cmd\nx"} 1)")) << t;
  EXPECT_EQ(prometheus_escape_label("a\"b\\c\nd"), R"(a\"b\\c\nd)");
  // HELP text escapes backslash and newline too: one line per comment.
  for (const auto& l : lines(t))
    EXPECT_TRUE(l.rfind("# ", 0) == 0 || l.rfind("switchboard_", 0) == 0) << "stray line: " << l;
}

TEST(Prometheus, GenericNameCannotShadowALabeledFamily) {
  Statistics st;
  add_command(st, "uptime", 1, 0, 0, 0);
  st.counter("mi", "command_calls_total").inc(9);
  std::string t = render_prometheus(st);
  EXPECT_TRUE(has_line(t, "switchboard_mi_command_calls_total_2 9")) << t;
  int types = 0;
  for (const auto& l : lines(t))
    if (l == "# TYPE switchboard_mi_command_calls_total counter") ++types;
  EXPECT_EQ(types, 1);
}

TEST(Prometheus, EveryLineFollowsTheGrammar) {
  Statistics st;
  st.counter("a b", "c:d").inc();
  st.gauge("g", "h").set(-1);
  add_command(st, "x\"y", 3, 1, 10, 5);
  std::string t = render_prometheus(st);
  ASSERT_FALSE(t.empty());
  EXPECT_EQ(t.back(), '\n');
  static const std::regex sample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*"\})? -?[0-9]+(\.[0-9]+)?$)");
  static const std::regex comment(R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$)");
  std::set<std::string> typed;
  for (const auto& l : lines(t)) {
    std::smatch m;
    if (l.rfind("# TYPE ", 0) == 0) {
      ASSERT_TRUE(std::regex_match(l, comment)) << l;
      EXPECT_TRUE(typed.insert(l.substr(7, l.find(' ', 7) - 7)).second) << "TYPE twice: " << l;
    } else if (l.rfind("#", 0) == 0) {
      EXPECT_TRUE(std::regex_match(l, comment)) << l;
    } else {
      ASSERT_TRUE(std::regex_match(l, m, sample)) << "bad sample line: " << l;
      EXPECT_TRUE(typed.count(m[1])) << "sample without TYPE: " << l;
    }
  }
}

}  // namespace
}  // namespace sb::mi
