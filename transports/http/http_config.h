// http_config.h: the HTTP host's settings ([http] keys, read by http_component.cpp) and errors.
// Threading: plain data, immutable once the host starts.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "mi/command.h"

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
  /// The only token is the admin token the daemon generated (http.admin_token, no credentials
  /// configured): requests without credentials keep anonymous_role.
  bool anonymous_with_token = false;
  mi::Role anonymous_role = mi::Role::read_only;  ///< no credentials configured: the role of a request without any
  bool json_get_writes = false;           ///< GET /json/<cmd> may run state-changing commands
  std::vector<std::string> allowed_hosts;    ///< Host names accepted besides IPs and localhost
  std::vector<std::string> allowed_origins;  ///< cross-origin POSTs accepted from these Origins
  std::size_t max_reply = 16u << 20;      ///< largest reply body, bytes (an error beyond)
  std::string web_dir = "web";            ///< npm packages (the Redoc bundle of /api/v1/docs)
  unsigned per_ip_limit = 64;             ///< concurrent connections per client IP
  std::chrono::seconds header_timeout{10};  ///< whole request (head + body) deadline; idle too
  unsigned auth_fail_limit = 10;          ///< failed logins per IP per window before 429
  std::chrono::seconds auth_fail_window{60};
  std::size_t events_max_streams = 16;      ///< concurrent GET /api/v1/events WebSockets
  std::size_t events_queue = 1000;          ///< messages a stream may have waiting (4008 beyond)
  std::chrono::seconds events_ping{20};     ///< idle streams are pinged this often
  std::chrono::seconds events_ticket_ttl{30};  ///< POST /api/v1/events/tickets: validity
};

class HttpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace sb::transports
