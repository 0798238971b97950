// http_host.h: the one HTTP server of the daemon (libmicrohttpd) and its route table.
//
// Purpose: the host owns what every HTTP endpoint shares — listening, TLS, connection limits
// and deadlines (connection_guard.h), authentication (Basic, Bearer) with per-IP throttling,
// the Host-header (DNS rebinding) and Origin (cross-site) checks, the request-body limit, and
// the suspend/resume bridge that lets a reply come from any thread without an MHD thread
// waiting. An endpoint is a route: add_route({methods, "/path/{param}", policy…, handler}).
// The host enforces, once, for every route: 404 for no route, 405 + Allow for a method the
// route does not take, 403 for a foreign Host or a cross-origin unsafe method, 415 for a body
// of the wrong media type, 413 beyond http.max_body, 400 for a missing body, and "GET never
// mutates": a GET or HEAD caller is marked safe_method, so the dispatcher runs only read-only
// commands for it (unless the route says get_may_write, as mi_json does with
// http.json_get_writes). A route may also take WebSocket upgrades (`websocket`): libmicrohttpd
// sends the 101 and hands over the socket, which a Boost.Beast websocket stream then serves on
// its own thread (websocket_bridge.h) — one port, one origin for the panel.
// Threading: handlers and checks run on MHD's threads; `respond` may be called from any thread,
// exactly once. add_route() before start().
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mi/dispatcher.h"
#include "mi/render/chunked.h"
#include "transports/http/http_config.h"

struct MHD_Connection;

namespace sb::transports {

/// A reply: status, content type, body, extra headers.
struct HttpReply {
  unsigned status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  /// Instead of `body`: a reply written piece by piece with chunked transfer encoding (a
  /// streamed result, mi/render/chunked.h), each piece pulled when the socket takes more.
  std::shared_ptr<mi::ChunkedReply> pieces{};
};

/// A text/plain reply (the body gets a trailing newline).
HttpReply text_reply(unsigned status, std::string body);

/// One request as a route sees it.
class HttpRequest {
 public:
  std::string method;
  std::string path;
  std::map<std::string, std::string, std::less<>> params;  ///< from the pattern's {name}s
  std::string body;
  mi::Caller caller;

  /// A request header (case-insensitive name), or nullptr.
  const char* header(const char* name) const;
  /// A query-string argument (decoded), or nullptr.
  const char* query(const char* name) const;
  /// Every query-string argument (decoded), in order; a key without `=` has an empty value.
  std::vector<std::pair<std::string, std::string>> query_args() const;

 private:
  friend class HttpHost;
  MHD_Connection* conn_ = nullptr;
};

using HttpRespond = std::function<void(HttpReply)>;

/// A WebSocket connection's life, on its own thread: `socket` is connected to the client,
/// already upgraded (Boost.Beast serves it, see websocket_bridge.h).
using WebSocketHandler = std::function<void(int socket, std::string already_read, const HttpRequest&)>;

struct HttpRoute {
  std::vector<std::string> methods;  ///< e.g. {"POST"}; anything else gets 405 + Allow
  std::string pattern;               ///< "/mi", "/json/{command}": a {name} is one segment
  std::string summary;               ///< for the 404 hint: "POST /mi (JSON-RPC 2.0)"
  std::string content_type;          ///< a body must be of this media type (415); "" = any
  bool needs_body = false;           ///< an empty body is answered 400
  bool get_may_write = false;        ///< a GET may run state-changing commands (mi_json option)
  /// Before the body is read, with the headers and params: an early answer (e.g. 405), or none.
  std::function<std::optional<HttpReply>(const HttpRequest&)> check;
  /// With the whole body: answers through `respond` (any thread, exactly once).
  std::function<void(HttpRequest&, HttpRespond)> handle;
  /// Set: a GET with `Upgrade: websocket` is upgraded and handed to it (handle is not called).
  /// An upgrade from a browser must come from an allowed Origin (as unsafe methods do): a page
  /// elsewhere cannot read the stream with the user's cached credentials.
  WebSocketHandler websocket;
  /// Set: a request without an Authorization header may authenticate with `?ticket=<t>`
  /// (browsers cannot set headers on a WebSocket); returns the role and peer name the ticket
  /// was issued to, or nullopt (401). Used once per ticket.
  std::function<std::optional<std::pair<mi::Role, std::string>>(std::string_view ticket)> redeem_ticket;
  /// Served without credentials (the web panel's static files: its log-in page must load; they
  /// hold no data). A request that sends credentials is still checked.
  bool open = false;
};

class HttpHost {
 public:
  HttpHost(HttpConfig config, mi::Dispatcher& dispatcher);
  ~HttpHost();
  HttpHost(const HttpHost&) = delete;
  HttpHost& operator=(const HttpHost&) = delete;

  /// Adds an endpoint; a pattern added twice is a programming error (std::logic_error).
  void add_route(HttpRoute route);
  /// The host's own refusals (401, 403, 404, 405, 413, 415, 429, 503: text/plain) of requests
  /// whose path starts with `prefix` are passed through `restyle` (REST answers problem+json).
  void restyle_errors(std::string prefix, std::function<HttpReply(HttpReply)> restyle);

  void start();  ///< throws HttpError
  void stop_accepting();
  void finish(std::chrono::milliseconds deadline);
  int port() const;
  const HttpConfig& config() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sb::transports
