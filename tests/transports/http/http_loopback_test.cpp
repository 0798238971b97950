// http_loopback_test.cpp: the HTTP transport against the real daemon (spec/wire.md §5), with
// our client (transports/http/http_client) and with curl, a client we did not write.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/daemon.h"
#include "support/sockets.h"
#include "support/temp_dir.h"
#include "support/wait.h"
#include "transports/http/http_client.h"
#include "transports/http/http_test_util.h"

namespace sb::test {
namespace {

using json = nlohmann::ordered_json;
using namespace std::chrono_literals;
/// A connected, idle TCP socket to 127.0.0.1:port (-1 on failure).
int tcp_connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// True when the server closed the socket (EOF or reset) within `wait`.
bool closed_by_server(int fd, std::chrono::milliseconds wait) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return false;
  char c;
  return ::recv(fd, &c, 1, 0) <= 0;
}

/// Waits (5 s at most) until the statistic equals `value`.
class HttpLoopback : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    daemon_ = new TestDaemon();
    wait_for_http(opts(*daemon_));
  }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }
  static TestDaemon* daemon_;
  const TestDaemon& d() { return *daemon_; }
  HttpClientOptions o() { return opts(*daemon_); }
};
TestDaemon* HttpLoopback::daemon_ = nullptr;

// ---- POST /mi ---------------------------------------------------------------------------------

TEST_F(HttpLoopback, PostMiUptimeIsCompactJsonRpc) {
  HttpResponse r = post_mi(o(), kUptime);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  json j = json::parse(r.body);
  EXPECT_EQ(j.dump(), r.body) << "compact, key order kept";
  ASSERT_EQ(j.size(), 3u);
  auto it = j.begin();
  EXPECT_EQ(it.key(), "jsonrpc");
  EXPECT_EQ((++it).key(), "result");
  EXPECT_EQ((++it).key(), "id");
  EXPECT_EQ(j["id"], 1);
  EXPECT_TRUE(j["result"].contains("Up time")) << r.body;
}

TEST_F(HttpLoopback, PostMiUptimeWithCurl) {
  CurlResult c = curl({"-H", "Content-Type: application/json", "--data-binary", kUptime, url(d(), "/mi")});
  ASSERT_EQ(c.code, 200) << c.body;
  EXPECT_EQ(c.body.rfind(R"({"jsonrpc":"2.0","result":{"Now":)", 0), 0u) << c.body;
  EXPECT_EQ(c.body.substr(c.body.size() - 8), R"(,"id":1})") << c.body;
}

TEST_F(HttpLoopback, ContentTypeParametersAreAccepted) {
  HttpResponse r = client::http_post(o(), "/mi", kUptime, "application/json; charset=utf-8");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  r = client::http_post(o(), "/mi", kUptime, "Application/JSON");
  EXPECT_EQ(r.status, 200);
}

TEST_F(HttpLoopback, Batch) {
  HttpResponse r = post_mi(o(), R"([{"jsonrpc":"2.0","method":"uptime","id":1},)"
                                R"({"jsonrpc":"2.0","method":"nosuch","id":"b"},)"
                                R"({"jsonrpc":"2.0","method":"version"}])");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  json j = json::parse(r.body);
  ASSERT_TRUE(j.is_array()) << r.body;
  ASSERT_EQ(j.size(), 2u) << "the notification is not answered: " << r.body;
  std::set<std::string> ids;
  for (const auto& item : j) ids.insert(item["id"].dump());
  EXPECT_EQ(ids, (std::set<std::string>{"1", "\"b\""}));
  CurlResult c = curl({"-H", "Content-Type: application/json", "--data-binary",
                       R"([{"jsonrpc":"2.0","method":"uptime","id":1},{"jsonrpc":"2.0","method":"version","id":2}])",
                       url(d(), "/mi")});
  ASSERT_EQ(c.code, 200);
  EXPECT_EQ(json::parse(c.body).size(), 2u) << c.body;
}

TEST_F(HttpLoopback, NotificationIs202Empty) {
  HttpResponse r = post_mi(o(), R"({"jsonrpc":"2.0","method":"uptime"})");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.body, "");
  r = post_mi(o(), R"([{"jsonrpc":"2.0","method":"uptime"},{"jsonrpc":"2.0","method":"version"}])");
  EXPECT_EQ(r.status, 202) << "an all-notification batch";
  EXPECT_EQ(r.body, "");
  CurlResult c = curl({"-H", "Content-Type: application/json", "--data-binary",
                       R"({"jsonrpc":"2.0","method":"uptime"})", url(d(), "/mi")});
  EXPECT_EQ(c.code, 202);
  EXPECT_EQ(c.body, "");
}

