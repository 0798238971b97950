// http_host.cpp: the libmicrohttpd daemon, the route table, auth, limits and the
// suspend/resume bridge between MHD's threads and the routes' replies.
//
// Request life (one MHD connection handles one request at a time):
//   1st handler call (headers): count it, connection limit, Host, auth, route match, method,
//     Origin, media type, length, the route's check → either an early response
//     (401/403/404/405/413/415/429/503; MHD then closes without reading the body) or a Req.
//   body calls: append up to max_body; beyond it the body is dropped (not buffered) → 413.
//   last call: run the route's handler with a shared Pending as the meeting point: if the reply
//     already came (errors found before dispatch), answer at once; otherwise the connection is
//     SUSPENDED and the reply RESUMES it, after which MHD calls the handler again and the stored
//     reply is queued. No MHD thread ever waits for a command.
//   request completed (MHD notify): the Req is freed and the request leaves the active set.
// Pending is the only state shared with reply threads; its mutex orders suspend/resume.
#include "transports/http/http_host.h"

#include "mi/strings.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdarg>
#include <mutex>
#include <optional>
#include <unordered_set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "mi/threads.h"
#include "transports/http/connection_guard.h"
#include "transports/http/http_listen.h"
#include "transports/http/http_auth_gate.h"
#include "transports/http/http_cors.h"
#include "transports/http/http_request_checks.h"
#include "transports/http/mhd.h"
#include "transports/http/piecewise_response.h"
#include "transports/http/websocket_bridge.h"
#include "transports/http/websocket_upgrade.h"
#include "transports/net/address.h"
#include "transports/net/printable.h"

namespace sb::transports {

namespace {

using Clock = std::chrono::steady_clock;

/// Connections beyond `connection_limit` that MHD still accepts, to answer them 503 and close;
/// past limit + kLimitSlack MHD stops accepting and new connections wait in the kernel backlog.
constexpr unsigned kLimitSlack = 16;

using mi::lower;

using Reply = HttpReply;

bool safe_method(std::string_view m) { return m == "GET" || m == "HEAD"; }

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
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
  const HttpRoute* route = nullptr;  ///< null: answered (or being answered) already
  HttpRequest request;
  bool too_large = false;
  std::shared_ptr<Pending> pending;
};

int kOverLimitMarker;  ///< socket_context of connections accepted beyond the limit

}  // namespace

namespace {
/// The path of the request this MHD thread is handling: queue() restyles the host's own error
/// replies by it (HttpHost::restyle_errors). Set at the top of every request callback.
thread_local std::string_view tl_request_path;
}  // namespace

struct HttpHost::Impl {
  HttpConfig cfg;
  mi::Dispatcher& dispatcher;
  std::vector<HttpRoute> routes;
  std::vector<std::pair<std::string, std::function<HttpReply(HttpReply)>>> error_styles;
  MHD_Daemon* daemon = nullptr;
  std::string cert_pem, key_pem;
  int port = 0;
  /// Cleared by stop_accepting(): the accept policy then closes every new connection. Not
  /// MHD_quiesce_daemon(): with epoll and a thread pool it can abort the process (an open MHD race).
  std::atomic<bool> accepting{true};

  mi::Stat& requests;
  mi::Stat& responses_2xx;
  mi::Stat& responses_4xx;
  mi::Stat& responses_5xx;
  mi::Stat& too_large;
  mi::Stat& refused;
  mi::Stat& suspended;    ///< requests whose connection waited suspended for their command
  mi::Stat& connections;  ///< gauge: open connections
  mi::Stat& evicted;      ///< waiting connections closed to make room (slow clients)
  mi::Stat& timed_out;    ///< connections closed at http.header_timeout_s
  mi::Stat& refused_origin;  ///< 403 for a foreign Host or Origin
  ConnectionGuard guard;
  HttpAuthGate auth;

  std::atomic<unsigned> open_connections{0};

  // Requests handed to the dispatcher whose MHD request has not completed yet.
  std::mutex active_mu;
  std::condition_variable active_cv;
  std::unordered_set<std::shared_ptr<Pending>> active;

  UpgradedSockets upgraded;  ///< WebSocket connections (finish() closes them before MHD stops)

