// dispatcher_test.cpp: Dispatcher::call end to end with small test commands: lookup, rights,
// handler errors and exceptions, async completion (late, twice, dropped, never), timeouts, the
// elastic pool, engine commands, per-command statistics, shutdown and concurrency.
#include "mi/dispatcher.h"
#include "mi/reply_schema.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

namespace sb::mi {
namespace {

using namespace std::chrono_literals;

// Generous bound for "this completes": only a hang (a real bug) gets near it.
constexpr auto kLimit = 20s;

Request req(std::string method, Value params = nullptr, Role role = Role::admin,
            bool case_insensitive = false) {
  return Request{std::move(method), std::move(params), Caller{"test", "unit", role},
                 case_insensitive};
}

// Calls and waits (bounded) for the one reply; records a failure if `done` runs twice.
std::optional<Result> call_wait(Dispatcher& d, Request r, std::chrono::milliseconds limit = kLimit) {
  auto p = std::make_shared<std::promise<Result>>();
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto f = p->get_future();
  d.call(std::move(r), [p, calls](Result res) {
    if (calls->fetch_add(1) == 0) p->set_value(std::move(res));
    else ADD_FAILURE() << "done called more than once";
  });
  if (f.wait_for(limit) != std::future_status::ready) return std::nullopt;
  return f.get();
}

// As call_wait, for calls that must answer: a missing reply is a failure (and a 0 error).
Result must(std::optional<Result> r) {
  if (r) return std::move(*r);
  ADD_FAILURE() << "no reply within the limit";
  return Error::failure(0, "no reply");
}

// A one-shot gate a handler can block on.
struct Gate {
  std::promise<void> p;
  std::shared_future<void> f = p.get_future().share();
  std::atomic<bool> opened{false};
  void open() {
    if (!opened.exchange(true)) p.set_value();
  }
  bool wait(std::chrono::milliseconds limit = kLimit) const {
    return f.wait_for(limit) == std::future_status::ready;
  }
};

// An Executor with its own thread (stands in for the SIP engine's queue).
class TestExecutor : public Executor {
 public:
  TestExecutor() : thread_([this] { loop(); }) {}
  ~TestExecutor() override {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  bool post(std::function<void()> job) override {
    {
      std::lock_guard lk(mu_);
      if (refuse_) return false;
      jobs_.push_back(std::move(job));
      ++posted_;
    }
    cv_.notify_all();
    return true;
  }
  std::thread::id thread_id() const { return thread_.get_id(); }
  void refuse(bool r) {
    std::lock_guard lk(mu_);
    refuse_ = r;
  }
  int posted() {
    std::lock_guard lk(mu_);
    return posted_;
  }

 private:
  void loop() {
    std::unique_lock lk(mu_);
    for (;;) {
      cv_.wait(lk, [this] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      lk.unlock();
      job();
      job = nullptr;
      lk.lock();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false, refuse_ = false;
  int posted_ = 0;
  std::thread thread_;
};

CommandSpec spec(std::string name, std::vector<ParamSpec> params, unsigned flags,
                 SyncHandler h) {
  CommandSpec s;
  s.name = std::move(name);
  s.module = "test";
  s.summary = "A test command.";
  s.reply = schema::any();
  s.params = std::move(params);
  s.flags = flags;
  s.handler = std::move(h);
  return s;
}

CommandSpec async_spec(std::string name, unsigned flags, AsyncHandler h) {
  CommandSpec s;
  s.name = std::move(name);
  s.module = "test";
  s.summary = "An async test command.";
  s.reply = schema::any();
  s.flags = flags | kAsync;
  s.async_handler = std::move(h);
  return s;
}

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    reg.add(spec("echo", {optional_param("v", ParamType::string_, "value to echo", "none")},
                 kReadOnly, [](const Args& a) -> Result { return Value(a.str("v")); }));
    reg.add(spec("echo_n", {param("n", ParamType::int_, "number to echo")}, kReadOnly,
                 [](const Args& a) -> Result { return Value(a.integer("n")); }));
    reg.add(spec("set_x", {}, 0, [](const Args&) -> Result { return ok_value(); }));
    reg.add(spec("kill", {}, kAdmin, [](const Args&) -> Result { return ok_value(); }));
    reg.add(spec("ul_show_contact", {}, kReadOnly, [](const Args&) -> Result {
      return Error::failure(404, "AOR not found");
    }));
    reg.add(spec("boom", {}, kReadOnly, [](const Args&) -> Result {
      throw std::runtime_error("boom inside");
    }));
    reg.add(spec("boom_odd", {}, kReadOnly, [](const Args&) -> Result { throw 42; }));
    reg.add(spec("sleepy", {}, kReadOnly, [](const Args&) -> Result {
      std::this_thread::sleep_for(20ms);
      return ok_value();
    }));
    reg.add(spec("slow", {}, kReadOnly, [this](const Args&) -> Result {
      slow_entered.set_value();
      EXPECT_TRUE(slow_gate.wait());
      return Value("slow done");
    }));
    reg.add(spec("where", {}, kReadOnly | kEngine, [](const Args&) -> Result {
      std::ostringstream os;
      os << std::this_thread::get_id();
      return Value(os.str());
    }));
    reg.add(async_spec("later", kReadOnly, [this](const Args&, Completion c) {
      std::lock_guard lk(mu);
      parked.push_back(std::move(c));
      parked_cv.notify_all();
    }));
    reg.add(async_spec("twice", kReadOnly, [this](const Args&, Completion c) {
      first_delivered = c(Value(1));
      second_delivered = c(Value(2));
      twice_returned.set_value();
    }));
    reg.add(async_spec("dropper", kReadOnly, [](const Args&, Completion) {}));
    make(DispatcherOptions{});
  }

  // A fresh Statistics with each Dispatcher: the dispatcher's computed stats (mi:in_flight,
  // mi:workers) point at the dispatcher that created them.
  void make(DispatcherOptions o) {
    d.reset();
    st = std::make_unique<Statistics>();
    d = std::make_unique<Dispatcher>(reg, *st, o);
  }
  Statistics& stats() { return *st; }

  void TearDown() override {
    slow_gate.open();
    {
      std::lock_guard lk(mu);
      parked.clear();
    }
    if (d) {
      EXPECT_TRUE(d->wait_idle(kLimit));
      d->stop();
    }
  }

  // Waits (bounded) until the `later` handler has parked `n` completions.
  bool wait_parked(std::size_t n) {
    std::unique_lock lk(mu);
    return parked_cv.wait_for(lk, kLimit, [&] { return parked.size() >= n; });
  }

  std::int64_t stat(const std::string& full) {
    std::vector<std::string> unmatched;
    auto m = stats().match({full}, &unmatched);
    EXPECT_TRUE(unmatched.empty()) << full << " does not exist";
    return m.size() == 1 ? m[0]->get() : -1;
  }

  Registry reg;
  std::unique_ptr<Statistics> st;
  std::unique_ptr<Dispatcher> d;

  std::mutex mu;
  std::condition_variable parked_cv;
  std::vector<Completion> parked;
  std::promise<void> slow_entered;
  Gate slow_gate;
  std::atomic<bool> first_delivered{false}, second_delivered{true};
  std::promise<void> twice_returned;  // the `twice` handler has recorded both calls
};

TEST_F(DispatcherTest, CallsACommand) {
  auto r = call_wait(*d, req("echo", Value::array({"hi"})));
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->ok());
  EXPECT_EQ(r->value(), "hi");
  // Defaults apply.
  r = call_wait(*d, req("echo"));
  ASSERT_TRUE(r && r->ok());
  EXPECT_EQ(r->value(), "none");
  // call_sync is the blocking convenience of the same path.
  Result s = d->call_sync(req("echo_n", Value{{"n", "17"}}));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s.value(), 17);
}

TEST_F(DispatcherTest, UnknownCommand) {
  auto r = call_wait(*d, req("x"));
  ASSERT_TRUE(r);
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->error().kind, ErrorKind::unknown_command);
  EXPECT_EQ(r->error().code, 500);
  EXPECT_EQ(text_status_line(r->error()), "500 command 'x' not available");
  EXPECT_EQ(stat("mi:unknown_commands"), 1);
}

TEST_F(DispatcherTest, ModuleQualifiedAlias) {
  auto r = call_wait(*d, req("test:echo", Value::array({"q"})));
  ASSERT_TRUE(r && r->ok());
  EXPECT_EQ(r->value(), "q");
  // Stats are per command, whatever name was used.
  EXPECT_EQ(stat("mi:echo_calls"), 1);
  r = call_wait(*d, req("other:echo"));
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().kind, ErrorKind::unknown_command);
}

