// http_auth_startup_test.cpp: the HTTP transport's credentials (Basic users and Bearer tokens
// with their roles), its start-up refusals (off loopback without credentials, a port in use)
// and TLS, against the real daemon with our client and with curl.
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/daemon.h"
#include "support/sockets.h"
#include "support/temp_dir.h"
#include "support/wait.h"
#include "transports/http/http_test_util.h"

namespace sb::test {
namespace {

using json = nlohmann::ordered_json;
using namespace std::chrono_literals;

class HttpAuth : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    daemon_ = new TestDaemon({"http.basic_auth=alice:secret:admin,bob:pw:read_only",
                              "http.tokens=tok123:operator"});
    HttpClientOptions o = opts(*daemon_);
    o.bearer_token = "tok123";
    wait_for_http(o);
  }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }
  static TestDaemon* daemon_;
  const TestDaemon& d() { return *daemon_; }
  HttpClientOptions as(const std::string& user, const std::string& pw) {
    HttpClientOptions o = opts(*daemon_);
    o.basic_user = user;
    o.basic_password = pw;
    return o;
  }
  HttpClientOptions token(const std::string& t) {
    HttpClientOptions o = opts(*daemon_);
    o.bearer_token = t;
    return o;
  }
  static std::string call(const std::string& method, const std::string& params = "") {
    return R"({"jsonrpc":"2.0","method":")" + method + "\"" +
           (params.empty() ? "" : ",\"params\":" + params) + R"(,"id":1})";
  }
};
TestDaemon* HttpAuth::daemon_ = nullptr;

TEST_F(HttpAuth, MissingOrWrongCredentialsAre401) {
  HttpResponse r = post_mi(opts(d()), kUptime);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 401);
  std::string www;
  for (const auto& [k, v] : r.headers)
    if (k == "WWW-Authenticate") www += v + ";";
  EXPECT_NE(www.find("Basic realm=\"switchboard\""), std::string::npos) << www;
  EXPECT_NE(www.find("Bearer"), std::string::npos) << www;
  EXPECT_EQ(post_mi(as("bob", "wrong"), kUptime).status, 401);
  EXPECT_EQ(post_mi(as("bob", "pwx"), kUptime).status, 401);
  EXPECT_EQ(post_mi(as("mallory", "pw"), kUptime).status, 401);
  EXPECT_EQ(post_mi(as("bob", ""), kUptime).status, 401);
  EXPECT_EQ(post_mi(token("tok12"), kUptime).status, 401);
  EXPECT_EQ(post_mi(token("secret"), kUptime).status, 401);
  // Every route needs credentials.
  EXPECT_EQ(client::http_get(opts(d()), "/metrics").status, 401);
  EXPECT_EQ(client::http_get(opts(d()), "/json/uptime").status, 401);
  EXPECT_EQ(client::http_post(opts(d()), "/RPC2", "<methodCall/>", "text/xml").status, 401);
  EXPECT_EQ(curl({url(d(), "/metrics")}).code, 401);
  EXPECT_EQ(curl({"-u", "bob:nope", url(d(), "/json/uptime")}).code, 401);
  EXPECT_GE(d().stat("http:auth_failures"), 5);
}

