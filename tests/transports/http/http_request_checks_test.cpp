// http_request_checks_test.cpp: the checks the HTTP host makes before a route runs, as pure
// functions — Host (DNS rebinding), Origin (cross-site writes), Authorization (Basic through
// GnuTLS's base64, Bearer), Content-Type, route patterns. (The loopback and security suites
// exercise the same checks through real clients.)
#include "transports/http/http_request_checks.h"

#include <gtest/gtest.h>

namespace sb::transports {
namespace {

TEST(HttpRequestChecks, HostMustBeAnAddressLocalhostOrAllowed) {
  EXPECT_EQ(foreign_host(nullptr, {}), "");  // HTTP/1.0 without Host
  EXPECT_EQ(foreign_host("127.0.0.1:8888", {}), "");
  EXPECT_EQ(foreign_host("[::1]:8888", {}), "");
  EXPECT_EQ(foreign_host("LocalHost", {}), "");
  EXPECT_NE(foreign_host("evil.example:8888", {}).find("http.allowed_hosts"), std::string::npos);
  EXPECT_EQ(foreign_host("Panel.Example:8888", {"panel.example"}), "");
}

TEST(HttpRequestChecks, OriginMustBeOurOwnOrAllowed) {
  EXPECT_EQ(foreign_origin(nullptr, "127.0.0.1:8888", false, {}), "");
  EXPECT_EQ(foreign_origin("http://127.0.0.1:8888", "127.0.0.1:8888", false, {}), "");
  EXPECT_NE(foreign_origin("https://127.0.0.1:8888", "127.0.0.1:8888", false, {}), "");
  EXPECT_EQ(foreign_origin("https://127.0.0.1:8888", "127.0.0.1:8888", true, {}), "");
  EXPECT_NE(foreign_origin("null", "127.0.0.1:8888", false, {}), "");
  EXPECT_EQ(foreign_origin("https://panel.example", "127.0.0.1:8888", false, {"https://panel.example"}), "");
}

TEST(HttpRequestChecks, BasicAndBearerCredentials) {
  HttpConfig cfg;
  cfg.basic = {{"alice", "wonder", mi::Role::admin}, {"bob", "builder", mi::Role::operator_}};
  cfg.tokens = {{"ci", "t0ken", mi::Role::read_only}};
  std::string user;
  // "bob:builder" and "alice:wonder" in base64.
  const HttpCredential* c = authenticate("Basic Ym9iOmJ1aWxkZXI=", cfg, &user);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->role, mi::Role::operator_);
  EXPECT_EQ(user, "bob");
  EXPECT_NE(authenticate("basic YWxpY2U6d29uZGVy", cfg, &user), nullptr);  // scheme is case-insensitive
  EXPECT_EQ(authenticate("Basic YWxpY2U6d3Jvbmc=", cfg, &user), nullptr);   // alice:wrong
  EXPECT_EQ(authenticate("Basic !!!not-base64", cfg, &user), nullptr);
  EXPECT_NE(authenticate("Basic Ym9iOmJ1aWxkZXI", cfg, &user), nullptr);        // padding optional
  EXPECT_EQ(authenticate("Basic Ym9iOmJ1aWxkZXI=-garbage", cfg, &user), nullptr);  // nothing after
  EXPECT_EQ(authenticate("Basic Ym9iOm J1aWxkZXI=", cfg, &user), nullptr);       // no blanks inside
  EXPECT_EQ(authenticate("Basic Ym9iOmJ1aWxkZXI==x", cfg, &user), nullptr);
  EXPECT_EQ(authenticate("Basic bm9jb2xvbg==", cfg, &user), nullptr);       // "nocolon"
  EXPECT_EQ(authenticate("Bearer t0ken", cfg, &user)->role, mi::Role::read_only);
  EXPECT_EQ(authenticate("Bearer t0ke", cfg, &user), nullptr);
  EXPECT_EQ(authenticate("Digest x", cfg, &user), nullptr);
  EXPECT_EQ(authenticate(nullptr, cfg, &user), nullptr);
}

TEST(HttpRequestChecks, MediaTypeIgnoresParametersAndCase) {
  EXPECT_EQ(media_type("Application/JSON; charset=utf-8"), "application/json");
  EXPECT_EQ(media_type(" text/xml "), "text/xml");
  EXPECT_EQ(media_type(nullptr), "");
}

TEST(HttpRequestChecks, RoutePatternsTakeOneSegmentPerParam) {
  std::map<std::string, std::string, std::less<>> params;
  EXPECT_TRUE(match_route("/json/{command}", "/json/uptime", &params));
  EXPECT_EQ(params["command"], "uptime");
  EXPECT_FALSE(match_route("/json/{command}", "/json/", nullptr));
  EXPECT_FALSE(match_route("/json/{command}", "/json/a/b", nullptr));
  EXPECT_TRUE(match_route("/metrics", "/metrics", nullptr));
  EXPECT_FALSE(match_route("/metrics", "/metricsx", nullptr));
}

TEST(HttpRequestChecks, ASegmentMaySplitIntoParamsAtLiteralCharacters) {
  std::map<std::string, std::string, std::less<>> params;
  const char* pattern = "/api/v1/subscribers/{username}@{domain}";
  ASSERT_TRUE(match_route(pattern, "/api/v1/subscribers/alice@example.com", &params));
  EXPECT_EQ(params["username"], "alice");
  EXPECT_EQ(params["domain"], "example.com");
  params.clear();
  // The user part stops at the first '@'; the domain takes the rest.
  ASSERT_TRUE(match_route(pattern, "/api/v1/subscribers/a@b@c", &params));
  EXPECT_EQ(params["username"], "a");
  EXPECT_EQ(params["domain"], "b@c");
  EXPECT_FALSE(match_route(pattern, "/api/v1/subscribers/alice", nullptr)) << "no '@'";
  EXPECT_FALSE(match_route(pattern, "/api/v1/subscribers/@example.com", nullptr)) << "empty user";
  EXPECT_FALSE(match_route(pattern, "/api/v1/subscribers/alice@", nullptr)) << "empty domain";
  EXPECT_FALSE(match_route(pattern, "/api/v1/subscribers/alice@x/y", nullptr)) << "one segment only";
  EXPECT_TRUE(match_route("/ports/{port}/block", "/ports/3/block", nullptr));
  EXPECT_FALSE(match_route("/ports/{port}/block", "/ports/3/unblock", nullptr));
}

}  // namespace
}  // namespace sb::transports