TEST_F(DispatcherTest, CaseInsensitiveOnlyWhenAsked) {
  auto r = call_wait(*d, req("ECHO", Value::array({"a"})));
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().reason, "command 'ECHO' not available");
  r = call_wait(*d, req("ECHO", Value::array({"a"}), Role::admin, true));
  ASSERT_TRUE(r && r->ok());
  EXPECT_EQ(r->value(), "a");
  r = call_wait(*d, req("Test:Echo", Value::array({"b"}), Role::admin, true));
  ASSERT_TRUE(r && r->ok());
  EXPECT_EQ(r->value(), "b");
}

TEST_F(DispatcherTest, ReadOnlyCallerRights) {
  auto r = call_wait(*d, req("set_x", nullptr, Role::read_only));
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().kind, ErrorKind::forbidden);
  EXPECT_EQ(r->error().code, 403);
  EXPECT_EQ(text_status_line(r->error()), "403 Forbidden");
  EXPECT_EQ(stat("mi:set_x_errors"), 1);
  r = call_wait(*d, req("echo", Value::array({"ro"}), Role::read_only));
  ASSERT_TRUE(r && r->ok());
  EXPECT_EQ(r->value(), "ro");
  r = call_wait(*d, req("set_x", nullptr, Role::operator_));
  ASSERT_TRUE(r && r->ok());
}

