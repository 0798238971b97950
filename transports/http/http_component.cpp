// http_component.cpp: the [http] configuration keys, documented as conf/switchboard.conf shows
// them (that file is generated from these declarations), and the HttpComponent.
#include "transports/http/http_component.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "transports/http/admin_token.h"
#include "transports/http/xmlrpc_endpoint.h"
#include "transports/net/config_checks.h"

namespace sb::transports {

std::vector<HttpCredential> parse_credentials(std::string_view text, bool tokens,
                                                         std::string* why) {
  std::vector<HttpCredential> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    std::string_view item = text.substr(start, comma == std::string_view::npos ? std::string_view::npos
                                                                               : comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) {
      auto role_colon = item.rfind(':');
      auto first_colon = item.find(':');
      bool shape_ok = role_colon != std::string_view::npos && role_colon > 0 &&
                      (tokens ? first_colon == role_colon
                              : first_colon != role_colon && first_colon > 0);
      if (!shape_ok) {
        // The item holds a secret: say which one is wrong, never echo it.
        if (why) *why = fmt::format("item {} is not {}", out.size() + 1, tokens ? "token:role" : "user:password:role");
        return {};
      }
      std::string_view role = item.substr(role_colon + 1);
      HttpCredential c;
      if (auto r = mi::role_from_string(role)) c.role = *r;
      else {
        if (why) *why = fmt::format("role '{}' is not read_only, operator or admin", role);
        return {};
      }
      if (!tokens && first_colon + 1 == role_colon) {
        if (why) *why = fmt::format("item {} (user '{}') has an empty password", out.size() + 1,
                                    item.substr(0, first_colon));
        return {};
      }
      if (tokens) {
        c.secret = std::string(item.substr(0, role_colon));
        c.name = fmt::format("token#{}", out.size() + 1);
      } else {
        c.name = std::string(item.substr(0, first_colon));
        c.secret = std::string(item.substr(first_colon + 1, role_colon - first_colon - 1));
      }
      out.push_back(std::move(c));
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

namespace {

using gateway::ConfigSection;
using gateway::KeyType;

std::string credential_list(std::string_view v) {
  std::string why;
  parse_credentials(v, false, &why);
  return why;
}

std::string token_list(std::string_view v) {
  std::string why;
  parse_credentials(v, true, &why);
  return why;
}

// clang-format off
const ConfigSection kHttpSection = {
    .name = "http",
    .keys = {
     {.section = "http", .key = "listen", .type = KeyType::string, .default_value = "127.0.0.1:8888",
      .help = "HTTP host:port (/mi, /json, /RPC2, /metrics); empty = none.",
      .check = check_host_port,
      .doc = "HTTP address, host:port: JSON-RPC 2.0 on POST /mi, OpenSIPS mi_json on GET /json/<cmd>,\n"
             "XML-RPC on POST /RPC2, Prometheus on GET /metrics. Security: an address that is not loopback\n"
             "is refused unless basic_auth or tokens are set. Empty: no HTTP. Default: 127.0.0.1:8888."},
     {.section = "http", .key = "threads", .type = KeyType::integer, .default_value = "4",
      .help = "HTTP server threads.",
      .min = 1, .max = 64,
      .doc = "HTTP server threads (1..64). Default: 4."},
     {.section = "http", .key = "max_body", .type = KeyType::integer, .default_value = "1048576",
      .help = "Largest request body in bytes; larger ones get 413.",
      .min = 1024, .max = 67'108'864,
      .doc = "Largest request body in bytes (1024..67108864); larger bodies get 413. Default: 1048576."},
     {.section = "http", .key = "connection_timeout_s", .type = KeyType::integer, .default_value = "30",
      .help = "Seconds an idle or slow HTTP connection is kept.",
      .min = 1, .max = 3600,
      .doc = "Seconds an idle or slow connection is kept before it is closed (1..3600). Default: 30."},
     {.section = "http", .key = "connection_limit", .type = KeyType::integer, .default_value = "256",
      .help = "Concurrent HTTP connections; more are refused.",
      .min = 1, .max = 65536,
      .doc = "Concurrent connections (1..65536). When one more arrives, the oldest connection that has not\n"
             "sent a whole request yet is closed to make room (slowloris: the newcomer gets in at once);\n"
             "only when every connection is busy answering is the newcomer refused with 503. Default: 256."},
     {.section = "http", .key = "per_ip_limit", .type = KeyType::integer, .default_value = "64",
      .help = "Concurrent connections from one IP address; when over, its oldest connection still "
              "sending its request head is closed.",
      .min = 1, .max = 65536,
      .doc = "Concurrent connections from one IP address (1..65536); over it, that address's oldest\n"
             "connection still sending its request is closed. Default: 64."},
     {.section = "http", .key = "header_timeout_s", .type = KeyType::integer, .default_value = "10",
      .help = "Seconds a connection may take to send a whole request (head and body), however "
              "slowly it trickles; idle keep-alive connections are closed after it too.",
      .min = 1, .max = 3600,
      .doc = "Seconds a connection may take to send a whole request, head and body (1..3600): an ABSOLUTE\n"
             "deadline, however slowly the bytes trickle in; an idle keep-alive connection is closed after\n"
             "it too. Counted in http:connections_timed_out (evictions: http:connections_evicted).\n"
             "Default: 10."},
     {.section = "http", .key = "anonymous_role", .type = KeyType::string, .default_value = "read_only",
      .help = "Role of requests without credentials when none are configured (loopback only): "
              "read_only|operator|admin.",
      .check = check_role,
      .doc = "Role of a request without credentials when neither basic_auth nor tokens is set (then HTTP\n"
             "listens on loopback only): read_only, operator or admin. Security: any local process and any\n"
             "web page the machine's user opens can reach loopback HTTP. A request that does send an\n"
             "Authorization header must send a valid credential (401 otherwise). Default: read_only."},
     {.section = "http", .key = "admin_token", .type = KeyType::boolean, .default_value = "on",
      .help = "With no basic_auth and no tokens: create (first start) or read an admin token in "
              "admin-token next to core.db, mode 0600, for the web panel's first log-in.",
      .doc = "When neither basic_auth nor tokens is set, the first start creates an admin token in the\n"
             "file admin-token in core.db's directory (mode 0600, never printed or logged: the log says\n"
             "where it is) and later starts read it; it is accepted as `Authorization: Bearer <token>`\n"
             "(the web panel's log-in takes it). Requests without credentials keep anonymous_role.\n"
             "A token file others may read, or a symbolic link, is refused (logged). Configuring\n"
             "basic_auth or tokens turns it off; so does `off`, or an in-memory core.db. Default: on."},
     {.section = "http", .key = "json_get_writes", .type = KeyType::boolean, .default_value = "off",
      .help = "Let GET /json/<cmd> run commands that change state (OpenSIPS 2 behaviour; any web "
              "page can make a browser send a GET). Off: GET runs read-only commands, others need "
              "POST.",
      .doc = "GET /json/<cmd> runs only commands that change nothing; others answer 405 with\n"
             "`Allow: POST` (send them with POST /json/<cmd>). `on` restores OpenSIPS 2's \"GET runs\n"
             "anything\" for old scripts, and lets any web page run them through <img src=...>.\n"
             "Default: off."},
     {.section = "http", .key = "allowed_hosts", .type = KeyType::string, .default_value = "",
      .help = "Host names accepted in the Host header besides IP addresses and localhost, "
              "comma-separated (DNS rebinding protection).",
      .doc = "Host names accepted in the Host header besides IP addresses and `localhost`, comma-separated\n"
             "(DNS rebinding: a page of evil.example resolved to 127.0.0.1 sends Host: evil.example and is\n"
             "refused with 403). Default: empty."},
     {.section = "http", .key = "allowed_origins", .type = KeyType::string, .default_value = "",
      .help = "Origins (scheme://host[:port]) allowed to call cross-origin (CORS), comma-separated; "
              "a write with any other Origin header gets 403.",
      .doc = "Origins (scheme://host[:port]) whose web pages may call the API from a browser, comma-separated:\n"
             "their answers carry Access-Control-Allow-Origin (that origin, never *) with credentials allowed\n"
             "and ETag/Location/Link exposed, and their preflights (OPTIONS) are answered before authentication.\n"
             "A write (POST, PUT, PATCH, DELETE) whose Origin header is neither the server's own nor listed\n"
             "gets 403; other origins get no CORS header. Default: empty (same origin only)."},
     {.section = "http", .key = "web_dir", .type = KeyType::string, .default_value = "web",
      .help = "The web/ directory (npm packages installed by scripts/setup.sh): /api/v1/docs serves "
              "its Redoc bundle.",
      .path = true, .shipped = "../web",
      .doc = "The repository's web/ directory, where scripts/setup.sh installs the pinned npm packages\n"
             "(npm ci): GET /api/v1/docs serves the REST API reference with its Redoc bundle\n"
             "(node_modules/redoc/bundles/redoc.standalone.js), read once at start, never from a CDN. Without\n"
             "it /api/v1/docs answers 503 saying so. Relative to this file's directory when written here.\n"
             "Default: web (this file: ../web)."},
     {.section = "http", .key = "max_reply", .type = KeyType::integer, .default_value = "16777216",
      .help = "Largest reply body in bytes (a batch included); larger ones are answered with an "
              "error.",
      .min = 4096, .max = 1'073'741'824,
      .doc = "Largest reply body in bytes, a whole batch included (4096..1073741824); a larger reply is\n"
             "answered with an error naming this key instead (JSON-RPC error 413, XML-RPC\n"
             "fault 413). Default: 16777216 (16 MiB)."},
     {.section = "http", .key = "auth_fail_limit", .type = KeyType::integer, .default_value = "10",
      .help = "Failed logins from one IP address within http.auth_fail_window_s before it gets "
              "429.",
      .min = 1, .max = 100'000,
      .doc = "Failed logins (wrong Basic password or unknown token) from one IP address within\n"
             "auth_fail_window_s after which that address gets 429 Too Many Requests (with Retry-After) for\n"
             "auth_fail_window_s seconds, even with the right password (1..100000). The same per-address\n"
             "limiter as the registrar's (registrar.auth_fail_limit) and the monitor's. Every failure is logged at\n"
             "warn with the address, port and user name (for fail2ban) and counted in http:auth_failures.\n"
             "Default: 10."},
     {.section = "http", .key = "auth_fail_window_s", .type = KeyType::integer, .default_value = "60",
      .help = "Window of http.auth_fail_limit, and how long its 429 lasts, in seconds.",
      .min = 1, .max = 86'400,
      .doc = "The window of auth_fail_limit, and how long the 429 lasts, in seconds (1..86400). Default: 60."},
     {.section = "http", .key = "events_max_streams", .type = KeyType::integer, .default_value = "16",
      .help = "Concurrent GET /api/v1/events WebSocket streams; more are answered 503.",
      .min = 1, .max = 1024,
      .doc = "Event streams (GET /api/v1/events, WebSocket) open at once (1..1024); each has a thread.\n"
             "Further upgrades are answered 503. Default: 16."},
     {.section = "http", .key = "events_queue", .type = KeyType::integer, .default_value = "1000",
      .help = "Messages an event stream may have waiting before it is closed (4008).",
      .min = 10, .max = 1'000'000,
      .doc = "Messages an event stream may have waiting to be written (10..1000000). A consumer further\n"
             "behind is closed with WebSocket close code 4008 (\"consumer too slow\"), or cut if it\n"
             "reads nothing at all; nothing else waits for it. Default: 1000."},
     {.section = "http", .key = "events_ping_s", .type = KeyType::integer, .default_value = "20",
      .help = "Seconds between pings of an idle event stream (silent twice as long: dropped).",
      .min = 1, .max = 3600,
      .doc = "An idle event stream is pinged every events_ping_s seconds; a client silent for twice as\n"
             "long (no pong) is dropped (1..3600). Default: 20."},
     {.section = "http", .key = "events_ticket_ttl_s", .type = KeyType::integer, .default_value = "30",
      .help = "Seconds a ticket from POST /api/v1/events/tickets stays valid (single use).",
      .min = 1, .max = 3600,
      .doc = "Seconds a ticket from POST /api/v1/events/tickets stays valid (1..3600). A browser cannot\n"
             "set an Authorization header on a WebSocket: it asks for a ticket with its credentials, then\n"
             "opens /api/v1/events?ticket=<t>; a ticket works once and carries the asker's role. Default: 30."},

     {.section = "http", .key = "tls_cert", .type = KeyType::string, .default_value = "",
      .help = "PEM certificate file; with http.tls_key, HTTP is served over TLS.",
      .path = true, .together_with = "http.tls_key",
      .doc = "TLS: a PEM certificate and its private key (both or neither); TLS 1.2 and 1.3 only.\n"
             "Empty: plain HTTP."},
     {.section = "http", .key = "tls_key", .type = KeyType::string, .default_value = "",
      .help = "PEM private key file for http.tls_cert.",
      .path = true},
     {.section = "http", .key = "basic_auth", .type = KeyType::string, .default_value = "",
      .help = "HTTP Basic users: user:password:role[, ...]; role = read_only|operator|admin.",
      .check = credential_list, .sensitive = true,
      .doc = "HTTP Basic users, comma-separated `user:password:role`, role = read_only (only read-only\n"
             "commands), operator (all but admin commands such as kill) or admin. When basic_auth or tokens\n"
             "is set, every request must authenticate (401 otherwise). An empty password is refused. Off\n"
             "loopback, Basic needs TLS (tls_cert/tls_key) or the daemon refuses to start. Secret: never\n"
             "echoed (errors name the item number; `arg` shows ***). Keep this file mode 0600 when it holds\n"
             "passwords. Default: empty (no users; loopback only)."},
     {.section = "http", .key = "tokens", .type = KeyType::string, .default_value = "",
      .help = "Bearer tokens: token:role[, ...]; role = read_only|operator|admin.",
      .check = token_list, .sensitive = true,
      .doc = "Bearer tokens, comma-separated `token:role` (Authorization: Bearer <token>). Default: empty."},
    },
};
// clang-format on

}  // namespace

HttpConfig http_config(const gateway::Config& cfg) {
  HttpConfig h;
  h.listen = cfg.get_string("http.listen");
  h.threads = static_cast<unsigned>(cfg.get_int("http.threads"));
  h.max_body = static_cast<std::size_t>(cfg.get_int("http.max_body"));
  h.connection_timeout_s = static_cast<unsigned>(cfg.get_int("http.connection_timeout_s"));
  h.connection_limit = static_cast<unsigned>(cfg.get_int("http.connection_limit"));
  h.tls_cert = cfg.get_string("http.tls_cert");
  h.tls_key = cfg.get_string("http.tls_key");
  h.basic = parse_credentials(cfg.get_string("http.basic_auth"), false, nullptr);
  h.tokens = parse_credentials(cfg.get_string("http.tokens"), true, nullptr);
  h.anonymous_role = role_of(cfg.get_string("http.anonymous_role"));
  h.json_get_writes = cfg.get_bool("http.json_get_writes");
  h.allowed_hosts = gateway::split_list(cfg.get_string("http.allowed_hosts"));
  h.allowed_origins = gateway::split_list(cfg.get_string("http.allowed_origins"));
  h.max_reply = static_cast<std::size_t>(cfg.get_int("http.max_reply"));
  h.web_dir = cfg.get_string("http.web_dir");
  h.per_ip_limit = static_cast<unsigned>(cfg.get_int("http.per_ip_limit"));
  h.header_timeout = std::chrono::seconds(cfg.get_int("http.header_timeout_s"));
  h.auth_fail_limit = static_cast<unsigned>(cfg.get_int("http.auth_fail_limit"));
  h.auth_fail_window = std::chrono::seconds(cfg.get_int("http.auth_fail_window_s"));
  h.events_max_streams = static_cast<std::size_t>(cfg.get_int("http.events_max_streams"));
  h.events_queue = static_cast<std::size_t>(cfg.get_int("http.events_queue"));
  h.events_ping = std::chrono::seconds(cfg.get_int("http.events_ping_s"));
  h.events_ticket_ttl = std::chrono::seconds(cfg.get_int("http.events_ticket_ttl_s"));
  return h;
}

void HttpComponent::declare(gateway::ConfigSchema& schema) const { schema.add(kHttpSection); }

void HttpComponent::configure(const gateway::Config& cfg) {
  config_ = http_config(cfg);
  admin_token_ = cfg.get_bool("http.admin_token");
  db_path_ = cfg.get_string("core.db");
}

std::unique_ptr<HttpTransport> HttpComponent::make(mi::Dispatcher& dispatcher) {
  if (admin_token_ && config_.basic.empty() && config_.tokens.empty()) add_admin_token();
  return std::make_unique<HttpTransport>(config_, dispatcher, events_);
}

void HttpComponent::add_admin_token() {
  std::string path = admin_token_path(db_path_);
  if (path.empty()) {
    spdlog::info("http: no credentials configured and core.db is in memory: no admin token "
                 "(set http.tokens or http.basic_auth to log in to the web panel as admin)");
    return;
  }
  bool created = false;
  std::string why;
  auto token = load_or_create_admin_token(path, &created, &why);
  if (!token) {
    spdlog::warn("http: {}; the web panel can only log in read-only", why);
    return;
  }
  config_.tokens.push_back(std::move(*token));
  config_.anonymous_with_token = true;
  spdlog::info("http: no credentials configured: {} the admin token in {} (mode 0600); log in to the "
               "web panel at http://{}/ with it", created ? "created" : "using", path, config_.listen);
}

void HttpComponent::register_commands(gateway::Runtime& rt) {
  register_xmlrpc_commands(rt.registry);
  events_ = rt.events;
}

std::string HttpComponent::describe() const {
  return "HTTP: " + (server_ ? "port " + std::to_string(server_->port()) : std::string("disabled"));
}

std::vector<gateway::Announcement> HttpComponent::announcements() const {
  if (!server_) return {};
  // listen is host:port or [v6]:port (checked at load): the address is what precedes the port.
  std::string address = config_.listen.substr(0, config_.listen.rfind(':'));
  if (address.size() > 2 && address.front() == '[') address = address.substr(1, address.size() - 2);
  bool tls = !config_.tls_cert.empty() && !config_.tls_key.empty();
  int port = server_->port();
  return {{.what = "mi", .type = "_switchboard-mi._tcp", .address = address, .port = port,
           .txt = {std::string("version=") + SB_VERSION, "api=/api/v1", tls ? "tls=1" : "tls=0",
                   "mi=/mi"}},
          {.what = "panel", .type = tls ? "_https._tcp" : "_http._tcp", .address = address, .port = port,
           .txt = {"path=/"}}};
}

}  // namespace sb::transports