  Impl(HttpConfig c, mi::Dispatcher& d)
      : cfg(std::move(c)), dispatcher(d),
        requests(d.statistics().counter("http", "requests")),
        responses_2xx(d.statistics().counter("http", "responses_2xx")),
        responses_4xx(d.statistics().counter("http", "responses_4xx")),
        responses_5xx(d.statistics().counter("http", "responses_5xx")),
        too_large(d.statistics().counter("http", "too_large")),
        refused(d.statistics().counter("http", "connections_refused")),
        suspended(d.statistics().counter("http", "suspended")),
        connections(d.statistics().gauge("http", "connections")),
        evicted(d.statistics().counter("http", "connections_evicted")),
        timed_out(d.statistics().counter("http", "connections_timed_out")),
        refused_origin(d.statistics().counter("http", "foreign_origin")),
        guard({cfg.connection_limit, cfg.per_ip_limit, cfg.header_timeout}, evicted, timed_out),
        auth(cfg, d.statistics()) {}

  bool auth_required() const { return !cfg.basic.empty() || !cfg.tokens.empty(); }

  // ---- responses ----------------------------------------------------------------------------

  MhdResult queue(MHD_Connection* conn, Reply r, bool close = false) {
    if (r.status >= 400 && r.content_type.starts_with("text/plain"))
      for (const auto& [prefix, restyle] : error_styles)
        if (tl_request_path.substr(0, prefix.size()) == prefix) r = restyle(std::move(r));
    if (auto origin = cors_origin(header(conn, "Origin"), cfg)) add_cors_headers(r, *origin);
    guard.serving(conn);  // answered: no request deadline while the reply goes out
    MHD_Response* resp = r.pieces ? piecewise_response(std::move(r.pieces))
                                  : MHD_create_response_from_buffer(r.body.size(), const_cast<char*>(r.body.data()),
                                                                    MHD_RESPMEM_MUST_COPY);
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

  static Reply not_allowed(const char* allow, std::string why = "method not allowed") {
    Reply r = text_reply(405, std::move(why));
    r.headers.emplace_back(MHD_HTTP_HEADER_ALLOW, allow);
    return r;
  }

  static const char* header(MHD_Connection* conn, const char* name) {
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
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

  /// Runs the route's handler for a request whose body is complete.
  void start_call(MHD_Connection* conn, Req& req) {
    auto p = std::make_shared<Pending>();
    p->conn = conn;
    req.pending = p;
    {
      std::lock_guard lk(active_mu);
      active.insert(p);
    }
    try {
      req.route->handle(req.request, [p](HttpReply reply) { complete(p, std::move(reply)); });
    } catch (const std::exception& e) {
      spdlog::error("http: {} {}: {}", req.request.method, printable(req.request.path, 100), e.what());
      complete(p, text_reply(500, "internal error"));
    }
  }

  /// Queues the stored reply when it has come, else suspends the connection.
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
    req.route = nullptr;
    return queue(conn, reply);
  }

  // ---- the MHD callbacks --------------------------------------------------------------------

  /// The first route whose pattern matches `path` (its {params} into `params`), or nullptr.
  const HttpRoute* route_for(std::string_view path,
                             std::map<std::string, std::string, std::less<>>* params) const {
    for (const HttpRoute& candidate : routes)
      if (match_route(candidate.pattern, path, params)) return &candidate;
    return nullptr;
  }

  /// The 404 text: every route's summary.
  std::string not_found() const {
    std::string hint;
    for (const HttpRoute& r : routes)
      if (!r.summary.empty()) hint += (hint.empty() ? "" : ", ") + r.summary;
    return "not found: try " + hint;
  }

  MhdResult first_call(MHD_Connection* conn, const char* url, const char* method, Req& req) {
    requests.inc();
    const MHD_ConnectionInfo* ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (ci && ci->socket_context == &kOverLimitMarker) {
      refused.inc();
      return early(conn, text_reply(503, "too many connections"));
    }
    std::string peer = client_address(conn);
    if (std::string why = foreign_host(header(conn, MHD_HTTP_HEADER_HOST), cfg.allowed_hosts);
        !why.empty()) {
      refused_origin.inc();
      spdlog::warn("http: {} {} from {}: {}", printable(method, 16), printable(url, 100), peer, why);
      return early(conn, text_reply(403, why));
    }
    if (const char* origin = header(conn, "Origin");
        is_preflight(method, origin, header(conn, "Access-Control-Request-Method"))) {
      const HttpRoute* route = route_for(url, nullptr);
      if (!route) return early(conn, text_reply(404, not_found()));
      return early(conn, preflight_reply(origin, route->methods, cfg));
    }
    const char* authorization = header(conn, MHD_HTTP_HEADER_AUTHORIZATION);
    const char* ticket = authorization ? nullptr : MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "ticket");
    const HttpRoute* early_route = route_for(url, nullptr);
    const HttpRoute* ticket_route = ticket ? early_route : nullptr;
    std::variant<HttpAuthGate::Admitted, Reply> admitted = Reply{};
    if (early_route && early_route->open && !authorization) {
      admitted = HttpAuthGate::Admitted{mi::Role::read_only, "anonymous@" + peer};
    } else if (ticket_route && ticket_route->redeem_ticket) {
      auto redeemed = ticket_route->redeem_ticket(ticket);
      if (!redeemed) {
        spdlog::warn("http: {} {} from {}: unknown or expired ticket", printable(method, 16), printable(url, 100), peer);
        return early(conn, text_reply(401, "unknown, used or expired ticket (POST /api/v1/events/tickets gives one)"));
      }
      admitted = HttpAuthGate::Admitted{redeemed->first, redeemed->second + " (ticket) @" + peer};
    } else {
      admitted = auth.admit(authorization, header(conn, "X-Requested-With") != nullptr, std::move(peer), method, url);
    }
    if (auto* refusal = std::get_if<Reply>(&admitted)) return early(conn, std::move(*refusal));
    auto& [role, who] = std::get<HttpAuthGate::Admitted>(admitted);
    HttpRequest& r = req.request;
    r.conn_ = conn;
    r.method = method;
    r.path = url;
    r.caller = mi::Caller{"http", std::move(who), role};

    const HttpRoute* route = route_for(r.path, &r.params);
    if (!route) return early(conn, text_reply(404, not_found()));
    const auto& ms = route->methods;
    bool allowed = std::find(ms.begin(), ms.end(), r.method) != ms.end() ||
                   (r.method == "HEAD" && std::find(ms.begin(), ms.end(), "GET") != ms.end());
    if (!allowed) {
      std::vector<std::string> allow = ms;
      if (std::find(ms.begin(), ms.end(), "GET") != ms.end()) allow.emplace_back("HEAD");
      return early(conn, not_allowed(joined(allow).c_str()));
    }
    if (safe_method(r.method)) {
      r.caller.safe_method = !route->get_may_write;  // GET never mutates (the dispatcher enforces it)
    } else {
      if (std::string why = foreign_origin(header(conn, "Origin"), header(conn, MHD_HTTP_HEADER_HOST),
                                           !cfg.tls_cert.empty(), cfg.allowed_origins);
          !why.empty()) {
        refused_origin.inc();
        spdlog::warn("http: {} {} from {}: {}", printable(method, 16), printable(url, 100), r.caller.peer, why);
        return early(conn, text_reply(403, why));
      }
      if (!route->content_type.empty()) {
        const char* ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (media_type(ct) != route->content_type)
          return early(conn, text_reply(415, fmt::format("Content-Type must be {}", route->content_type)));
      }
    }
    if (const char* cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
      char* end = nullptr;
      unsigned long long n = std::strtoull(cl, &end, 10);
      if (end != cl && n > cfg.max_body) {
        too_large.inc();
        return early(conn, text_reply(413, fmt::format("request body too large ({} > {} bytes)", n,
                                                       cfg.max_body)));
      }
    }
    if (route->check)
      if (std::optional<HttpReply> refusal = route->check(r)) return early(conn, std::move(*refusal));
    req.route = route;
    return MHD_YES;
  }

