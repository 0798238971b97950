// statistics_test.cpp: counters, gauges, computed stats, the `all` / `group:` / `group:name` /
// bare `name` matcher (names containing ':'), unmatched items, reset and raise_to.
#include "mi/statistics.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace sb::mi {
namespace {

std::vector<std::string> names(const std::vector<const Stat*>& v) {
  std::vector<std::string> out;
  for (const Stat* s : v) out.push_back(s->full_name());
  return out;
}

using V = std::vector<std::string>;

TEST(Statistics, CounterGaugeComputed) {
  Statistics st;
  Stat& c = st.counter("core", "rcv_requests");
  EXPECT_EQ(c.get(), 0);
  c.inc();
  c.inc(4);
  EXPECT_EQ(c.get(), 5);
  EXPECT_EQ(c.kind(), StatKind::counter);
  EXPECT_TRUE(c.resettable());
  EXPECT_EQ(c.group(), "core");
  EXPECT_EQ(c.name(), "rcv_requests");
  EXPECT_EQ(c.full_name(), "core:rcv_requests");

  Stat& g = st.gauge("usrloc", "registered_users");
  g.set(10);
  g.dec(3);
  g.inc();
  EXPECT_EQ(g.get(), 8);
  g.dec(20);
  EXPECT_EQ(g.get(), -12);
  EXPECT_EQ(g.kind(), StatKind::gauge);
  EXPECT_FALSE(g.resettable());
  EXPECT_TRUE(st.gauge("x", "resettable_gauge", true).resettable());

  std::atomic<std::int64_t> level{3};
  Stat& comp = st.computed("shmem", "used_size", StatKind::gauge, [&] { return level.load(); });
  EXPECT_EQ(comp.get(), 3);
  level = 42;
  EXPECT_EQ(comp.get(), 42);  // computed on every read
  comp.set(1000);             // a stored value is ignored for computed stats
  EXPECT_EQ(comp.get(), 42);
  EXPECT_FALSE(comp.resettable());
  EXPECT_FALSE(comp.reset());
  EXPECT_EQ(comp.get(), 42);
}

TEST(Statistics, SameNameReturnsTheSameStat) {
  Statistics st;
  Stat& a = st.counter("core", "x");
  a.inc(7);
  Stat& b = st.counter("core", "x");
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(b.get(), 7);
  // Whatever the factory used the second time.
  EXPECT_EQ(&st.gauge("core", "x"), &a);
  // A different group is a different stat.
  EXPECT_NE(&st.counter("tm", "x"), &a);
  EXPECT_EQ(st.all().size(), 2u);
}

TEST(Statistics, ReferencesStayValidWhileManyAreCreated) {
  Statistics st;
  Stat& first = st.counter("g", "first");
  for (int i = 0; i < 1000; ++i) st.counter("g", "s" + std::to_string(i)).inc(i);
  first.inc();
  EXPECT_EQ(st.counter("g", "first").get(), 1);
  EXPECT_EQ(st.counter("g", "s999").get(), 999);
}

class Matching : public ::testing::Test {
 protected:
  void SetUp() override {
    st.counter("core", "rcv_requests").inc(10);
    st.counter("core", "fwd_requests").inc(3);
    st.gauge("shmem", "used_size").set(1024);
    st.counter("tm", "received_replies").inc(1);
    st.counter("dialog", "active_dialogs");
    st.gauge("load", "udp:1.2.3.4:5060-load").set(7);
    st.counter("tm", "rcv_requests").inc(2);  // same name, another group
  }
  Statistics st;
};

TEST_F(Matching, All) {
  std::vector<std::string> unmatched;
  auto m = st.match({"all"}, &unmatched);
  EXPECT_EQ(names(m), (V{"core:rcv_requests", "core:fwd_requests", "shmem:used_size",
                         "tm:received_replies", "dialog:active_dialogs",
                         "load:udp:1.2.3.4:5060-load", "tm:rcv_requests"}));
  EXPECT_TRUE(unmatched.empty());
  EXPECT_EQ(names(st.all()), names(m));
}

TEST_F(Matching, Group) {
  EXPECT_EQ(names(st.match({"core:"})), (V{"core:rcv_requests", "core:fwd_requests"}));
  EXPECT_EQ(names(st.match({"tm:"})), (V{"tm:received_replies", "tm:rcv_requests"}));
  EXPECT_EQ(names(st.match({"load:"})), (V{"load:udp:1.2.3.4:5060-load"}));
}

TEST_F(Matching, GroupAndName) {
  EXPECT_EQ(names(st.match({"core:rcv_requests"})), (V{"core:rcv_requests"}));
  EXPECT_EQ(names(st.match({"tm:rcv_requests"})), (V{"tm:rcv_requests"}));
  EXPECT_TRUE(st.match({"shmem:rcv_requests"}).empty());
}

TEST_F(Matching, BareNameMatchesInAnyGroup) {
  EXPECT_EQ(names(st.match({"rcv_requests"})), (V{"core:rcv_requests", "tm:rcv_requests"}));
  EXPECT_EQ(names(st.match({"used_size"})), (V{"shmem:used_size"}));
  // A group name alone (no colon) is not a group query.
  EXPECT_TRUE(st.match({"core"}).empty());
}

TEST_F(Matching, NamesContainingColons) {
  // OpenSIPS #673: the group is the text before the FIRST ':'.
  EXPECT_EQ(names(st.match({"load:udp:1.2.3.4:5060-load"})), (V{"load:udp:1.2.3.4:5060-load"}));
  auto m = st.match({"load:udp:1.2.3.4:5060-load"});
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0]->group(), "load");
  EXPECT_EQ(m[0]->name(), "udp:1.2.3.4:5060-load");
  EXPECT_EQ(m[0]->get(), 7);
  std::vector<std::string> unmatched;
  EXPECT_TRUE(st.match({"load:udp:1.2.3.4"}, &unmatched).empty());
  EXPECT_EQ(unmatched, (V{"load:udp:1.2.3.4"}));
}

