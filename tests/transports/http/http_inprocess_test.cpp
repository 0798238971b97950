// http_inprocess_test.cpp: HttpTransport in-process, with commands the daemon does not have: a
// command that completes only when the test says so. Checks that a request waiting for a slow
// command (suspended connection) delays nobody even with ONE server thread, that finish()
// answers requests still waiting with 503 (MHD must never be stopped with suspended
// connections), late completions after that, clients that hang up while suspended, and start()
// errors.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "mi/dispatcher.h"
#include "mi/reply_schema.h"
#include "transports/http/http_client.h"
#include "transports/http/http_transport.h"

namespace sb::transports {
namespace {

using namespace std::chrono_literals;

class HttpInProcess : public ::testing::Test {
 protected:
  HttpInProcess() : dispatcher(registry, stats) {
    mi::CommandSpec hold;
    hold.name = "hold";
    hold.module = "test";
    hold.summary = "Completes when the test releases it.";
    hold.reply = mi::schema::any();
    hold.flags = mi::kReadOnly | mi::kAsync;
    hold.async_handler = [this](const mi::Args&, mi::Completion c) {
      std::lock_guard lk(mu);
      held.push_back(std::move(c));
      cv.notify_all();
    };
    registry.add(std::move(hold));
    mi::CommandSpec fast;
    fast.name = "fast";
    fast.module = "test";
    fast.summary = "Answers at once.";
    fast.reply = mi::schema::str();
    fast.flags = mi::kReadOnly;
    fast.handler = [](const mi::Args&) -> mi::Result { return mi::Value("quick"); };
    registry.add(std::move(fast));
  }
  ~HttpInProcess() override {
    release_all(mi::Value("late"));
    transport.reset();
  }

  void start(unsigned threads = 1, unsigned connection_limit = 256) {
    HttpConfig cfg;
    cfg.listen = "127.0.0.1:0";
    cfg.threads = threads;
    cfg.connection_limit = connection_limit;
    cfg.anonymous_role = mi::Role::admin;  // the test's commands are not all read-only
    transport = std::make_unique<HttpTransport>(cfg, dispatcher);
    transport->start();
    ASSERT_GT(transport->port(), 0);
  }

  client::HttpClientOptions opts() const {
    client::HttpClientOptions o;
    o.port = transport->port();
    o.timeout = 20s;
    return o;
  }

  bool wait_held(std::size_t n) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, 20s, [&] { return held.size() >= n; });
  }

  void release_all(mi::Value v) {
    std::vector<mi::Completion> out;
    {
      std::lock_guard lk(mu);
      out.swap(held);
    }
    for (auto& c : out) c(v);
  }

  static std::string call(const std::string& m, int id) {
    return R"({"jsonrpc":"2.0","method":")" + m + R"(","id":)" + std::to_string(id) + "}";
  }

  mi::Registry registry;
  mi::Statistics stats;
  mi::Dispatcher dispatcher;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<mi::Completion> held;
  std::unique_ptr<HttpTransport> transport;
};

TEST_F(HttpInProcess, PortIsZeroBeforeStart) {
  HttpConfig cfg;
  cfg.listen = "127.0.0.1:0";
  HttpTransport t(cfg, dispatcher);
  EXPECT_EQ(t.port(), 0);
  t.start();
  EXPECT_GT(t.port(), 0);
}

TEST_F(HttpInProcess, SlowCommandDoesNotDelayOthersEvenWithOneThread) {
  start(1);
  auto o = opts();
  auto slow = std::async(std::launch::async, [&] { return client::http_post(o, "/mi", call("hold", 1)); });
  ASSERT_TRUE(wait_held(1));
  // The single MHD thread is free while `hold` runs: other requests are served.
  for (int i = 0; i < 5; ++i) {
    auto r = client::http_post(o, "/mi", call("fast", 10 + i));
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.body, R"({"jsonrpc":"2.0","result":"quick","id":)" + std::to_string(10 + i) + "}");
    EXPECT_EQ(client::http_get(o, "/json/fast").body, R"("quick")");
  }
  // A second slow one on another connection, also suspended.
  auto slow2 = std::async(std::launch::async, [&] { return client::http_get(o, "/json/hold"); });
  ASSERT_TRUE(wait_held(2));
  EXPECT_EQ(slow.wait_for(0ms), std::future_status::timeout) << "answered before its command completed";
  // The handler holds the second request before the MHD thread suspends its connection: wait
  // (bounded) until both are suspended, so that the release below finds them so.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (stats.counter("http", "suspended").get() < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  EXPECT_GE(stats.counter("http", "suspended").get(), 2);
  release_all(mi::Value("released"));
  auto r = slow.get();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.body, R"({"jsonrpc":"2.0","result":"released","id":1})");
  EXPECT_EQ(slow2.get().body, R"("released")");
}

