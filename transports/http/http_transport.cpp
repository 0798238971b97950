// http_transport.cpp: the libmicrohttpd daemon, routing, auth, limits and the suspend/resume
// bridge between MHD's threads and the dispatcher's completions.
//
// Request life (one MHD connection handles one request at a time):
//   1st handler call (headers): count it, connection limit, auth, route → either an early
//     response (401/404/405/413/415/503; MHD then closes without reading the body) or a Req.
//   body calls: append up to max_body; beyond it the body is dropped (not buffered) → 413.
//   last call: run the route. Commands go to the dispatcher with a shared Pending as the meeting
//     point: if the completion already ran (errors found before dispatch), answer at once;
//     otherwise the connection is SUSPENDED and the completion RESUMES it, after which MHD calls
//     the handler again and the stored reply is queued. No MHD thread ever waits for a command.
//   request completed (MHD notify): the Req is freed and the request leaves the active set.
// Pending is the only state shared with completion threads; its mutex orders suspend/resume.
#include "transports/http/http_transport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdarg>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <unordered_set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "mi/codec/jsonrpc_dispatch.h"
#include "mi/codec/xmlrpc.h"
#include "mi/render/prometheus.h"
#include "mi/threads.h"
#include "transports/http/connection_guard.h"
#include "transports/http/xmlrpc_endpoint.h"
#include "transports/net/address.h"
#include "transports/net/auth_throttle.h"
#include "transports/net/printable.h"

#if MHD_VERSION >= 0x00097002
using MhdResult = enum MHD_Result;
#else
using MhdResult = int;
#endif

namespace sb::transports {

namespace {

using Clock = std::chrono::steady_clock;

/// Connections beyond `connection_limit` that MHD still accepts, to answer them 503 and close;
/// past limit + kLimitSlack MHD stops accepting and new connections wait in the kernel backlog.
constexpr unsigned kLimitSlack = 16;

constexpr const char* kJson = "application/json";
constexpr const char* kXml = "text/xml";
constexpr const char* kText = "text/plain; charset=utf-8";

std::string errno_text() { return std::strerror(errno); }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// The media type of a Content-Type header, lower case, without parameters.
std::string media_type(const char* header) {
  if (!header) return {};
  std::string_view v(header);
  v = trim(v.substr(0, v.find(';')));
  return lower(v);
}

/// Compares in time that depends only on the lengths, not on where the texts differ.
bool constant_time_equal(std::string_view a, std::string_view b) {
  std::size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

/// Standard base64 (padding optional); nullopt on bad characters.
std::optional<std::string> base64_decode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  std::string out;
  unsigned buf = 0;
  int bits = 0;
  for (char c : in) {
    int v = val(c);
    if (v < 0) return std::nullopt;
    buf = (buf << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buf >> bits) & 0xff);
    }
  }
  return out;
}

std::optional<std::string> read_whole_file(const std::string& path, std::string* why) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *why = errno_text();
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    *why = "read error";
    return std::nullopt;
  }
  return ss.str();
}

std::string client_address(MHD_Connection* conn) {
  const MHD_ConnectionInfo* ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (!ci || !ci->client_addr) return "?";
  SocketAddress a;
  std::size_t len = ci->client_addr->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  std::memcpy(&a.storage, ci->client_addr, len);
  a.length = static_cast<socklen_t>(len);
  return a.to_string();
}

/// The address part of the client's socket address (what per-IP limits count by).
std::string client_ip(MHD_Connection* conn) { return address_of(client_address(conn)); }

/// True for an IPv4 literal, a bracketed IPv6 literal, or "localhost": names a DNS rebinding
/// attack cannot use (it needs a host name the attacker's DNS answers with our address).
bool ip_or_localhost(std::string_view host) {
  if (lower(host) == "localhost") return true;
  std::string h(host);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') {
    in6_addr a6;
    return ::inet_pton(AF_INET6, h.substr(1, h.size() - 2).c_str(), &a6) == 1;
  }
  in_addr a4;
  return ::inet_pton(AF_INET, h.c_str(), &a4) == 1;
}