TEST_F(HttpLoopback, UnknownMethodIsJsonRpcErrorWith200) {
  HttpResponse r = post_mi(o(), R"({"jsonrpc":"2.0","method":"nosuch","id":0})");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":0})");
}

TEST_F(HttpLoopback, ParseErrorHasNullId) {
  HttpResponse r = post_mi(o(), R"({"jsonrpc":"2.0","method":)");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  json j = json::parse(r.body);
  EXPECT_EQ(j["error"]["code"], -32700) << r.body;
  EXPECT_TRUE(j.contains("id") && j["id"].is_null()) << r.body;
  CurlResult c = curl({"-H", "Content-Type: application/json", "--data-binary", "nonsense", url(d(), "/mi")});
  EXPECT_EQ(c.code, 200);
  EXPECT_EQ(json::parse(c.body)["error"]["code"], -32700) << c.body;
}

TEST_F(HttpLoopback, EmptyBodyIs400) {
  HttpResponse r = post_mi(o(), "");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "");
  CurlResult c = curl({"-X", "POST", "-H", "Content-Type: application/json", url(d(), "/mi")});
  EXPECT_EQ(c.code, 400);
}

TEST_F(HttpLoopback, OtherMethodsAre405WithAllow) {
  HttpResponse r = client::http_get(o(), "/mi");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "POST");
  EXPECT_EQ(client::http_request(o(), "PUT", "/mi", kUptime, "application/json").status, 405);
  EXPECT_EQ(curl({url(d(), "/mi")}).code, 405);
  EXPECT_EQ(curl({"-X", "DELETE", url(d(), "/RPC2")}).code, 405);
  EXPECT_EQ(curl({"-X", "POST", "-H", "Content-Type: application/json", "-d", "{}", url(d(), "/json/uptime")}).code, 200);
  EXPECT_EQ(curl({"-X", "PUT", url(d(), "/json/uptime")}).code, 405);
  // GET never mutates: a state-changing command over GET is 405, Allow: POST.
  r = client::http_get(o(), "/json/log_level?params=info");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "POST");
  EXPECT_NE(r.body.find("POST"), std::string::npos) << r.body;
  EXPECT_EQ(curl({"-X", "POST", url(d(), "/json/log_level?params=info")}).code, 200);
  EXPECT_EQ(curl({"-X", "POST", url(d(), "/metrics")}).code, 405);
}

TEST_F(HttpLoopback, WrongContentTypeIs415) {
  HttpResponse r = client::http_post(o(), "/mi", kUptime, "text/plain");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(client::http_post(o(), "/mi", kUptime, "").status, 415) << "no Content-Type";
  EXPECT_EQ(client::http_post(o(), "/mi", kUptime, "application/jsonx").status, 415);
  EXPECT_EQ(curl({"-H", "Content-Type: text/xml", "--data-binary", kUptime, url(d(), "/mi")}).code, 415);
  EXPECT_EQ(client::http_post(o(), "/RPC2", "<methodCall/>", "application/json").status, 415);
}

TEST_F(HttpLoopback, UnknownPathIs404) {
  HttpResponse r = client::http_get(o(), "/nosuch");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 404);
  EXPECT_FALSE(r.body.empty());
  EXPECT_EQ(curl({url(d(), "/json")}).code, 404);
}

TEST_F(HttpLoopback, KeepAliveServesManyRequests) {
  client::HttpConnection c(o());
  for (int i = 0; i < 20; ++i) {
    HttpResponse r = c.post("/mi", R"({"jsonrpc":"2.0","method":"version","id":)" + std::to_string(i) + "}");
    ASSERT_TRUE(r.ok) << r.error;
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(json::parse(r.body)["id"], i);
    HttpResponse g = c.get("/json/uptime");
    ASSERT_EQ(g.status, 200);
  }
}

// ---- POST /RPC2 (the codec is tested elsewhere; here: routing, framing) -------------------------