TEST_F(HttpInProcess, FinishAnswersWaitingRequests503) {
  start(2);
  auto o = opts();
  auto slow = std::async(std::launch::async, [&] { return client::http_post(o, "/mi", call("hold", 1)); });
  ASSERT_TRUE(wait_held(1));
  transport->stop_accepting();
  transport->finish(100ms);
  auto r = slow.get();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 503);
  // The command completes after the daemon stopped: ignored, no crash.
  release_all(mi::Value("too late"));
  // Nobody listens any more.
  o.timeout = 2s;
  EXPECT_FALSE(client::http_post(o, "/mi", call("fast", 2)).ok);
}

TEST_F(HttpInProcess, FinishWaitsForCommandsThatCompleteInTime) {
  start(2);
  auto o = opts();
  auto slow = std::async(std::launch::async, [&] { return client::http_post(o, "/mi", call("hold", 1)); });
  ASSERT_TRUE(wait_held(1));
  transport->stop_accepting();
  auto refused = o;
  refused.timeout = 2s;
  EXPECT_FALSE(client::http_post(refused, "/mi", call("fast", 2)).ok) << "still accepting";
  std::thread releaser([&] {
    std::this_thread::sleep_for(100ms);
    release_all(mi::Value("in time"));
  });
  transport->finish(20s);
  releaser.join();
  auto r = slow.get();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.body, R"({"jsonrpc":"2.0","result":"in time","id":1})");
}

TEST_F(HttpInProcess, ClientThatHangsUpWhileSuspendedHarmsNobody) {
  start(1);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(transport->port()));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  std::string body = call("hold", 1);
  std::string req = "POST /mi HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body;
  ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  ASSERT_TRUE(wait_held(1));
  ::close(fd);
  release_all(mi::Value("nobody listens"));
  auto r = client::http_post(opts(), "/mi", call("fast", 2));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
}

// Stopping while clients keep connecting, with the pool's threads at their connection limit.
// libmicrohttpd's MHD_quiesce_daemon() races there with its own worker threads (epoll) and
// aborts the process ("Failed to remove listen FD from epoll set"): stop_accepting() must not
// use it. Each round ends with a request that must fail: nothing is accepted any more.
TEST_F(HttpInProcess, StopAcceptingWhileClientsConnectAtTheLimit) {
  for (int round = 0; round < 30; ++round) {
    start(4, 1);  // 1 + the slack of 16, split among 4 threads: every thread reaches its limit
    const int port = transport->port();
    std::atomic<bool> stop{false};
    std::atomic<int> connected{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < 6; ++c) {
      clients.emplace_back([&] {
        while (!stop.load()) {
          int fd = ::socket(AF_INET, SOCK_STREAM, 0);
          sockaddr_in a{};
          a.sin_family = AF_INET;
          a.sin_port = htons(static_cast<uint16_t>(port));
          a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
          if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
            ::send(fd, "G", 1, MSG_NOSIGNAL);
            connected.fetch_add(1);
          }
          ::close(fd);
        }
      });
    }
    // Stop at a different moment each round: after 1 to 100 connections.
    const int target = 1 + (round % 10) * 11;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (connected.load() < target && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    EXPECT_GE(connected.load(), target) << "round " << round << ": the clients could not connect";
    transport->stop_accepting();
    auto o = opts();
    o.timeout = 2s;
    EXPECT_FALSE(client::http_post(o, "/mi", call("fast", 1)).ok) << "round " << round << ": still accepting";
    transport->finish(0ms);
    stop.store(true);
    for (auto& t : clients) t.join();
    transport.reset();
  }
}

TEST_F(HttpInProcess, StartErrors) {
  HttpConfig cfg;
  cfg.listen = "nonsense";
  EXPECT_THROW(HttpTransport(cfg, dispatcher).start(), HttpError);
  cfg.listen = "0.0.0.0:0";
  try {
    HttpTransport(cfg, dispatcher).start();
    FAIL() << "off-loopback without credentials started";
  } catch (const HttpError& e) {
    EXPECT_NE(std::string(e.what()).find("not a loopback address"), std::string::npos) << e.what();
  }
  cfg.tokens.push_back(HttpCredential{"t", "tok", mi::Role::read_only});
  HttpTransport ok(cfg, dispatcher);
  EXPECT_NO_THROW(ok.start());
  cfg.listen = "127.0.0.1:0";
  cfg.tls_cert = "/nonexistent/c.pem";
  cfg.tls_key = "/nonexistent/k.pem";
  try {
    HttpTransport(cfg, dispatcher).start();
    FAIL() << "started without readable TLS files";
  } catch (const HttpError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/c.pem"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sb::transports