TEST_F(DispatcherTest, AdminFlagNeedsAdminRole) {
  for (Role role : {Role::read_only, Role::operator_}) {
    auto r = call_wait(*d, req("kill", nullptr, role));
    ASSERT_TRUE(r && !r->ok());
    EXPECT_EQ(r->error().kind, ErrorKind::forbidden);
    EXPECT_EQ(r->error().code, 403);
  }
  auto r = call_wait(*d, req("kill", nullptr, Role::admin));
  ASSERT_TRUE(r && r->ok());
}

TEST_F(DispatcherTest, BindingErrorsComeBack) {
  auto r = call_wait(*d, req("echo_n"));
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().kind, ErrorKind::arity);
  r = call_wait(*d, req("echo_n", Value::array({"5x"})));
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().reason, "Bad parameter 'n': expected an integer, got '5x'");
  r = call_wait(*d, req("echo_n", Value("5")));
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().kind, ErrorKind::invalid_request);
}

TEST_F(DispatcherTest, HandlerErrorPassesThrough) {
  auto r = call_wait(*d, req("ul_show_contact"));
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().kind, ErrorKind::handler);
  EXPECT_EQ(r->error().code, 404);
  EXPECT_EQ(r->error().reason, "AOR not found");
}

TEST_F(DispatcherTest, HandlerThatThrowsGives500AndTheDispatcherKeepsWorking) {
  for (int i = 0; i < 3; ++i) {
    auto r = call_wait(*d, req("boom"));
    ASSERT_TRUE(r && !r->ok());
    EXPECT_EQ(r->error().code, 500);
    EXPECT_EQ(r->error().kind, ErrorKind::handler);
    // The exception text goes to the server log, not to the client.
    EXPECT_EQ(r->error().reason, "Internal error");
    EXPECT_EQ(r->error().detail.find("boom inside"), std::string::npos);
    r = call_wait(*d, req("boom_odd"));
    ASSERT_TRUE(r && !r->ok());
    EXPECT_EQ(r->error().code, 500);
    r = call_wait(*d, req("echo", Value::array({"still here"})));
    ASSERT_TRUE(r && r->ok());
    EXPECT_EQ(r->value(), "still here");
  }
  EXPECT_EQ(stat("mi:boom_errors"), 3);
}