TEST_F(HttpAuth, ReadOnlyUserRunsOnlyReadOnlyCommands) {
  HttpResponse r = post_mi(as("bob", "pw"), call("uptime"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json::parse(r.body).contains("result")) << r.body;
  r = post_mi(as("bob", "pw"), call("reset_statistics", R"([["all"]])"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["error"]["code"], 403) << r.body;
  r = post_mi(as("bob", "pw"), call("log_level", R"(["debug"])"));
  EXPECT_EQ(json::parse(r.body)["error"]["code"], 403) << r.body;
  CurlResult c = curl({"-u", "bob:pw", url(d(), "/json/uptime")});
  EXPECT_EQ(c.code, 200);
  EXPECT_TRUE(json::parse(c.body).contains("Up time")) << c.body;
  EXPECT_EQ(curl({"-u", "bob:pw", url(d(), "/metrics")}).code, 200);
  c = curl({"-u", "bob:pw", "-X", "POST", url(d(), "/json/log_level?params=debug")});
  EXPECT_EQ(json::parse(c.body)["error"]["code"], 403) << c.body;
}

TEST_F(HttpAuth, OperatorTokenCannotRunAdminCommands) {
  HttpResponse r = post_mi(token("tok123"), call("uptime"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json::parse(r.body).contains("result")) << r.body;
  r = post_mi(token("tok123"), call("kill"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["error"]["code"], 403) << r.body;
  CurlResult c = curl({"-H", "Authorization: Bearer tok123", "-H", "Content-Type: application/json",
                       "--data-binary", call("version"), url(d(), "/mi")});
  EXPECT_EQ(c.code, 200);
  EXPECT_TRUE(json::parse(c.body).contains("result")) << c.body;
  EXPECT_EQ(d().text("uptime").rfind("200 OK", 0), 0u) << "the daemon is still alive";
}

TEST_F(HttpAuth, AdminUserRunsAdminCommands) {
  HttpResponse r = post_mi(as("alice", "secret"), call("log_level", R"(["info"])"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json::parse(r.body).contains("result")) << r.body;
  CurlResult c = curl({"-u", "alice:secret", "-H", "Content-Type: application/json", "--data-binary",
                       call("reset_statistics", R"([["http:too_large"]])"), url(d(), "/mi")});
  EXPECT_EQ(c.code, 200);
  EXPECT_TRUE(json::parse(c.body).contains("result")) << c.body;
}

// ---- startup checks ---------------------------------------------------------------------------

std::vector<std::string> base_args() {
  return {"-c", std::string(SB_SOURCE_DIR) + "/conf/switchboard.conf", "--foreground",
          "--set", "fifo.path=", "--set", "datagram.unix=", "--set", "datagram.udp="};
}

TEST(HttpStartup, OffLoopbackWithoutCredentialsIsRefused) {
  auto args = base_args();
  args.push_back("--set");
  args.push_back("http.listen=0.0.0.0:0");
  auto [rc, err] = run_switchboard(args);
  EXPECT_EQ(rc, 1) << err;
  EXPECT_NE(err.find("not a loopback address"), std::string::npos) << err;
  EXPECT_NE(err.find("http.basic_auth"), std::string::npos) << err;
}

TEST(HttpStartup, OffLoopbackWithCredentialsStarts) {
  TestDaemon d({"http.listen=0.0.0.0:0", "http.tokens=t0ken:read_only"});
  ASSERT_GT(d.http_port(), 0) << d.log();
  HttpClientOptions o = opts(d);
  o.port = d.http_port();
  o.bearer_token = "t0ken";
  HttpResponse r = wait_for_http(o);
  ASSERT_TRUE(r.ok) << r.error << "\n" << d.log();
  EXPECT_EQ(r.status, 200);
  o.bearer_token.clear();
  EXPECT_EQ(post_mi(o, kUptime).status, 401);
}

TEST(HttpStartup, PortInUseIsAClearError) {
  int port = 0;
  int fd = bind_loopback(SOCK_STREAM, &port);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  auto args = base_args();
  args.push_back("--set");
  args.push_back("http.listen=127.0.0.1:" + std::to_string(port));
  auto [rc, err] = run_switchboard(args);
  ::close(fd);
  EXPECT_EQ(rc, 1) << err;
  EXPECT_NE(err.find("Address already in use"), std::string::npos) << err;
}

// ---- TLS --------------------------------------------------------------------------------------

TEST(HttpTls, ServesHttpsWithTheConfiguredCertificate) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::string key = dir.path() + "/k.pem", cert = dir.path() + "/c.pem";
  std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -keyout '" + key + "' -out '" + cert +
                    "' -days 1 -subj /CN=localhost >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl failed";
  TestDaemon d({"http.tls_cert=" + cert, "http.tls_key=" + key});
  std::string https = "https://127.0.0.1:" + std::to_string(d.http_port()) + "/mi";
  CurlResult c;
  wait_until([&] {
    c = curl({"-k", "-H", "Content-Type: application/json", "--data-binary", kUptime, https});
    return c.code == 200;
  }, 5s, 50ms);
  ASSERT_EQ(c.code, 200) << c.body << "\n" << d.log();
  EXPECT_TRUE(json::parse(c.body)["result"].contains("Up time")) << c.body;
  // Verified against the self-signed certificate itself.
  c = curl({"--cacert", cert, "-H", "Content-Type: application/json", "--data-binary", kUptime,
            "https://localhost:" + std::to_string(d.http_port()) + "/mi"});
  EXPECT_EQ(c.code, 200) << c.body;
  // Plain HTTP to the TLS port gets no HTTP reply.
  HttpClientOptions o = opts(d);
  o.timeout = 5s;
  HttpResponse r = post_mi(o, kUptime);
  EXPECT_FALSE(r.ok && r.status == 200) << r.body;
  EXPECT_NE(curl({"-H", "Content-Type: application/json", "--data-binary", kUptime, url(d, "/mi")}).code, 200);
}

TEST(HttpTls, UnreadableCertificateIsAClearError) {
  auto args = base_args();
  for (std::string s : std::vector<std::string>{"http.tls_cert=/nonexistent/cert.pem", "http.tls_key=/nonexistent/key.pem",
                        "http.listen=127.0.0.1:0"}) {
    args.push_back("--set");
    args.push_back(s);
  }
  auto [rc, err] = run_switchboard(args);
  EXPECT_EQ(rc, 1) << err;
  EXPECT_NE(err.find("/nonexistent/cert.pem"), std::string::npos) << err;
}

}  // namespace
}  // namespace sb::test