TEST_F(HttpLoopback, Rpc2IsRoutedToXmlRpc) {
  std::string call = "<?xml version=\"1.0\"?><methodCall><methodName>uptime</methodName></methodCall>";
  HttpResponse r = client::http_post(o(), "/RPC2", call, "text/xml");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type").rfind("text/xml", 0), 0u);
  EXPECT_NE(r.body.find("<methodResponse>"), std::string::npos) << r.body;
  CurlResult c = curl({"-H", "Content-Type: text/xml", "--data-binary", call, url(d(), "/RPC2")});
  EXPECT_EQ(c.code, 200);
  EXPECT_NE(c.body.find("<methodResponse>"), std::string::npos) << c.body;
  EXPECT_EQ(client::http_post(o(), "/RPC2", "", "text/xml").status, 400);
}

// ---- GET /json/<cmd> (OpenSIPS 2 mi_json) -----------------------------------------------------

TEST_F(HttpLoopback, JsonUptime) {
  HttpResponse r = client::http_get(o(), "/json/uptime");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  json j = json::parse(r.body);
  EXPECT_TRUE(j.contains("Up time")) << r.body;
  EXPECT_EQ(j.dump(), r.body);
  CurlResult c = curl({url(d(), "/json/uptime")});
  EXPECT_EQ(c.code, 200);
  EXPECT_TRUE(json::parse(c.body).contains("Up since")) << c.body;
}

TEST_F(HttpLoopback, JsonParamsAreSplitOnComma) {
  HttpResponse r = client::http_get(o(), "/json/get_statistics?params=mi:calls,fifo:");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  json j = json::parse(r.body);
  EXPECT_TRUE(j.contains("mi:calls")) << r.body;
  EXPECT_TRUE(j.contains("fifo:requests")) << r.body;
  // URL-encoded, as a browser or mi_json client sends it.
  CurlResult c = curl({url(d(), "/json/get_statistics?params=mi%3Acalls%2Cfifo%3A")});
  ASSERT_EQ(c.code, 200);
  json k = json::parse(c.body);
  EXPECT_TRUE(k.contains("mi:calls") && k.contains("fifo:requests")) << c.body;
  // print echoes one param: URL decoding of spaces and reserved characters.
  r = client::http_get(o(), "/json/print?params=" + client::url_encode("a b&c=d"));
  EXPECT_EQ(r.body, R"("a b&c=d")");
}

TEST_F(HttpLoopback, JsonErrorsAreErrorObjectsWith200) {
  HttpResponse r = client::http_get(o(), "/json/nosuch");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"error":{"code":500,"message":"command 'nosuch' not available"}})");
  r = client::http_get(o(), "/json/print");  // missing param
  json j = json::parse(r.body);
  EXPECT_EQ(j["error"]["code"], 400) << r.body;
  // Control characters in the echoed name still give valid JSON.
  r = client::http_get(o(), "/json/no%0Asuch%01%22%5C");
  ASSERT_EQ(r.status, 200);
  j = json::parse(r.body);  // throws on invalid JSON
  EXPECT_EQ(j["error"]["message"], "command 'no\nsuch\x01\"\\' not available") << r.body;
  CurlResult c = curl({url(d(), "/json/nosuch")});
  EXPECT_EQ(c.code, 200);
  EXPECT_EQ(json::parse(c.body)["error"]["code"], 500);
}

// ---- GET /metrics -----------------------------------------------------------------------------

// Checks the Prometheus text format: every non-comment line is `name{labels} value`, TYPE comes
// before a family's samples, a family's samples are contiguous.
void expect_prometheus_text(const std::string& text) {
  static const std::regex sample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*\})? (-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|NaN|[+-]Inf)$)");
  static const std::regex type(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)");
  static const std::regex help(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .*$)");
  ASSERT_FALSE(text.empty());
  ASSERT_EQ(text.back(), '\n');
  std::istringstream in(text);
  std::string line, current;
  std::set<std::string> typed, finished;
  int samples = 0;
  while (std::getline(in, line)) {
    std::smatch m;
    if (line.rfind("#", 0) == 0) {
      if (std::regex_match(line, m, type)) {
        EXPECT_TRUE(typed.insert(m[1]).second) << "TYPE twice: " << line;
      } else {
        EXPECT_TRUE(std::regex_match(line, m, help)) << "bad comment: " << line;
      }
      continue;
    }
    ASSERT_TRUE(std::regex_match(line, m, sample)) << "bad sample line: '" << line << "'";
    std::string name = m[1];
    EXPECT_TRUE(typed.count(name)) << "sample before its TYPE: " << line;
    if (name != current) {
      EXPECT_FALSE(finished.count(name)) << "family not contiguous: " << name;
      if (!current.empty()) finished.insert(current);
      current = name;
    }
    ++samples;
  }
  EXPECT_GT(samples, 10);
}