TEST_F(DispatcherTest, AsyncHandlerCompletesLaterFromAnotherThread) {
  auto p = std::make_shared<std::promise<std::pair<Result, std::thread::id>>>();
  auto f = p->get_future();
  d->call(req("later"), [p](Result r) { p->set_value({std::move(r), std::this_thread::get_id()}); });
  ASSERT_TRUE(wait_parked(1));
  // Nobody completed it: no reply yet, and it is in flight.
  EXPECT_EQ(f.wait_for(50ms), std::future_status::timeout);
  EXPECT_EQ(d->in_flight(), 1u);
  Completion c = [&] {
    std::lock_guard lk(mu);
    return parked[0];
  }();
  std::thread::id completer;
  bool delivered = false;
  std::thread t([&] {
    completer = std::this_thread::get_id();
    delivered = c(Value{{"answer", 42}});
  });
  t.join();
  EXPECT_TRUE(delivered);
  ASSERT_EQ(f.wait_for(kLimit), std::future_status::ready);
  auto [r, on] = f.get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), (Value{{"answer", 42}}));
  EXPECT_EQ(on, completer);
  EXPECT_TRUE(c.done());
  EXPECT_FALSE(c(Value("again")));  // only the first delivery counts
  EXPECT_TRUE(d->wait_idle(kLimit));
}

TEST_F(DispatcherTest, AsyncCompletedTwiceDeliversOnlyTheFirst) {
  std::atomic<int> dones{0};
  auto p = std::make_shared<std::promise<Result>>();
  d->call(req("twice"), [&dones, p](Result r) {
    if (dones.fetch_add(1) == 0) p->set_value(std::move(r));
  });
  auto f = p->get_future();
  ASSERT_EQ(f.wait_for(kLimit), std::future_status::ready);
  Result r = f.get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), 1);
  EXPECT_TRUE(d->wait_idle(kLimit));
  // The reply goes out from inside the handler's first call: wait for the handler to return.
  ASSERT_EQ(twice_returned.get_future().wait_for(kLimit), std::future_status::ready);
  EXPECT_EQ(dones.load(), 1);
  EXPECT_TRUE(first_delivered.load());
  EXPECT_FALSE(second_delivered.load());
  EXPECT_EQ(stat("mi:twice_calls"), 1);
  EXPECT_EQ(stat("mi:twice_errors"), 0);
}

TEST_F(DispatcherTest, AsyncHandlerThatDropsItsCompletionGets500Promptly) {
  // The call timeout is the default minute: an answer well before it comes from the drop.
  auto r = call_wait(*d, req("dropper"), 10s);
  ASSERT_TRUE(r) << "no reply: a dropped Completion must answer at once";
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->error().code, 500);
  EXPECT_EQ(r->error().reason, "command produced no reply");
  EXPECT_EQ(stat("mi:timeouts"), 0);
  EXPECT_TRUE(d->wait_idle(kLimit));
}

