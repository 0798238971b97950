// event_bus_test.cpp: the event registry (declarations refused when incomplete, patterns) and
// the bus in-process: only attached sinks of an event get it, in seq order, params rendered
// once; nothing is built or queued when nobody listens; a full EventQueue drops and says how
// many on the next pop; detach stops the offers; the bus's own queue is bounded.
#include "mi/event_bus.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "mi/registry.h"
#include "mi/reply_schema.h"

namespace sb::mi {
namespace {

using namespace std::chrono_literals;
using namespace schema;

struct Collect : EventSink {
  std::mutex mu;
  std::vector<EventPtr> got;
  void offer(const EventPtr& e) override {
    std::lock_guard lk(mu);
    got.push_back(e);
  }
  std::size_t size() {
    std::lock_guard lk(mu);
    return got.size();
  }
};

EventSpec spec(std::string name, Value params = object({{"n", integer("a number")}})) {
  return {.name = std::move(name), .module = "test", .summary = "a test event", .params = std::move(params)};
}

TEST(EventRegistry, RefusesIncompleteDeclarations) {
  EventRegistry r;
  EXPECT_THROW(r.add(spec("lower_case")), RegistryError);
  EXPECT_THROW(r.add(spec("E_X", object({{"n", integer()}}))), RegistryError) << "a param without help";
  EXPECT_THROW(r.add(spec("E_X", str("not an object"))), RegistryError);
  EventSpec no_summary = spec("E_X");
  no_summary.summary.clear();
  EXPECT_THROW(r.add(no_summary), RegistryError);
  r.add(spec("E_X"));
  EXPECT_THROW(r.add(spec("E_X")), RegistryError) << "declared twice";
  EXPECT_NO_THROW(r.add(spec("E_Y", object({{"q", nullable(number("nullable, described inside"))}}))));
}

TEST(EventRegistry, PatternsNameEventsPrefixesAndLists) {
  EventRegistry r;
  for (const char* n : {"E_UL_A", "E_UL_B", "E_CDR"}) r.add(spec(n));
  std::string why;
  auto names = [&](std::string_view p) {
    std::vector<std::string> out;
    for (const EventSpec* e : r.match(p, &why)) out.push_back(e->name);
    return out;
  };
  EXPECT_EQ(names("E_UL_*"), (std::vector<std::string>{"E_UL_A", "E_UL_B"}));
  EXPECT_EQ(names("E_CDR, E_UL_B"), (std::vector<std::string>{"E_UL_B", "E_CDR"}));
  EXPECT_EQ(names("E_*").size(), 3u);
  EXPECT_TRUE(names("E_NOPE").empty());
  EXPECT_NE(why.find("unknown event 'E_NOPE'"), std::string::npos) << why;
  EXPECT_TRUE(names("E_ZZ_*").empty());
  EXPECT_NE(why.find("no event starts with 'E_ZZ_'"), std::string::npos) << why;
  EXPECT_TRUE(names(" , ").empty());
}

TEST(EventBus, OnlyListenersGetTheEventInOrderAndNothingIsBuiltOtherwise) {
  Registry reg;
  Statistics stats;
  const EventSpec& a = reg.events().add(spec("E_A"));
  const EventSpec& b = reg.events().add(spec("E_B"));
  EventBus bus(reg.events(), stats);
  int built = 0;
  bus.raise_if(a, [&] { ++built; return Value{{"n", 0}}; });
  EXPECT_EQ(built, 0) << "no listener: the params are never built";
  EXPECT_FALSE(bus.wanted(a));

  auto sink = std::make_shared<Collect>();
  std::uint64_t id = bus.attach({&a}, sink);
  EXPECT_TRUE(bus.wanted(a));
  EXPECT_FALSE(bus.wanted(b));
  std::vector<std::thread> raisers;
  for (int t = 0; t < 4; ++t)
    raisers.emplace_back([&, t] {
      for (int i = 0; i < 250; ++i) bus.raise(a, Value{{"n", t * 1000 + i}});
    });
  for (auto& t : raisers) t.join();
  bus.raise(b, Value{{"n", 1}});
  ASSERT_TRUE(bus.flush(5s));
  ASSERT_EQ(sink->size(), 1000u);
  for (std::size_t i = 1; i < sink->got.size(); ++i)
    EXPECT_LT(sink->got[i - 1]->seq, sink->got[i]->seq) << "seq order at " << i;
  const Event& first = *sink->got[0];
  EXPECT_EQ(first.params_json, to_compact_json(first.params));
  EXPECT_EQ(first.stream_text().get(), first.stream_text().get()) << "rendered once";
  EXPECT_EQ(Value::parse(first.jsonrpc(3))["dropped"], 3);
  EXPECT_FALSE(Value::parse(first.jsonrpc(0)).contains("dropped"));

  bus.detach(id);
  EXPECT_FALSE(bus.wanted(a));
  bus.raise(a, Value{{"n", 2}});
  ASSERT_TRUE(bus.flush(5s));
  EXPECT_EQ(sink->size(), 1000u) << "no offer after detach";
  EXPECT_EQ(stats.counter("events", "raised").get(), 1002);
}

TEST(EventBus, ParamsNotMatchingTheDeclarationAreCountedWhenValidating) {
  Registry reg;
  Statistics stats;
  const EventSpec& a = reg.events().add(spec("E_A"));
  EventBus bus(reg.events(), stats);
  bus.validate_params(true);
  bus.raise(a, Value{{"n", "not a number"}});
  EXPECT_EQ(stats.counter("events", "invalid").get(), 1);
  EXPECT_NE(EventBus::check_params(a, Value{{"n", "x"}}), "");
  EXPECT_EQ(EventBus::check_params(a, Value{{"n", 1}}), "");
}

TEST(EventQueue, AFullQueueDropsAndTheNextPopSaysHowMany) {
  EventQueue q(2);
  int drops = 0;
  q.on_drop([&] { ++drops; });
  auto e = std::make_shared<Event>();
  EXPECT_TRUE(q.push(e));
  EXPECT_TRUE(q.push(e));
  EXPECT_FALSE(q.push(e));
  EXPECT_FALSE(q.push(e));
  EXPECT_EQ(drops, 2);
  std::uint64_t dropped = 0;
  EXPECT_NE(q.pop(std::chrono::steady_clock::now(), &dropped), nullptr);
  EXPECT_EQ(dropped, 2u);
  EXPECT_NE(q.try_pop(&dropped), nullptr);
  EXPECT_EQ(dropped, 0u);
  EXPECT_EQ(q.pop(std::chrono::steady_clock::now() + 10ms, &dropped), nullptr);
  EXPECT_EQ(q.dropped_total(), 2u);
  q.close();
  EXPECT_FALSE(q.push(e));
}

TEST(EventBus, TheBusQueueIsBounded) {
  Registry reg;
  Statistics stats;
  const EventSpec& a = reg.events().add(spec("E_A"));
  // A sink that blocks the dispatcher until released, so raised events pile up in the bus.
  struct Gate : EventSink {
    std::mutex mu;
    void offer(const EventPtr&) override { std::lock_guard lk(mu); }
  };
  auto gate = std::make_shared<Gate>();
  EventBus bus(reg.events(), stats, 10);
  bus.attach({&a}, gate);
  {
    std::lock_guard hold(gate->mu);
    for (int i = 0; i < 100; ++i) bus.raise(a, Value{{"n", i}});
    EXPECT_GE(stats.counter("events", "bus_dropped").get(), 80);
  }
  EXPECT_TRUE(bus.flush(5s));
}

}  // namespace
}  // namespace sb::mi
