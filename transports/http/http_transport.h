// http_transport.h: the HTTP management transport on libmicrohttpd (spec/wire.md §5):
//   POST /mi          JSON-RPC 2.0 (single, batch, notifications → 202)
//   GET  /json/<cmd>  OpenSIPS 2 mi_json compatibility (`?params=a,b`)
//   POST /RPC2        XML-RPC (xmlrpc-c as the codec), system.* introspection and multicall
//   GET  /metrics     Prometheus text exposition of every statistic
// (later issues add /api/v1 REST, the web panel and /openapi.yaml on the same daemon).
//
// Purpose: framing, auth and codecs only — requests go to the Dispatcher, replies are rendered
// by the shared renderers. Auth: HTTP Basic and Bearer tokens with a role per credential; with
// no credentials configured, only a loopback listen address is allowed. TLS when cert and key
// are configured. Limits are answered with a status (413, 415, 405, timeouts, connection limit).
// Threading: libmicrohttpd's epoll thread pool (`threads`); a request waits for its command's
// completion without blocking other connections' threads beyond its own.
#pragma once

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "mi/dispatcher.h"

namespace sb::transports {

struct HttpCredential {
  std::string name;    ///< Basic: the user name; Bearer: a label for logs
  std::string secret;  ///< Basic: the password; Bearer: the token
  mi::Role role = mi::Role::read_only;
};

struct HttpConfig {
  std::string listen = "127.0.0.1:8888";  ///< host:port (IPv4, or [IPv6]:port); empty: no HTTP
  unsigned threads = 4;                   ///< libmicrohttpd thread pool size
  std::size_t max_body = 1 << 20;         ///< request body limit, bytes (413 beyond)
  unsigned connection_timeout_s = 30;     ///< idle/slow connections are closed after this
  unsigned connection_limit = 256;        ///< concurrent connections (503 beyond)
  std::string tls_cert;                   ///< PEM file; TLS when both cert and key are set
  std::string tls_key;                    ///< PEM file
  std::vector<HttpCredential> basic;      ///< HTTP Basic users
  std::vector<HttpCredential> tokens;     ///< Bearer tokens
  mi::Role anonymous_role = mi::Role::read_only;  ///< no credentials configured: every request's role
  bool json_get_writes = false;           ///< GET /json/<cmd> may run state-changing commands
  std::vector<std::string> allowed_hosts;    ///< Host names accepted besides IPs and localhost
  std::vector<std::string> allowed_origins;  ///< cross-origin POSTs accepted from these Origins
  std::size_t max_reply = 16u << 20;      ///< largest reply body, bytes (an error beyond)
  unsigned per_ip_limit = 64;             ///< concurrent connections per client IP
  std::chrono::seconds header_timeout{10};  ///< whole request (head + body) deadline; idle too
  unsigned auth_fail_limit = 10;          ///< failed logins per IP per window before 429
  std::chrono::seconds auth_fail_window{60};
};

class HttpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class HttpTransport {
 public:
  HttpTransport(HttpConfig config, mi::Dispatcher& dispatcher);
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  /// Starts the daemon; throws HttpError (bad address, off-loopback without credentials,
  /// unreadable TLS files, port in use, …).
  void start();
  /// Stops accepting connections; requests in flight still get their replies.
  void stop_accepting();
  /// Waits up to `deadline` for in-flight requests, then stops the daemon.
  void finish(std::chrono::milliseconds deadline);
  /// The bound TCP port (useful with port 0); 0 when not started.
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sb::transports