TEST_F(HttpLoopback, MetricsArePrometheusText) {
  ASSERT_EQ(post_mi(o(), kUptime).status, 200);
  HttpResponse r = client::http_get(o(), "/metrics");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("\nswitchboard_mi_calls "), std::string::npos);
  EXPECT_NE(r.body.find("# TYPE switchboard_mi_calls counter\n"), std::string::npos);
  EXPECT_NE(r.body.find("# TYPE switchboard_mi_in_flight gauge\n"), std::string::npos);
  EXPECT_NE(r.body.find("\nswitchboard_http_requests "), std::string::npos);
  EXPECT_NE(r.body.find("\nswitchboard_fifo_requests "), std::string::npos);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.body, m, std::regex(R"(\nswitchboard_mi_command_calls_total\{command="uptime"\} ([0-9]+)\n)")))
      << r.body;
  EXPECT_GE(std::stoll(m[1]), 1);
  EXPECT_NE(r.body.find("switchboard_mi_command_latency_seconds_total{command=\"uptime\"} "), std::string::npos);
  expect_prometheus_text(r.body);
  CurlResult c = curl({url(d(), "/metrics")});
  EXPECT_EQ(c.code, 200);
  expect_prometheus_text(c.body);
  EXPECT_EQ(client::http_request(o(), "HEAD", "/metrics").status, 200);
}

// ---- limits -----------------------------------------------------------------------------------

TEST(HttpLimits, BodyOverMaxBodyIs413AndServingGoesOn) {
  TestDaemon d({"http.max_body=2048"});
  HttpClientOptions o = opts(d);
  ASSERT_EQ(wait_for_http(o).status, 200);
  // Just under the limit: a valid request padded with spaces.
  std::string fits = R"({"jsonrpc":"2.0","method":"uptime","id":1})";
  fits += std::string(2048 - fits.size(), ' ');
  HttpResponse r = post_mi(o, fits);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  // Over it, announced by Content-Length.
  std::string big = R"({"jsonrpc":"2.0","method":"uptime","id":1})" + std::string(100'000, ' ');
  r = post_mi(o, big);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 413);
  CurlResult c = curl({"-H", "Content-Type: application/json", "--data-binary", big, url(d, "/mi")});
  EXPECT_EQ(c.code, 413);
  // Over it, chunked (no Content-Length): read and dropped, then 413.
  c = curl({"-H", "Content-Type: application/json", "-H", "Transfer-Encoding: chunked", "--data-binary",
            std::string(5000, ' '), url(d, "/mi")});
  EXPECT_EQ(c.code, 413);
  c = curl({"-H", "Content-Type: application/json", "-H", "Transfer-Encoding: chunked", "--data-binary",
            kUptime, url(d, "/mi")});
  EXPECT_EQ(c.code, 200);
  // The daemon still serves.
  EXPECT_EQ(post_mi(o, kUptime).status, 200);
  EXPECT_GE(d.stat("http:too_large"), 3);
}

TEST(HttpLimits, ConnectionLimitEvictsIdleConnectionsFirst) {
  // Slowloris defence: at the limit, a newcomer closes the oldest connection that has not sent a
  // whole request, so it is served at once.
  TestDaemon d({"http.connection_limit=2"});
  HttpClientOptions o = opts(d);
  o.timeout = 10s;
  ASSERT_EQ(wait_for_http(o).status, 200);
  // The probe's connection may still be finishing (being answered: not evictable): wait until
  // it has gone, so the two idle connections below are the only ones.
  ASSERT_TRUE(wait_until([&] { return d.stat("http:connections") == 0; })) << d.stat("http:connections");
  int a = tcp_connect(d.http_port());
  ASSERT_GE(wait_stat(d, "http:connections", 1), 1);  // a is older than b
  int b = tcp_connect(d.http_port());
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  ASSERT_GE(wait_stat(d, "http:connections", 2), 2);
  HttpResponse r = post_mi(o, kUptime);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_GE(d.stat("http:connections_evicted"), 1);
  EXPECT_TRUE(closed_by_server(a, 8s)) << "the oldest idle connection was not closed";
  ::close(a);
  ::close(b);
}

