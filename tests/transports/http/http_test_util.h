// http_test_util.h: helpers shared by the HTTP transport's loopback tests (tests/transports/http/):
// JSON-RPC posts with our client, curl (a client we did not write) with its status split off,
// and the wait for the HTTP server after the daemon's start.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon.h"
#include "support/wait.h"
#include "transports/http/http_client.h"

namespace sb::test {

using client::HttpClientOptions;
using client::HttpResponse;

inline constexpr const char* kUptime = R"({"jsonrpc":"2.0","method":"uptime","id":1})";

inline HttpClientOptions opts(const TestDaemon& d) {
  HttpClientOptions o;
  o.port = d.http_port();
  o.timeout = std::chrono::seconds(20);
  return o;
}

inline HttpResponse post_mi(const HttpClientOptions& o, const std::string& body) {
  return client::http_post(o, "/mi", body);
}

struct CurlResult {
  int code = -1;  ///< HTTP status; 0 when curl got no response
  std::string body;
};

inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

/// Runs `curl -s -o - -w '<marker>%{http_code}' <args>` and splits body and status.
inline CurlResult curl(const std::vector<std::string>& args) {
  std::string cmd = "curl -s -m 20 -o - -w '\\n@@CODE@@%{http_code}'";
  for (const auto& a : args) cmd += " " + shell_quote(a);
  cmd += " 2>/dev/null";
  CurlResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  auto pos = out.rfind("\n@@CODE@@");
  if (pos == std::string::npos) return r;
  r.code = std::atoi(out.c_str() + pos + 9);
  r.body = out.substr(0, pos);
  return r;
}

inline std::string url(const TestDaemon& d, const std::string& path) {
  return "http://127.0.0.1:" + std::to_string(d.http_port()) + path;
}

/// Retries a request until it gets a reply (the HTTP server starts just after the FIFO).
inline HttpResponse wait_for_http(const HttpClientOptions& o, const std::string& body = kUptime) {
  HttpResponse r;
  wait_until([&] { return (r = post_mi(o, body)).ok; }, std::chrono::seconds(5), std::chrono::milliseconds(25));
  return r;
}

}  // namespace sb::test