/// The host part of a Host header ("name:port", "[v6]:port", "name").
std::string_view host_part(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  return host.substr(0, host.find(':'));
}

/// A reply waiting to be queued: status, content type, body, extra headers.
struct Reply {
  unsigned status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

Reply text_reply(unsigned status, std::string body) {
  return Reply{status, kText, std::move(body) + "\n", {}};
}

/// Meeting point of an MHD connection and the completion of its command (any thread).
struct Pending {
  std::mutex mu;
  MHD_Connection* conn = nullptr;  ///< only used to resume, while `suspended && !done`
  bool suspended = false;
  bool done = false;
  Reply reply;
};

/// Per-request state (MHD's con_cls), touched only by the MHD thread serving the connection.
struct Req {
  enum class Route { mi, rpc2, json, done } route = Route::done;
  std::string json_command;
  std::string body;
  bool too_large = false;
  mi::Caller caller;
  std::shared_ptr<Pending> pending;
};

int kOverLimitMarker;  ///< socket_context of connections accepted beyond the limit

}  // namespace

struct HttpTransport::Impl {
  HttpConfig cfg;
  mi::Dispatcher& dispatcher;
  MHD_Daemon* daemon = nullptr;
  std::string cert_pem, key_pem;
  int port = 0;
  bool quiesced = false;

  mi::Stat& requests;
  mi::Stat& responses_2xx;
  mi::Stat& responses_4xx;
  mi::Stat& responses_5xx;
  mi::Stat& auth_failures;
  mi::Stat& too_large;
  mi::Stat& refused;
  mi::Stat& suspended;    ///< requests whose connection waited suspended for their command
  mi::Stat& connections;  ///< gauge: open connections
  mi::Stat& evicted;      ///< waiting connections closed to make room (slow clients)
  mi::Stat& timed_out;    ///< connections closed at http.header_timeout_s
  mi::Stat& throttled;    ///< requests answered 429 (too many failed logins from the address)
  mi::Stat& refused_origin;  ///< 403 for a foreign Host or Origin
  ConnectionGuard guard;
  AuthThrottle throttle;

  std::atomic<unsigned> open_connections{0};

  // Requests handed to the dispatcher whose MHD request has not completed yet.
  std::mutex active_mu;
  std::condition_variable active_cv;
  std::unordered_set<std::shared_ptr<Pending>> active;

  Impl(HttpConfig c, mi::Dispatcher& d)
      : cfg(std::move(c)), dispatcher(d),
        requests(d.statistics().counter("http", "requests")),
        responses_2xx(d.statistics().counter("http", "responses_2xx")),
        responses_4xx(d.statistics().counter("http", "responses_4xx")),
        responses_5xx(d.statistics().counter("http", "responses_5xx")),
        auth_failures(d.statistics().counter("http", "auth_failures")),
        too_large(d.statistics().counter("http", "too_large")),
        refused(d.statistics().counter("http", "connections_refused")),
        suspended(d.statistics().counter("http", "suspended")),
        connections(d.statistics().gauge("http", "connections")),
        evicted(d.statistics().counter("http", "connections_evicted")),
        timed_out(d.statistics().counter("http", "connections_timed_out")),
        throttled(d.statistics().counter("http", "auth_throttled")),
        refused_origin(d.statistics().counter("http", "foreign_origin")),
        guard({cfg.connection_limit, cfg.per_ip_limit, cfg.header_timeout}, evicted, timed_out),
        throttle(cfg.auth_fail_limit, cfg.auth_fail_window) {}

  bool auth_required() const { return !cfg.basic.empty() || !cfg.tokens.empty(); }

  // ---- responses ----------------------------------------------------------------------------

