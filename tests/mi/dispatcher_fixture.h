// dispatcher_fixture.h: the small test commands, the test executor and the DispatcherTest
// fixture that dispatcher_test.cpp and dispatcher_async_test.cpp share.
// Threading: the fixture's commands run on the dispatcher's workers and the test executor's
// thread; the fixture's state is guarded where they touch it.
#pragma once

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
[[maybe_unused]] Result must(std::optional<Result> r) {
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

}  // namespace
}  // namespace sb::mi