TEST_F(DispatcherTest, AsyncCallThatNeverCompletesTimesOut) {
  make(DispatcherOptions{2, 64, 200ms});
  auto r = call_wait(*d, req("later"));
  ASSERT_TRUE(r);
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->error().kind, ErrorKind::timeout);
  EXPECT_EQ(r->error().code, 408);
  EXPECT_EQ(text_status_line(r->error()), "408 Request Timeout");
  EXPECT_EQ(stat("mi:timeouts"), 1);
  EXPECT_EQ(stat("mi:later_errors"), 1);
  EXPECT_EQ(stat("mi:errors"), 1);
  // The handler still holds its Completion; completing it now changes nothing.
  ASSERT_TRUE(wait_parked(1));
  {
    std::lock_guard lk(mu);
    EXPECT_TRUE(parked[0].done());
    EXPECT_FALSE(parked[0](Value("too late")));
  }
  EXPECT_TRUE(d->wait_idle(kLimit));
  EXPECT_EQ(stat("mi:timeouts"), 1);
}

TEST_F(DispatcherTest, SlowSyncCommandTimesOutToo) {
  make(DispatcherOptions{2, 64, 200ms});
  auto r = call_wait(*d, req("slow"));
  ASSERT_TRUE(r);
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->error().code, 408);
  EXPECT_EQ(stat("mi:timeouts"), 1);
  slow_gate.open();  // the handler's late result is dropped
  EXPECT_TRUE(d->wait_idle(kLimit));
  EXPECT_EQ(stat("mi:slow_calls"), 1);
}

TEST_F(DispatcherTest, SlowCommandDoesNotDelayAFastOne) {
  make(DispatcherOptions{1, 8, 60'000ms});  // one thread to start with: the pool must grow
  auto slow_done = std::make_shared<std::promise<Result>>();
  auto slow_f = slow_done->get_future();
  d->call(req("slow"), [slow_done](Result r) { slow_done->set_value(std::move(r)); });
  ASSERT_EQ(slow_entered.get_future().wait_for(kLimit), std::future_status::ready);

  auto fast = call_wait(*d, req("echo", Value::array({"fast"})));
  ASSERT_TRUE(fast) << "the fast call waited for the slow one";
  ASSERT_TRUE(fast->ok());
  EXPECT_EQ(fast->value(), "fast");
  // The slow one is still blocked on its gate, so the pool has grown beyond one thread.
  EXPECT_EQ(slow_f.wait_for(0ms), std::future_status::timeout);
  EXPECT_GE(stat("mi:workers"), 2);
  // The fast call leaves the in-flight count just after its reply: only the slow one remains.
  auto until = std::chrono::steady_clock::now() + kLimit;
  while (stat("mi:in_flight") != 1 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(1ms);
  EXPECT_EQ(stat("mi:in_flight"), 1);

  slow_gate.open();
  ASSERT_EQ(slow_f.wait_for(kLimit), std::future_status::ready);
  Result s = slow_f.get();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s.value(), "slow done");
}

TEST_F(DispatcherTest, EngineCommandWithoutEngineIs503) {
  auto r = call_wait(*d, req("where"));
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().code, 503);
  EXPECT_EQ(r->error().kind, ErrorKind::handler);
  EXPECT_EQ(stat("mi:where_errors"), 1);
  EXPECT_TRUE(d->wait_idle(kLimit));
}

TEST_F(DispatcherTest, EngineCommandRunsOnTheEngineThread) {
  TestExecutor engine;
  d->set_engine(&engine);
  auto r = call_wait(*d, req("where"));
  ASSERT_TRUE(r && r->ok()) << (r && !r->ok() ? text_status_line(r->error()) : "");
  std::ostringstream os;
  os << engine.thread_id();
  EXPECT_EQ(r->value(), os.str());
  EXPECT_EQ(engine.posted(), 1);
  // Non-engine commands do not go through the engine.
  r = call_wait(*d, req("echo"));
  ASSERT_TRUE(r && r->ok());
  EXPECT_EQ(engine.posted(), 1);
  // An engine that refuses the job (stopping): 503.
  engine.refuse(true);
  r = call_wait(*d, req("where"));
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().code, 503);
  EXPECT_TRUE(d->wait_idle(kLimit));
  d->set_engine(nullptr);
}