TEST_F(Matching, EachStatOnceInRegistrationOrder) {
  auto m = st.match({"tm:rcv_requests", "core:", "rcv_requests", "shmem:used_size", "all"});
  EXPECT_EQ(m.size(), 7u);  // `all` covers everything, each once
  m = st.match({"tm:rcv_requests", "core:", "rcv_requests"});
  EXPECT_EQ(names(m), (V{"core:rcv_requests", "core:fwd_requests", "tm:rcv_requests"}));
}

TEST_F(Matching, UnmatchedItemsAreReported) {
  std::vector<std::string> unmatched;
  auto m = st.match({"core:rcv_requests", "nosuch", "nogroup:", "core:nosuch", "shmem:"},
                    &unmatched);
  EXPECT_EQ(names(m), (V{"core:rcv_requests", "shmem:used_size"}));
  EXPECT_EQ(unmatched, (V{"nosuch", "nogroup:", "core:nosuch"}));
  // Without the out-param it still works.
  EXPECT_EQ(st.match({"nosuch"}).size(), 0u);
  // No items: nothing.
  unmatched.clear();
  EXPECT_TRUE(st.match({}, &unmatched).empty());
  EXPECT_TRUE(unmatched.empty());
}

TEST(Statistics, ResetOnlyResetsResettableOnes) {
  Statistics st;
  Stat& c = st.counter("core", "rcv_requests");
  Stat& g = st.gauge("core", "level");
  Stat& rg = st.gauge("core", "max_seen", true);
  std::int64_t computed_value = 99;
  Stat& comp = st.computed("core", "table_size", StatKind::gauge, [&] { return computed_value; });
  Stat& other = st.counter("tm", "x");
  c.inc(5);
  g.set(6);
  rg.set(7);
  other.inc(8);

  EXPECT_EQ(st.reset({"core:"}), 4u);  // matched 4 …
  EXPECT_EQ(c.get(), 0);               // … but reset only the resettable ones
  EXPECT_EQ(g.get(), 6);
  EXPECT_EQ(rg.get(), 0);
  EXPECT_EQ(comp.get(), 99);
  EXPECT_EQ(other.get(), 8);  // another group: untouched

  EXPECT_TRUE(other.reset());
  EXPECT_EQ(other.get(), 0);
  EXPECT_FALSE(g.reset());
  EXPECT_EQ(g.get(), 6);
  EXPECT_EQ(st.reset({"nosuch"}), 0u);
}

TEST(Statistics, RaiseTo) {
  Statistics st;
  Stat& m = st.gauge("mi", "latency_max_us", true);
  m.raise_to(10);
  EXPECT_EQ(m.get(), 10);
  m.raise_to(5);
  EXPECT_EQ(m.get(), 10);
  m.raise_to(10);
  EXPECT_EQ(m.get(), 10);
  m.raise_to(11);
  EXPECT_EQ(m.get(), 11);
  m.set(-5);
  m.raise_to(-7);
  EXPECT_EQ(m.get(), -5);
}

TEST(Statistics, LabeledSeriesAreOutOfAllButResetByIt) {
  // The dispatcher's per-command series: `get_statistics all` leaves them out (hundreds would
  // drown the rest), `mi:` and their names show them, `reset_statistics all` resets them too.
  Statistics st;
  st.counter("mi", "calls").inc(5);
  Stat& calls = st.labeled("mi", "calls", "command", "uptime", StatKind::counter);
  Stat& peak = st.labeled("mi", "latency_max_us", "command", "uptime", StatKind::gauge);
  calls.inc(3);
  peak.raise_to(900);
  EXPECT_EQ(names(st.match({"all"})), (V{"mi:calls"}));
  EXPECT_EQ(names(st.match({"mi:"})), (V{"mi:calls", "mi:uptime_calls", "mi:uptime_latency_max_us"}));
  EXPECT_EQ(names(st.match({"uptime_calls"})), (V{"mi:uptime_calls"}));
  EXPECT_EQ(calls.family(), "calls");
  EXPECT_EQ(calls.label_value(), "uptime");
  EXPECT_EQ(st.reset({"all"}), 3u);
  EXPECT_EQ(calls.get(), 0);
  EXPECT_EQ(peak.get(), 0);
}

TEST(Statistics, ConcurrentUpdatesAreNotLost) {
  Statistics st;
  Stat& c = st.counter("g", "c");
  Stat& mx = st.gauge("g", "max", true);
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        c.inc();
        mx.raise_to(t * 10000 + i);
        st.counter("g", "c");  // lookups race with updates
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(c.get(), 40000);
  EXPECT_EQ(mx.get(), 39999);
}

}  // namespace
}  // namespace sb::mi
