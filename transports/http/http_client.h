// http_client.h: a small HTTP/1.1 client for sbctl, the tests and the benchmarks.
//
// Purpose: POST/GET (any method) over plain TCP to host:port, with an optional Basic or Bearer
// Authorization header, a Content-Type, and one timeout for the whole exchange. Replies are read
// by Content-Length, chunked transfer coding, or up to the server's close. No TLS, no redirects,
// no mi/ core, no libmicrohttpd.
// HttpConnection keeps one connection open for many requests (keep-alive; it reconnects once
// when the server closed an idle connection); http_request() uses a fresh connection per call.
// Threading: an HttpConnection belongs to one thread at a time; http_request() is self-contained
// and may run on many threads at once. SIGPIPE is never raised (MSG_NOSIGNAL).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sb::client {

struct HttpClientOptions {
  std::string host = "127.0.0.1";  ///< IPv4/IPv6 literal or a name (resolved with getaddrinfo)
  int port = 8888;
  std::chrono::milliseconds timeout{120'000};  ///< connect + send + receive, per request
  std::string basic_user;      ///< non-empty: `Authorization: Basic base64(user:password)`
  std::string basic_password;
  std::string bearer_token;    ///< non-empty (and no basic_user): `Authorization: Bearer <token>`
};

struct HttpResponse {
  bool ok = false;    ///< a complete response was read (any status); see `error` otherwise
  int status = 0;     ///< e.g. 200
  std::vector<std::pair<std::string, std::string>> headers;  ///< in order, names as sent
  std::string body;
  std::string error;  ///< why there is no response (connect refused, timeout, closed, …)

  /// The first header of that name (case-insensitive), or "" when absent.
  std::string header(std::string_view name) const;
};

class HttpConnection {
 public:
  explicit HttpConnection(HttpClientOptions options);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  /// One request. `content_type` empty = no Content-Type header; a body is sent with
  /// Content-Length whenever it is non-empty or the method is POST/PUT/PATCH.
  HttpResponse request(std::string_view method, std::string_view target, std::string_view body = {},
                       std::string_view content_type = {},
                       const std::vector<std::pair<std::string, std::string>>& extra_headers = {});
  HttpResponse post(std::string_view target, std::string_view body,
                    std::string_view content_type = "application/json") {
    return request("POST", target, body, content_type);
  }
  HttpResponse get(std::string_view target) { return request("GET", target); }
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// One request on a fresh connection (`Connection: close`).
HttpResponse http_request(const HttpClientOptions& options, std::string_view method,
                          std::string_view target, std::string_view body = {},
                          std::string_view content_type = {},
                          const std::vector<std::pair<std::string, std::string>>& extra_headers = {});
inline HttpResponse http_post(const HttpClientOptions& options, std::string_view target,
                              std::string_view body, std::string_view content_type = "application/json") {
  return http_request(options, "POST", target, body, content_type);
}
inline HttpResponse http_get(const HttpClientOptions& options, std::string_view target) {
  return http_request(options, "GET", target);
}

/// Standard base64 with padding (for Basic credentials).
std::string base64_encode(std::string_view data);
/// Percent-encodes everything but unreserved characters (for `?params=` values).
std::string url_encode(std::string_view text);

}  // namespace sb::client