TEST_F(DispatcherTest, PerCommandAndGlobalStatistics) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(must(call_wait(*d, req("echo", Value::array({"x"})))).ok());
  for (int i = 0; i < 2; ++i) ASSERT_FALSE(must(call_wait(*d, req("ul_show_contact"))).ok());
  ASSERT_FALSE(must(call_wait(*d, req("echo", Value::array({"a", "b"})))).ok());  // arity
  ASSERT_FALSE(must(call_wait(*d, req("nosuch"))).ok());
  ASSERT_FALSE(must(call_wait(*d, req("set_x", nullptr, Role::read_only))).ok());  // forbidden
  ASSERT_TRUE(must(call_wait(*d, req("sleepy"))).ok());
  ASSERT_TRUE(must(call_wait(*d, req("sleepy"))).ok());
  ASSERT_TRUE(d->wait_idle(kLimit));

  EXPECT_EQ(stat("mi:echo_calls"), 4);
  EXPECT_EQ(stat("mi:echo_errors"), 1);
  EXPECT_EQ(stat("mi:ul_show_contact_calls"), 2);
  EXPECT_EQ(stat("mi:ul_show_contact_errors"), 2);
  EXPECT_EQ(stat("mi:set_x_calls"), 1);
  EXPECT_EQ(stat("mi:set_x_errors"), 1);
  EXPECT_EQ(stat("mi:sleepy_calls"), 2);
  EXPECT_EQ(stat("mi:sleepy_errors"), 0);
  // Each sleepy call took at least 20 ms: the maximum and the total say so.
  EXPECT_GE(stat("mi:sleepy_latency_max_us"), 20'000);
  EXPECT_GE(stat("mi:sleepy_latency_total_us"), 40'000);
  EXPECT_GE(stat("mi:sleepy_latency_total_us"), stat("mi:sleepy_latency_max_us"));
  EXPECT_GE(stat("mi:echo_latency_total_us"), stat("mi:echo_latency_max_us"));
  // 4 echo + 2 ul_show_contact + 1 nosuch + 1 set_x + 2 sleepy.
  EXPECT_EQ(stat("mi:calls"), 10);
  EXPECT_EQ(stat("mi:errors"), 5);
  EXPECT_EQ(stat("mi:unknown_commands"), 1);
  EXPECT_EQ(stat("mi:timeouts"), 0);
  EXPECT_EQ(stat("mi:in_flight"), 0);
  // Every registered command has its stats from registration on (0 before its first call);
  // unknown names never get any.
  std::vector<std::string> unmatched;
  auto found = stats().match({"mi:kill_calls", "mi:nosuch_calls"}, &unmatched);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]->get(), 0);
  EXPECT_EQ(unmatched, std::vector<std::string>{"mi:nosuch_calls"});
  // Counters are resettable, the latency maximum too; reset brings them back to 0.
  stats().reset({"mi:sleepy_calls", "mi:sleepy_latency_max_us"});
  EXPECT_EQ(stat("mi:sleepy_calls"), 0);
  EXPECT_EQ(stat("mi:sleepy_latency_max_us"), 0);
}

TEST_F(DispatcherTest, StopAcceptingAnswers503) {
  d->stop_accepting();
  auto r = call_wait(*d, req("echo"));
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().code, 503);
  EXPECT_EQ(text_status_line(r->error()), "503 Server shutting down");
  r = call_wait(*d, req("later"));
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().code, 503);
  EXPECT_EQ(d->in_flight(), 0u);
  // After stop() as well.
  d->stop();
  r = call_wait(*d, req("echo"));
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().code, 503);
}