  MhdResult queue(MHD_Connection* conn, const Reply& r, bool close = false) {
    guard.serving(conn);  // answered: no request deadline while the reply goes out
    MHD_Response* resp = MHD_create_response_from_buffer(
        r.body.size(), const_cast<char*>(r.body.data()), MHD_RESPMEM_MUST_COPY);
    if (!resp) return MHD_NO;
    if (!r.content_type.empty())
      MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r.content_type.c_str());
    for (const auto& [k, v] : r.headers) MHD_add_response_header(resp, k.c_str(), v.c_str());
    if (close) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    MhdResult ok = MHD_queue_response(conn, r.status, resp);
    MHD_destroy_response(resp);
    if (r.status < 300) responses_2xx.inc();
    else if (r.status < 500) responses_4xx.inc();
    else responses_5xx.inc();
    return ok;
  }

  /// An answer given before the body was read: MHD skips the body and closes afterwards.
  MhdResult early(MHD_Connection* conn, Reply r) { return queue(conn, r, true); }

  static Reply unauthorized() {
    Reply r = text_reply(401, "authentication required");
    r.headers.emplace_back(MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"switchboard\"");
    r.headers.emplace_back(MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"switchboard\"");
    return r;
  }

  static Reply not_allowed(const char* allow, std::string why = "method not allowed") {
    Reply r = text_reply(405, std::move(why));
    r.headers.emplace_back(MHD_HTTP_HEADER_ALLOW, allow);
    return r;
  }

  /// Why the Host header is refused (DNS rebinding), or "".
  std::string foreign_host(MHD_Connection* conn) const {
    const char* h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!h) return {};  // HTTP/1.0 without Host: not a browser
    std::string_view host = host_part(trim(h));
    if (ip_or_localhost(host)) return {};
    for (const std::string& allowed : cfg.allowed_hosts)
      if (lower(allowed) == lower(host)) return {};
    return fmt::format("Host '{}' is not accepted: use an IP address or localhost, or add the name "
                       "to http.allowed_hosts", printable(host, 100));
  }

  /// Why a state-changing request's Origin header is refused (a web page's cross-origin POST),
  /// or "". No Origin: not sent by a browser's cross-origin request.
  std::string foreign_origin(MHD_Connection* conn) const {
    const char* o = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
    if (!o) return {};
    std::string origin = lower(trim(o));
    const char* h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    const bool tls = !cfg.tls_cert.empty();
    if (h && origin == lower(fmt::format("{}://{}", tls ? "https" : "http", trim(h)))) return {};
    for (const std::string& allowed : cfg.allowed_origins)
      if (lower(allowed) == origin) return {};
    return fmt::format("cross-origin request from '{}' refused: add it to http.allowed_origins",
                       printable(o, 100));
  }

  // ---- auth ---------------------------------------------------------------------------------

  /// The credential matching the Authorization header, or nullptr. Every configured credential
  /// is compared (no early exit) so timing does not tell which one almost matched.
  const HttpCredential* authenticate(MHD_Connection* conn, std::string* user_out) const {
    const char* h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h) return nullptr;
    std::string_view v = trim(h);
    auto sp = v.find(' ');
    if (sp == std::string_view::npos) return nullptr;
    std::string scheme = lower(v.substr(0, sp));
    std::string_view arg = trim(v.substr(sp + 1));
    const HttpCredential* found = nullptr;
    if (scheme == "basic") {
      auto decoded = base64_decode(arg);
      if (!decoded) return nullptr;
      auto colon = decoded->find(':');
      if (colon == std::string::npos) return nullptr;
      std::string_view user = std::string_view(*decoded).substr(0, colon);
      if (user_out) *user_out = std::string(user);
      std::string_view pass = std::string_view(*decoded).substr(colon + 1);
      for (const HttpCredential& c : cfg.basic) {
        bool u = constant_time_equal(user, c.name);
        bool p = constant_time_equal(pass, c.secret);
        if (u && p && !found) found = &c;
      }
    } else if (scheme == "bearer") {
      if (user_out) *user_out = "(bearer token)";
      for (const HttpCredential& c : cfg.tokens)
        if (constant_time_equal(arg, c.secret) && !found) found = &c;
    }
    return found;
  }

  // ---- dispatch -----------------------------------------------------------------------------

  /// Completion side: stores the reply and resumes the connection if it was suspended.
  static void complete(const std::shared_ptr<Pending>& p, Reply reply) {
    std::lock_guard lk(p->mu);
    if (p->done) return;  // answered already (shutdown)
    p->reply = std::move(reply);
    p->done = true;
    if (p->suspended) {
      p->suspended = false;
      MHD_resume_connection(p->conn);
    }
  }

  /// Starts the command of a request whose body is complete.
  void start_call(MHD_Connection* conn, Req& req) {
    auto p = std::make_shared<Pending>();
    p->conn = conn;
    req.pending = p;
    {
      std::lock_guard lk(active_mu);
      active.insert(p);
    }
    switch (req.route) {
      case Req::Route::mi:
        mi::dispatch_jsonrpc(
            dispatcher, req.body, req.caller,
            [p](std::optional<std::string> out) {
              if (out) complete(p, Reply{200, kJson, std::move(*out), {}});
              else complete(p, Reply{202, {}, {}, {}});
            },
            cfg.max_reply, "http.max_reply");
        break;
      case Req::Route::rpc2:
        handle_xmlrpc(dispatcher, req.body, req.caller,
                      [p, max = cfg.max_reply](std::string xml) {
                        if (xml.size() > max)
                          xml = mi::render_xmlrpc(mi::Error::reply_too_large(xml.size(), max, "over http.max_reply"));
                        complete(p, Reply{200, kXml, std::move(xml), {}});
                      });
        break;
      case Req::Route::json: {
        mi::Value params;  // null: no params
        const char* arg = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "params");
        if (arg && *arg) {
          params = mi::Value::array();
          std::string_view rest(arg);
          for (;;) {
            auto comma = rest.find(',');
            params.push_back(std::string(rest.substr(0, comma)));
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
          }
        }
        mi::Request r{req.json_command, std::move(params), req.caller, false};
        dispatcher.call(std::move(r), [p, max = cfg.max_reply](mi::Result res) {
          if (res.ok()) {
            std::string text = mi::to_compact_json(res.value());
            if (text.size() <= max) return complete(p, Reply{200, kJson, std::move(text), {}});
            res = mi::Error::reply_too_large(text.size(), max, "over http.max_reply");
          }
          mi::Value body;
          if (res.ok()) {
            body = std::move(res.value());
          } else {
            // mi_json's error object, with the MI code and reason (not the JSON-RPC code).
            body = mi::Value::object();
            body["error"]["code"] = res.error().code;
            body["error"]["message"] = res.error().reason;
          }
          complete(p, Reply{200, kJson, mi::to_compact_json(body), {}});
        });
        break;
      }
      case Req::Route::done:
        complete(p, text_reply(500, "internal error"));
        break;
    }
  }

  /// Queues the stored reply when the command has completed, else suspends the connection.
  MhdResult answer_or_suspend(MHD_Connection* conn, Req& req) {
    Reply reply;
    {
      std::lock_guard lk(req.pending->mu);
      if (!req.pending->done) {
        req.pending->suspended = true;
        MHD_suspend_connection(conn);
        suspended.inc();
        return MHD_YES;
      }
      reply = std::move(req.pending->reply);
    }
    req.route = Req::Route::done;
    return queue(conn, reply);
  }

  // ---- the MHD callbacks --------------------------------------------------------------------

  MhdResult first_call(MHD_Connection* conn, const char* url, const char* method, Req& req) {
    requests.inc();
    const MHD_ConnectionInfo* ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (ci && ci->socket_context == &kOverLimitMarker) {
      refused.inc();
      return early(conn, text_reply(503, "too many connections"));
    }
    std::string peer = client_address(conn);
    if (std::string why = foreign_host(conn); !why.empty()) {
      refused_origin.inc();
      spdlog::warn("http: {} {} from {}: {}", printable(method, 16), printable(url, 100), peer, why);
      return early(conn, text_reply(403, why));
    }
    mi::Role role = cfg.anonymous_role;
    if (auth_required()) {
      const std::string ip = address_of(peer);
      if (auto wait = throttle.blocked_for(ip); wait.count() > 0) {
        throttled.inc();
        Reply r = text_reply(429, fmt::format("too many failed logins from {}: try again in {} s "
                                              "(http.auth_fail_limit)", ip, wait.count()));
        r.headers.emplace_back("Retry-After", std::to_string(wait.count()));
        return early(conn, std::move(r));
      }
      std::string user;
      const HttpCredential* c = authenticate(conn, &user);
      if (!c) {
        auth_failures.inc();
        // fail2ban: "authentication failed for user '<u>' from <ip>:<port>". A request with no
        // credentials at all (a browser's first try) is not a guess: not counted against the IP.
        if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION)) {
          unsigned n = throttle.failed(ip);
          spdlog::warn("http: {} {}: authentication failed for user '{}' from {} ({} of {} "
                       "allowed per {} s)", printable(method, 16), printable(url, 100), printable(user, 64), peer,
                       n, cfg.auth_fail_limit, cfg.auth_fail_window.count());
        } else {
          spdlog::debug("http: {} {} from {}: no credentials (401)", printable(method, 16), printable(url, 100), peer);
        }
        return early(conn, unauthorized());
      }
      role = c->role;
      peer = c->name + "@" + peer;
    }
    req.caller = mi::Caller{"http", std::move(peer), role};

    std::string_view path(url);
    std::string_view m(method);
    bool post = m == MHD_HTTP_METHOD_POST;
    if (post) {
      if (std::string why = foreign_origin(conn); !why.empty()) {
        refused_origin.inc();
        spdlog::warn("http: POST {} from {}: {}", printable(url, 100), req.caller.peer, why);
        return early(conn, text_reply(403, why));
      }
    }
    if (path == "/mi" || path == "/RPC2") {
      bool mi = path == "/mi";
      if (!post) return early(conn, not_allowed("POST"));
      const char* ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
      if (media_type(ct) != (mi ? kJson : kXml))
        return early(conn, text_reply(415, fmt::format("Content-Type must be {}", mi ? kJson : kXml)));
      if (const char* cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                       MHD_HTTP_HEADER_CONTENT_LENGTH)) {
        char* end = nullptr;
        unsigned long long n = std::strtoull(cl, &end, 10);
        if (end != cl && n > cfg.max_body) {
          too_large.inc();
          return early(conn, text_reply(413, fmt::format("request body too large ({} > {} bytes)",
                                                         n, cfg.max_body)));
        }
      }
      req.route = mi ? Req::Route::mi : Req::Route::rpc2;
      return MHD_YES;
    }
    if (path.substr(0, 6) == "/json/") {
      if (m != MHD_HTTP_METHOD_GET && !post) return early(conn, not_allowed("GET, POST"));
      req.route = Req::Route::json;
      req.json_command = std::string(path.substr(6));
      // Any web page can make a browser GET a URL (<img src=…/json/kill>): a GET only runs
      // commands that change nothing, unless http.json_get_writes restores OpenSIPS 2's way.
      if (!post && !cfg.json_get_writes) {
        const mi::CommandSpec* spec = dispatcher.registry().find(req.json_command);
        if (spec && !spec->has(mi::kReadOnly))
          return early(conn, not_allowed(
                                 "POST", fmt::format("'{}' changes state: send it with POST (GET runs "
                                                     "only read-only commands; see http.json_get_writes)",
                                                     printable(req.json_command, 64))));
      }
      return MHD_YES;
    }
    if (path == "/metrics") {
      if (m != MHD_HTTP_METHOD_GET && m != MHD_HTTP_METHOD_HEAD)
        return early(conn, not_allowed("GET, HEAD"));
      return queue(conn, Reply{200, std::string(mi::kPrometheusContentType),
                               mi::render_prometheus(dispatcher.statistics()), {}});
    }
    return early(conn, text_reply(404, "not found: try POST /mi, GET or POST /json/<command>, "
                                       "POST /RPC2 or GET /metrics"));
  }

  MhdResult handle(MHD_Connection* conn, const char* url, const char* method,
                   const char* upload_data, size_t* upload_data_size, void** con_cls) {
    static thread_local std::optional<mi::ThreadTag> tag;
    if (!tag) tag.emplace("HTTP worker");

    auto* req = static_cast<Req*>(*con_cls);
    if (!req) {
      req = new Req;
      *con_cls = req;
      return first_call(conn, url, method, *req);
    }
    if (*upload_data_size != 0) {
      std::size_t n = *upload_data_size;
      *upload_data_size = 0;
      if (req->route == Req::Route::done || req->too_large) return MHD_YES;
      if (req->body.size() + n > cfg.max_body) {
        req->too_large = true;
        std::string().swap(req->body);  // drop what we have; the rest is discarded as it comes
        return MHD_YES;
      }
      req->body.append(upload_data, n);
      return MHD_YES;
    }
    if (req->pending) return answer_or_suspend(conn, *req);  // resumed, or a spurious call
    if (req->route == Req::Route::done) return MHD_YES;      // answered in the first call
    if (req->too_large) {
      too_large.inc();
      req->route = Req::Route::done;
      return queue(conn, text_reply(413, fmt::format("request body too large (> {} bytes)",
                                                     cfg.max_body)));
    }
    if (req->route != Req::Route::json && req->body.empty()) {
      req->route = Req::Route::done;
      return queue(conn, Reply{400, {}, {}, {}});
    }
    guard.serving(conn);
    start_call(conn, *req);
    return answer_or_suspend(conn, *req);
  }

  void completed(MHD_Connection* conn, void** con_cls) {
    guard.waiting(conn);  // keep-alive: the next request has its own deadline
    auto* req = static_cast<Req*>(*con_cls);
    if (!req) return;
    *con_cls = nullptr;
    if (req->pending) {
      std::lock_guard lk(active_mu);
      active.erase(req->pending);
      if (active.empty()) active_cv.notify_all();
    }
    delete req;
  }

  void connection_event(MHD_Connection* conn, void** socket_context,
                        MHD_ConnectionNotificationCode code) {
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
      ++open_connections;
      connections.inc();
      const MHD_ConnectionInfo* fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
      // Makes room by closing the oldest connection still owing its request (slowloris); when
      // there is none, this one is answered 503.
      if (!fd || !guard.opened(conn, fd->connect_fd, client_ip(conn))) *socket_context = &kOverLimitMarker;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
      guard.closed(conn);
      --open_connections;
      connections.dec();
    }
  }

  static MhdResult on_request(void* cls, MHD_Connection* conn, const char* url, const char* method,
                              const char* /*version*/, const char* upload_data,
                              size_t* upload_data_size, void** con_cls) {
    auto* self = static_cast<Impl*>(cls);
    try {
      return self->handle(conn, url, method, upload_data, upload_data_size, con_cls);
    } catch (const std::exception& e) {
      spdlog::error("http: {} {}: {}", method, url, e.what());
      return MHD_NO;
    }
  }

  static void on_completed(void* cls, MHD_Connection* conn, void** con_cls,
                           MHD_RequestTerminationCode) {
    static_cast<Impl*>(cls)->completed(conn, con_cls);
  }

  static void on_connection(void* cls, MHD_Connection* conn, void** socket_context,
                            MHD_ConnectionNotificationCode code) {
    static_cast<Impl*>(cls)->connection_event(conn, socket_context, code);
  }

  static void on_log(void*, const char* fmt, va_list ap) {
    char buf[1024];
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    std::string_view msg(buf);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r')) msg.remove_suffix(1);
    spdlog::warn("http: {}", msg);
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /// Answers every request still waiting for its command with 503 and resumes it.
  void abandon_pending() {
    std::vector<std::shared_ptr<Pending>> waiting;
    {
      std::lock_guard lk(active_mu);
      waiting.assign(active.begin(), active.end());
    }
    for (const auto& p : waiting) complete(p, text_reply(503, "server shutting down"));
  }
};