  /// A GET with `Upgrade: websocket` on a WebSocket route: MHD answers 101 and hands the socket
  /// to the route (websocket_bridge.h).
  MhdResult upgrade(MHD_Connection* conn, Req& req) {
    std::optional<std::string> accept = websocket_accept_key(req.request.header("Sec-WebSocket-Key"));
    const char* version = req.request.header("Sec-WebSocket-Version");
    if (!accept || !version || std::string_view(version) != "13") {
      req.route = nullptr;
      Reply r = text_reply(400, "bad WebSocket upgrade (Sec-WebSocket-Key, Sec-WebSocket-Version: 13)");
      r.headers.emplace_back("Sec-WebSocket-Version", "13");
      return queue(conn, r);
    }
    HttpRequest request = req.request;
    request.body.clear();
    request.conn_ = nullptr;  // the HTTP request is over once the socket is handed over
    WebSocketHandler handler = req.route->websocket;
    req.route = nullptr;
    guard.serving(conn);
    return queue_websocket_upgrade(conn, *accept, std::move(handler), std::move(request), upgraded);
  }

  MhdResult handle(MHD_Connection* conn, const char* url, const char* method,
                   const char* upload_data, size_t* upload_data_size, void** con_cls) {
    static thread_local std::optional<mi::ThreadTag> tag;
    if (!tag) tag.emplace("HTTP worker");
    tl_request_path = url ? std::string_view(url) : std::string_view();

    auto* req = static_cast<Req*>(*con_cls);
    if (!req) {
      req = new Req;
      *con_cls = req;
      return first_call(conn, url, method, *req);
    }
    if (*upload_data_size != 0) {
      std::size_t n = *upload_data_size;
      *upload_data_size = 0;
      if (!req->route || req->too_large) return MHD_YES;
      if (req->request.body.size() + n > cfg.max_body) {
        req->too_large = true;
        std::string().swap(req->request.body);  // drop what we have; the rest is discarded as it comes
        return MHD_YES;
      }
      req->request.body.append(upload_data, n);
      return MHD_YES;
    }
    if (req->pending) return answer_or_suspend(conn, *req);  // resumed, or a spurious call
    if (!req->route) return MHD_YES;                         // answered in the first call
    if (req->too_large) {
      too_large.inc();
      req->route = nullptr;
      return queue(conn, text_reply(413, fmt::format("request body too large (> {} bytes)",
                                                     cfg.max_body)));
    }
    if (req->route->websocket && req->request.method == "GET") {
      const char* up = req->request.header(MHD_HTTP_HEADER_UPGRADE);
      if (up && lower(up) == "websocket") {
        if (std::string why = foreign_origin(header(conn, "Origin"), header(conn, MHD_HTTP_HEADER_HOST),
                                             !cfg.tls_cert.empty(), cfg.allowed_origins);
            !why.empty()) {
          refused_origin.inc();
          spdlog::warn("http: WebSocket {} from {}: {}", printable(req->request.path, 100), req->request.caller.peer, why);
          req->route = nullptr;
          return queue(conn, text_reply(403, why));
        }
        return upgrade(conn, *req);
      }
    }
    if (!req->route->handle) {
      req->route = nullptr;
      return queue(conn, text_reply(426, "this URL serves WebSocket connections only"));
    }
    if (req->route->needs_body && req->request.body.empty()) {
      req->route = nullptr;
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

  static MHD_Result on_accept(void* cls, const sockaddr*, socklen_t) {
    return static_cast<Impl*>(cls)->accepting.load(std::memory_order_relaxed) ? MHD_YES : MHD_NO;
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

HttpHost::HttpHost(HttpConfig config, mi::Dispatcher& dispatcher)
    : impl_(std::make_unique<Impl>(std::move(config), dispatcher)) {}

void HttpHost::add_route(HttpRoute route) {
  for (const HttpRoute& r : impl_->routes)
    if (r.pattern == route.pattern)
      throw std::logic_error(fmt::format("http: route {} added twice", route.pattern));
  impl_->routes.push_back(std::move(route));
}

void HttpHost::restyle_errors(std::string prefix, std::function<HttpReply(HttpReply)> restyle) {
  impl_->error_styles.emplace_back(std::move(prefix), std::move(restyle));
}

const HttpConfig& HttpHost::config() const { return impl_->cfg; }

HttpHost::~HttpHost() {
  stop_accepting();
  finish(std::chrono::milliseconds(0));
}

void HttpHost::start() {
  Impl& m = *impl_;
  const HttpConfig& cfg = m.cfg;
  if (m.daemon) throw HttpError("http: already started");
  m.accepting.store(true);
  std::string why;
  auto addr = parse_host_port(cfg.listen, &why);
  if (!addr) throw HttpError(fmt::format("http.listen: {}", why));
  check_exposure(cfg, *addr);
  const bool tls = !cfg.tls_cert.empty() || !cfg.tls_key.empty();
  TlsFiles tls_files = read_tls_files(cfg);
  m.cert_pem = std::move(tls_files.cert_pem);
  m.key_pem = std::move(tls_files.key_pem);
  int fd = listen_socket(*addr, cfg.listen);  // our own socket: bind errors come back verbatim

  unsigned limit = cfg.connection_limit + kLimitSlack;
  // MHD splits the connection limit among the pool's threads: no thread without a share.
  unsigned threads = std::clamp(cfg.threads, 1u, limit);
  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME |
                   MHD_USE_ITC | MHD_ALLOW_UPGRADE;
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
      flags, 0, &Impl::on_accept, static_cast<void*>(&m), &Impl::on_request, static_cast<void*>(&m),
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

void HttpHost::stop_accepting() { impl_->accepting.store(false); }

void HttpHost::finish(std::chrono::milliseconds deadline) {
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
  m.upgraded.close_all(std::chrono::seconds(2));
  MHD_stop_daemon(m.daemon);
  m.guard.stop();
  m.daemon = nullptr;
  m.port = 0;
}

int HttpHost::port() const { return impl_->port; }

}  // namespace sb::transports