TEST_F(DispatcherTest, WaitIdle) {
  EXPECT_TRUE(d->wait_idle(0ms));
  EXPECT_TRUE(d->wait_idle(100ms));
  auto slow_done = std::make_shared<std::promise<Result>>();
  auto slow_f = slow_done->get_future();
  d->call(req("slow"), [slow_done](Result r) { slow_done->set_value(std::move(r)); });
  ASSERT_EQ(slow_entered.get_future().wait_for(kLimit), std::future_status::ready);
  EXPECT_EQ(d->in_flight(), 1u);
  EXPECT_FALSE(d->wait_idle(100ms));
  // In-flight calls still finish after stop_accepting (graceful shutdown).
  d->stop_accepting();
  EXPECT_FALSE(d->wait_idle(0ms));
  slow_gate.open();
  EXPECT_TRUE(d->wait_idle(kLimit));
  EXPECT_EQ(d->in_flight(), 0u);
  ASSERT_EQ(slow_f.wait_for(kLimit), std::future_status::ready);
  Result s = slow_f.get();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s.value(), "slow done");
}

TEST_F(DispatcherTest, ManyConcurrentCallsEachCompleteOnceWithTheirOwnResult) {
  constexpr int kThreads = 8, kPerThread = 200, kTotal = kThreads * kPerThread;
  std::vector<std::atomic<int>> dones(kTotal);
  std::vector<std::int64_t> results(kTotal, -1);
  std::mutex rmu;
  std::condition_variable all_done;
  int finished = 0;

  std::vector<std::thread> callers;
  for (int t = 0; t < kThreads; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        int idx = t * kPerThread + i;
        // Half positional, half named, half as text (coerced), half as JSON numbers.
        Value params = (i % 2) ? Value::array({idx}) : Value{{"n", std::to_string(idx)}};
        d->call(req("echo_n", params, i % 3 ? Role::admin : Role::read_only),
                [&, idx](Result r) {
                  dones[idx].fetch_add(1);
                  std::lock_guard lk(rmu);
                  results[idx] = r.ok() ? r.value().get<std::int64_t>() : -2;
                  if (++finished == kTotal) all_done.notify_all();
                });
      }
    });
  }
  for (auto& c : callers) c.join();
  {
    std::unique_lock lk(rmu);
    ASSERT_TRUE(all_done.wait_for(lk, 60s, [&] { return finished == kTotal; }))
        << finished << " of " << kTotal << " completed";
  }
  ASSERT_TRUE(d->wait_idle(kLimit));
  for (int i = 0; i < kTotal; ++i) {
    EXPECT_EQ(dones[i].load(), 1) << "call " << i;
    EXPECT_EQ(results[i], i) << "call " << i;
  }
  EXPECT_EQ(stat("mi:echo_n_calls"), kTotal);
  EXPECT_EQ(stat("mi:echo_n_errors"), 0);
  EXPECT_EQ(stat("mi:calls"), kTotal);
}

TEST_F(DispatcherTest, TextLayout) {
  reg.add([] {
    CommandSpec s = spec("t_uac_dlg",
                         {param("method", ParamType::string_, "method"),
                          param("ruri", ParamType::string_, "ruri"),
                          param("next_hop", ParamType::string_, "next hop"),
                          param("headers", ParamType::string_, "headers"),
                          param("body", ParamType::string_, "body")},
                         0, [](const Args&) -> Result { return ok_value(); });
    s.params[3].text_block = TextBlock::line_set;
    s.params[4].text_block = TextBlock::body;
    return s;
  }());
  EXPECT_EQ(stat("mi:t_uac_dlg_calls"), 0);  // added after the dispatcher started: stats exist
  std::vector<TextBlock> want = {TextBlock::line, TextBlock::line, TextBlock::line,
                                 TextBlock::line_set, TextBlock::body};
  EXPECT_EQ(d->text_layout("t_uac_dlg"), want);
  EXPECT_EQ(d->text_layout("T_UAC_DLG"), want);  // text dialect lookups are case-insensitive
  EXPECT_EQ(d->text_layout("echo"), std::vector<TextBlock>{TextBlock::line});
  EXPECT_TRUE(d->text_layout("nosuch").empty());
}

}  // namespace
}  // namespace sb::mi