HttpTransport::HttpTransport(HttpConfig config, mi::Dispatcher& dispatcher)
    : impl_(std::make_unique<Impl>(std::move(config), dispatcher)) {}

HttpTransport::~HttpTransport() {
  stop_accepting();
  finish(std::chrono::milliseconds(0));
}

void HttpTransport::start() {
  Impl& m = *impl_;
  const HttpConfig& cfg = m.cfg;
  if (m.daemon) throw HttpError("http: already started");
  std::string why;
  auto addr = parse_host_port(cfg.listen, &why);
  if (!addr) throw HttpError(fmt::format("http.listen: {}", why));
  if (!m.auth_required() && !addr->is_loopback())
    throw HttpError(fmt::format(
        "http.listen {} is not a loopback address and no credentials are configured: anyone who "
        "can reach it could run every command. Set http.basic_auth or http.tokens, or listen on "
        "127.0.0.1",
        cfg.listen));

  bool tls = !cfg.tls_cert.empty() || !cfg.tls_key.empty();
  if (!tls && !cfg.basic.empty() && !addr->is_loopback())
    throw HttpError(fmt::format(
        "http.listen {} is not a loopback address and http.basic_auth is set without TLS: the "
        "passwords would cross the network in clear. Set http.tls_cert and http.tls_key",
        cfg.listen));
  if (tls) {
    if (cfg.tls_cert.empty() || cfg.tls_key.empty())
      throw HttpError("http.tls_cert and http.tls_key go together: set both or neither");
    auto cert = read_whole_file(cfg.tls_cert, &why);
    if (!cert) throw HttpError(fmt::format("http.tls_cert: cannot read {}: {}", cfg.tls_cert, why));
    auto key = read_whole_file(cfg.tls_key, &why);
    if (!key) throw HttpError(fmt::format("http.tls_key: cannot read {}: {}", cfg.tls_key, why));
    m.cert_pem = std::move(*cert);
    m.key_pem = std::move(*key);
  }

  // Our own listening socket: bind errors ("Address already in use") come back verbatim.
  int fd = ::socket(addr->family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) throw HttpError(fmt::format("http: socket: {}", errno_text()));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (addr->family() == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  socklen_t len = addr->family() == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (::bind(fd, addr->get(), len) != 0 || ::listen(fd, 128) != 0) {
    std::string e = errno_text();
    ::close(fd);
    throw HttpError(fmt::format("http: cannot listen on {}: {}", cfg.listen, e));
  }

  unsigned limit = cfg.connection_limit + kLimitSlack;
  // MHD splits the connection limit among the pool's threads: no thread without a share.
  unsigned threads = std::clamp(cfg.threads, 1u, limit);
  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME |
                   MHD_USE_ITC;
  if (addr->family() == AF_INET6) flags |= MHD_USE_IPv6;
  if (tls) flags |= MHD_USE_TLS;

  // Conditional options as an MHD_OptionItem array (typed fields instead of varargs); the
  // callbacks go through varargs with explicit casts.
  std::vector<MHD_OptionItem> opts;
  opts.push_back({MHD_OPTION_LISTEN_SOCKET, static_cast<intptr_t>(fd), nullptr});
  opts.push_back({MHD_OPTION_CONNECTION_LIMIT, static_cast<intptr_t>(limit), nullptr});
  opts.push_back({MHD_OPTION_CONNECTION_TIMEOUT, static_cast<intptr_t>(cfg.connection_timeout_s), nullptr});
  if (threads > 1) opts.push_back({MHD_OPTION_THREAD_POOL_SIZE, static_cast<intptr_t>(threads), nullptr});
  if (tls) {
    // GnuTLS priorities: TLS 1.2 and 1.3 only, the library's normal cipher choice.
    static const char kPriorities[] = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2";
    opts.push_back({MHD_OPTION_HTTPS_PRIORITIES, 0, const_cast<char*>(kPriorities)});
    opts.push_back({MHD_OPTION_HTTPS_MEM_CERT, 0, const_cast<char*>(m.cert_pem.c_str())});
    opts.push_back({MHD_OPTION_HTTPS_MEM_KEY, 0, const_cast<char*>(m.key_pem.c_str())});
  }
  opts.push_back({MHD_OPTION_END, 0, nullptr});

  m.daemon = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &Impl::on_request, static_cast<void*>(&m),
      MHD_OPTION_EXTERNAL_LOGGER, static_cast<MHD_LogCallback>(&Impl::on_log), static_cast<void*>(nullptr),
      MHD_OPTION_NOTIFY_COMPLETED, static_cast<MHD_RequestCompletedCallback>(&Impl::on_completed),
      static_cast<void*>(&m),
      MHD_OPTION_NOTIFY_CONNECTION, static_cast<MHD_NotifyConnectionCallback>(&Impl::on_connection),
      static_cast<void*>(&m),
      MHD_OPTION_ARRAY, opts.data(),
      MHD_OPTION_END);
  if (!m.daemon) {
    ::close(fd);
    throw HttpError(fmt::format("http: libmicrohttpd refused to start on {} (see the log above)",
                                cfg.listen));
  }
  m.guard.start();
  const MHD_DaemonInfo* info = MHD_get_daemon_info(m.daemon, MHD_DAEMON_INFO_BIND_PORT);
  m.port = info ? info->port : 0;
  auto bound = local_address(fd);
  spdlog::info("http: listening on {}{} ({} threads, {})", tls ? "https://" : "http://",
               bound ? bound->to_string() : cfg.listen, threads,
               m.auth_required() ? fmt::format("{} users, {} tokens", cfg.basic.size(), cfg.tokens.size())
                                 : fmt::format("no credentials: every caller is {} (http.anonymous_role)",
                                               mi::to_string(cfg.anonymous_role)));
}

void HttpTransport::stop_accepting() {
  Impl& m = *impl_;
  if (!m.daemon || m.quiesced) return;
  m.quiesced = true;
  MHD_socket fd = MHD_quiesce_daemon(m.daemon);
  if (fd != MHD_INVALID_SOCKET) ::close(fd);
}

void HttpTransport::finish(std::chrono::milliseconds deadline) {
  Impl& m = *impl_;
  if (!m.daemon) return;
  {
    std::unique_lock lk(m.active_mu);
    m.active_cv.wait_for(lk, deadline, [&] { return m.active.empty(); });
  }
  // Whatever still waits for its command is answered 503 now (MHD must not be stopped with
  // suspended connections), then given a moment to be written.
  m.abandon_pending();
  {
    std::unique_lock lk(m.active_mu);
    m.active_cv.wait_for(lk, std::chrono::milliseconds(500), [&] { return m.active.empty(); });
  }
  MHD_stop_daemon(m.daemon);
  m.guard.stop();
  m.daemon = nullptr;
  m.port = 0;
}

int HttpTransport::port() const { return impl_->port; }

}  // namespace sb::transports