TEST(HttpLimits, ConnectionLimitRefusesWhenEveryConnectionIsBusy) {
  // Two connections each wait for a slow command: nothing can be evicted, the third gets 503.
  TestDaemon d({"http.connection_limit=2", std::string("modules.path=") + SB_MODULE_DIR,
                "modules.load=example"});
  HttpClientOptions o = opts(d);
  o.timeout = 10s;
  ASSERT_EQ(wait_for_http(o).status, 200);
  ASSERT_TRUE(wait_until([&] { return d.stat("http:connections") == 0; })) << "the probe's connection is gone";
  const std::string slow = R"({"jsonrpc":"2.0","method":"hello_async","params":{"delay_ms":4000},"id":1})";
  std::vector<std::thread> busy;
  for (int i = 0; i < 2; ++i) {
    busy.emplace_back([&] { post_mi(o, slow); });
    // one at a time: the second must not evict the first before its request is read
    long long want = i + 1;
    if (wait_stat(d, "http:suspended", want) < want) break;
  }
  const long long suspended = d.stat("http:suspended");
  if (suspended < 2) {
    for (auto& t : busy) t.join();
    FAIL() << "only " << suspended << " slow requests suspended; evicted "
           << d.stat("http:connections_evicted") << ", refused " << d.stat("http:connections_refused");
  }
  CurlResult c = curl({"-H", "Content-Type: application/json", "--data-binary", kUptime, url(d, "/mi")});
  EXPECT_NE(c.code, 200);
  EXPECT_GE(d.stat("http:connections_refused"), 1);
  for (auto& t : busy) t.join();
  bool served = false;
  for (int i = 0; i < 200 && !served; ++i) {
    served = post_mi(o, kUptime).status == 200;
    if (!served) std::this_thread::sleep_for(25ms);
  }
  EXPECT_TRUE(served) << "requests work again after the slow ones completed";
}

TEST(HttpLimits, IdleConnectionTimesOut) {
  TestDaemon d({"http.connection_timeout_s=1"});
  HttpClientOptions o = opts(d);
  ASSERT_EQ(wait_for_http(o).status, 200);
  int idle = tcp_connect(d.http_port());
  ASSERT_GE(idle, 0);
  int partial = tcp_connect(d.http_port());
  ASSERT_GE(partial, 0);
  std::string head = "POST /mi HTTP/1.1\r\nHost: x\r\n";  // headers never finished
  ASSERT_EQ(::send(partial, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  EXPECT_TRUE(closed_by_server(idle, 8s)) << "idle connection not closed";
  EXPECT_TRUE(closed_by_server(partial, 8s)) << "slow client not closed";
  ::close(idle);
  ::close(partial);
  EXPECT_EQ(post_mi(o, kUptime).status, 200);
}

// ---- concurrency: inline commands answer at once; the others suspend their connection while
// their command runs on a worker (every 4th request here: log_level, which is not inline) ------

TEST(HttpConcurrency, ManyClientsGetTheirOwnReplies) {
  TestDaemon d;
  HttpClientOptions o = opts(d);
  ASSERT_EQ(wait_for_http(o).status, 200);
  constexpr int kClients = 32, kEach = 50;
  std::atomic<int> good{0};
  std::vector<std::string> failures(kClients);
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      client::HttpConnection keep(o);
      for (int i = 0; i < kEach; ++i) {
        int id = t * 1000 + i;
        bool on_worker = i % 4 == 3;
        std::string body = on_worker
            ? R"({"jsonrpc":"2.0","method":"log_level","params":["info"],"id":)" + std::to_string(id) + "}"
            : R"({"jsonrpc":"2.0","method":"print","params":["c)" + std::to_string(id) +
                  R"("],"id":)" + std::to_string(id) + "}";
        // Alternate keep-alive and fresh connections.
        HttpResponse r = (i % 2) ? keep.post("/mi", body) : post_mi(o, body);
        std::string want = on_worker
            ? R"({"jsonrpc":"2.0","result":{"New global log level":"info"},"id":)" + std::to_string(id) + "}"
            : R"({"jsonrpc":"2.0","result":"c)" + std::to_string(id) + R"(","id":)" +
                  std::to_string(id) + "}";
        if (r.ok && r.status == 200 && r.body == want) {
          ++good;
        } else if (failures[t].empty()) {
          failures[t] = r.ok ? std::to_string(r.status) + " " + r.body : r.error;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kClients; ++t) EXPECT_EQ(failures[t], "") << "client " << t;
  EXPECT_EQ(good.load(), kClients * kEach);
  EXPECT_GT(d.stat("http:suspended"), 0) << "the suspend/resume path was not exercised";
}

// ---- auth -------------------------------------------------------------------------------------

}  // namespace
}  // namespace sb::test
