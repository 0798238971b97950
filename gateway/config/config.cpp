// config.cpp: the key schema, value parsing and the inih-based loader (see config.h).
//
// Threading: loading runs on one thread at startup; the schema is an immutable static table.
// inih is used through ini_parse_stream() with our own line reader, so that every handler call
// and every syntax error can be tied to its line number (the Debian build of inih does not pass
// line numbers to the handler).
#include "gateway/config/config.h"

#include <filesystem>

#include "gateway/calls/cause_map.h"

#include "gateway/sip/sip_stack.h"

#include "transports/net/address.h"

#include <ini.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>

#include <fmt/format.h>

namespace sb::gateway {

std::vector<transports::HttpCredential> parse_credentials(std::string_view text, bool tokens,
                                                         std::string* why) {
  std::vector<transports::HttpCredential> out;
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
      transports::HttpCredential c;
      if (role == "read_only") c.role = mi::Role::read_only;
      else if (role == "operator") c.role = mi::Role::operator_;
      else if (role == "admin") c.role = mi::Role::admin;
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

std::string absolute_path(std::string_view v) {
  if (v.empty() || v.front() != '/') return fmt::format("'{}' is not an absolute path", v);
  return {};
}

std::string host_port(std::string_view v) {
  if (v.empty()) return {};
  std::string why;
  return transports::parse_host_port(v, &why) ? std::string() : why;
}

std::string credential_list(std::string_view v) {
  std::string why;
  parse_credentials(v, false, &why);
  return why;
}

std::string role_name(std::string_view v) {
  return v == "read_only" || v == "operator" || v == "admin"
             ? std::string()
             : fmt::format("'{}' is not read_only, operator or admin", v);
}

std::string db_sync(std::string_view v) {
  return v == "normal" || v == "full" ? std::string() : fmt::format("'{}' is neither normal nor full", v);
}

std::string sip_listen(std::string_view v) {
  try {
    parse_listen_list(std::string(v));
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return {};
}

std::string token_list(std::string_view v) {
  std::string why;
  parse_credentials(v, true, &why);
  return why;
}

// clang-format off
const std::vector<KeySpec> kSchema = {
  {"core", "log_level", KeyType::log_level, "info",
   "Log threshold: trace|debug|info|warn|error|critical|off."},
  {"core", "log_file", KeyType::string, "",
   "Append the log to this file; empty = standard error (discarded once daemonized).", 0, 0,
   nullptr, false, true},
  {"core", "pid_file", KeyType::string, "",
   "Write the daemon's pid here while it runs; empty = no pid file.", 0, 0, nullptr, false, true},
  {"core", "workers_min", KeyType::integer, "2",
   "MI worker threads kept running.", 1, 256},
  {"core", "workers_max", KeyType::integer, "64",
   "Upper bound of MI worker threads (>= core.workers_min).", 1, 4096},
  {"core", "call_timeout_ms", KeyType::integer, "60000",
   "Milliseconds before a still-running command is answered with 408.", 100, 3'600'000},
  {"core", "shutdown_timeout_ms", KeyType::integer, "5000",
   "Milliseconds SIGTERM/SIGINT waits for in-flight commands before exiting.", 0, 600'000},
  {"core", "db", KeyType::string, "./var/switchboard.db",
   "SQLite database (subscribers, usrloc, provisioning); empty = in memory, lost at exit.", 0, 0,
   nullptr, false, true},
  {"core", "db_sync", KeyType::string, "normal",
   "normal: a commit survives a crash or kill -9; full: also a power loss (an fsync per commit).",
   0, 0, db_sync},
  {"core", "max_nesting", KeyType::integer, "64",
   "Deepest nesting of arrays/objects (JSON) or array/struct values (XML-RPC) in a request; "
   "deeper ones are refused (-32600) before they are parsed.", 8, 1024},
  {"core", "max_batch", KeyType::integer, "100",
   "Most requests in one JSON-RPC batch or XML-RPC system.multicall (more: -32600).", 1, 100'000},
  {"fifo", "path", KeyType::string, "./var/run/switchboard_fifo",
   "Path of the management FIFO (its directory is created 0750); empty = no FIFO.", 0, 0, nullptr,
   false, true},
  {"fifo", "mode", KeyType::file_mode, "0660",
   "Octal permissions of the FIFO (anyone who can write it can run every command).", 0, 0777},
  {"fifo", "user", KeyType::string, "",
   "Owner (user name) of the FIFO; empty = the daemon's user."},
  {"fifo", "group", KeyType::string, "",
   "Group (name) of the FIFO; empty = the daemon's group."},
  {"fifo", "reply_dir", KeyType::string, "/tmp",
   "Absolute directory where clients create their reply FIFOs.", 0, 0, absolute_path},
  {"fifo", "max_request", KeyType::integer, "65536",
   "Largest request in bytes; larger ones are answered with 400.", 512, 16'777'216},
  {"fifo", "reply_timeout_ms", KeyType::integer, "2000",
   "Milliseconds allowed for writing one reply to a client's FIFO.", 10, 600'000},
  {"fifo", "request_timeout_ms", KeyType::integer, "5000",
   "Milliseconds an incomplete request may wait for its end before it is dropped (400).", 100,
   600'000},
  {"datagram", "unix", KeyType::string, "./var/run/switchboard.sock",
   "Path of the unix datagram socket (its directory is created 0750); empty = none.", 0, 0,
   nullptr, false, true},
  {"datagram", "unix_mode", KeyType::file_mode, "0660",
   "Octal permissions of the unix socket (anyone who can write it can run every command).", 0, 0777},
  {"datagram", "udp", KeyType::string, "",
   "UDP host:port for datagram requests (e.g. 127.0.0.1:8094); empty = none (the default: any "
   "local process can send UDP).", 0, 0, host_port},
  {"datagram", "udp_role", KeyType::string, "read_only",
   "Role of every UDP request (no authentication on datagrams): read_only|operator|admin.", 0, 0,
   role_name},
  {"datagram", "udp_allow_remote", KeyType::boolean, "off",
   "Allow datagram.udp on a non-loopback address (refused otherwise: no authentication, and a "
   "small request can get a large reply)."},
  {"datagram", "workers", KeyType::integer, "4",
   "Receiving threads per datagram socket.", 1, 64},
  {"datagram", "max_size", KeyType::integer, "65457",
   "Largest request and reply datagram in bytes; larger replies get a 413 answer.", 1024, 65507},
  {"http", "listen", KeyType::string, "127.0.0.1:8888",
   "HTTP host:port (/mi, /json, /RPC2, /metrics); empty = none.", 0, 0, host_port},
  {"http", "threads", KeyType::integer, "4",
   "HTTP server threads.", 1, 64},
  {"http", "max_body", KeyType::integer, "1048576",
   "Largest request body in bytes; larger ones get 413.", 1024, 67'108'864},
  {"http", "connection_timeout_s", KeyType::integer, "30",
   "Seconds an idle or slow HTTP connection is kept.", 1, 3600},
  {"http", "connection_limit", KeyType::integer, "256",
   "Concurrent HTTP connections; more are refused.", 1, 65536},
  {"http", "anonymous_role", KeyType::string, "read_only",
   "Role of requests without credentials when none are configured (loopback only): "
   "read_only|operator|admin.", 0, 0, role_name},
  {"http", "json_get_writes", KeyType::boolean, "off",
   "Let GET /json/<cmd> run commands that change state (OpenSIPS 2 behaviour; any web page can "
   "make a browser send a GET). Off: GET runs read-only commands, others need POST."},
  {"http", "allowed_hosts", KeyType::string, "",
   "Host names accepted in the Host header besides IP addresses and localhost, comma-separated "
   "(DNS rebinding protection)."},
  {"http", "allowed_origins", KeyType::string, "",
   "Origins (scheme://host[:port]) allowed to POST cross-origin, comma-separated; a request with "
   "any other Origin header gets 403."},
  {"http", "max_reply", KeyType::integer, "16777216",
   "Largest reply body in bytes (a batch included); larger ones are answered with an error.",
   4096, 1'073'741'824},
  {"http", "per_ip_limit", KeyType::integer, "64",
   "Concurrent connections from one IP address; when over, its oldest connection still "
   "sending its request head is closed.", 1, 65536},
  {"http", "header_timeout_s", KeyType::integer, "10",
   "Seconds a connection may take to send a whole request (head and body), however slowly "
   "it trickles; idle keep-alive connections are closed after it too.", 1, 3600},
  {"http", "auth_fail_limit", KeyType::integer, "10",
   "Failed logins from one IP address within http.auth_fail_window_s before it gets 429.", 1,
   100'000},
  {"http", "auth_fail_window_s", KeyType::integer, "60",
   "Window of http.auth_fail_limit, and how long its 429 lasts, in seconds.", 1, 86'400},
  {"http", "tls_cert", KeyType::string, "",
   "PEM certificate file; with http.tls_key, HTTP is served over TLS.", 0, 0, nullptr, false, true},
  {"http", "tls_key", KeyType::string, "",
   "PEM private key file for http.tls_cert.", 0, 0, nullptr, false, true},
  {"http", "basic_auth", KeyType::string, "",
   "HTTP Basic users: user:password:role[, ...]; role = read_only|operator|admin.", 0, 0,
   credential_list, true},
  {"http", "tokens", KeyType::string, "",
   "Bearer tokens: token:role[, ...]; role = read_only|operator|admin.", 0, 0, token_list, true},
  {"monitor", "listen", KeyType::string, "127.0.0.1:54322",
   "ISGW telnet status monitor host:port (telnet/nc); empty = none.", 0, 0, host_port},
  {"monitor", "password", KeyType::string, "",
   "`login <password>` on a monitor connection gives the admin role; when set, required everywhere.",
   0, 0, nullptr, true},
  {"monitor", "anonymous_role", KeyType::string, "read_only",
   "Role of a connection that has not logged in (loopback only without monitor.password): "
   "read_only|operator|admin.", 0, 0, role_name},
  {"monitor", "login_timeout_s", KeyType::integer, "30",
   "Seconds a new connection has to send its first complete line (slow clients are closed).", 1,
   3600},
  {"monitor", "max_output", KeyType::integer, "1048576",
   "Bytes of output queued for one connection; a client that does not read is disconnected.",
   4096, 268'435'456},
  {"monitor", "auth_fail_limit", KeyType::integer, "10",
   "Failed logins from one IP address within 60 s before its logins are refused for a minute.",
   1, 100'000},
  {"monitor", "max_connections", KeyType::integer, "16",
   "Concurrent monitor connections; one more gets a one-line refusal.", 1, 1024},
  {"monitor", "idle_timeout_s", KeyType::integer, "300",
   "Seconds a monitor connection may stay idle (no input, no command running).", 1, 86'400},
  {"monitor", "max_line", KeyType::integer, "1024",
   "Longest monitor input line in bytes; longer ones are answered with an error.", 16, 65'536},
  {"sip", "listen", KeyType::string, "udp:127.0.0.1:5060",
   "SIP listeners: udp:HOST:PORT or tcp:HOST:PORT[, ...]; empty = no SIP engine.", 0, 0, sip_listen},
  {"sip", "t1_ms", KeyType::integer, "500",
   "SIP timer T1 in ms; a request without a final reply times out after 64*T1 (32 s).", 10, 10'000},
  {"sip", "max_queue", KeyType::integer, "4096",
   "Management commands waiting for the SIP engine thread; one more is answered 503.", 1, 1'048'576},
  {"sip", "overload_backlog_pct", KeyType::integer, "50",
   "Overload: while datagrams waiting in a UDP listener fill more than this percentage of its "
   "receive buffer, new requests get 503 with Retry-After; 100 = never.", 1, 100},
  {"tm", "max_transactions", KeyType::integer, "1024",
   "t_uac_dlg transactions in flight at once; one more is answered 503.", 1, 1'048'576},
  {"registrar", "auth", KeyType::boolean, "off",
   "Challenge REGISTER with digest authentication against the subscriber table."},
  {"registrar", "realm", KeyType::string, "",
   "Digest realm; empty = the domain of the AOR being registered."},
  {"registrar", "min_expires", KeyType::integer, "60",
   "Shortest registration accepted in seconds (shorter: 423 Interval Too Brief).", 0, 86'400},
  {"registrar", "max_expires", KeyType::integer, "3600",
   "Longest registration granted in seconds (longer ones are shortened).", 1, 31'536'000},
  {"registrar", "default_expires", KeyType::integer, "3600",
   "Lifetime of a binding whose REGISTER gives no expires.", 1, 31'536'000},
  {"registrar", "max_contacts", KeyType::integer, "10",
   "Contacts per AOR (more: 403); 0 = no limit.", 0, 10'000},
  {"registrar", "nonce_expires_s", KeyType::integer, "300",
   "Seconds a digest nonce stays fresh; older ones get stale=true.", 5, 86'400},
  {"registrar", "nonce_table_size", KeyType::integer, "65536",
   "Digest nonces whose use (nc) is tracked; when full the oldest is evicted (its user is "
   "challenged again).", 16, 16'777'216},
  {"registrar", "auth_fail_limit", KeyType::integer, "10",
   "Digest authentication failures from one source IP, within auth_fail_window_s, that ban it "
   "(403) for auth_ban_s; 0 = never ban.", 0, 1'000'000},
  {"registrar", "auth_fail_window_s", KeyType::integer, "60",
   "Seconds over which authentication failures from one source IP are counted.", 1, 86'400},
  {"registrar", "auth_ban_s", KeyType::integer, "60",
   "Seconds a source IP stays banned after auth_fail_limit failures.", 1, 86'400},
  {"registrar", "auth_fail_table_size", KeyType::integer, "4096",
   "Source IPs whose authentication failures are tracked; when full the least recently seen "
   "is forgotten.", 16, 1'048'576},
  {"usrloc", "timer_interval_s", KeyType::integer, "1",
   "Seconds between two sweeps that remove expired bindings.", 1, 3600},
  {"calls", "ring_timeout_s", KeyType::integer, "60",
   "Seconds a call may ring without an answer before it fails (480, Q.850 cause 19); a dialplan "
   "rule's timeout_s option overrides it.", 1, 600},
  {"calls", "max_calls", KeyType::integer, "1000",
   "Concurrent calls; one more INVITE is answered 503 Too Many Calls (Retry-After: 5).", 1, 100000},
  {"calls", "q850_to_sip", KeyType::string, "",
   "Overrides of the Q.850 cause -> SIP status map (RFC 3398), e.g. \"17=486, 34=503\".", 0, 0,
   [](std::string_view v) { return check_cause_overrides(std::string(v), true); }},
  {"calls", "sip_to_q850", KeyType::string, "",
   "Overrides of the SIP status -> Q.850 cause map (RFC 3398), e.g. \"486=17, 503=34\".", 0, 0,
   [](std::string_view v) { return check_cause_overrides(std::string(v), false); }},
  {"accounts", "retry_min_s", KeyType::integer, "30",
   "Seconds before the first retry of a failed outbound registration (then doubling).", 1, 3600},
  {"accounts", "retry_max_s", KeyType::integer, "300",
   "Longest delay between two retries of a failed outbound registration, in seconds.", 1, 86'400},
  {"modules", "path", KeyType::string, "",
   "Directories (separated by ':') searched in order for the files named in modules.load."},
  {"modules", "load", KeyType::string, "",
   "Modules loaded at start-up, comma-separated: absolute paths or names found in modules.path "
   "('.so' may be left out); each is configured by its [module.<name>] section."},
};
// clang-format on

constexpr std::string_view kLogLevels[] = {"trace", "debug",    "info", "warn",
                                           "error", "critical", "off"};

constexpr std::string_view kModulePrefix = "module.";

/// Module and module-parameter names: [A-Za-z_][A-Za-z0-9_]*.
bool identifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

/// `[module.<name>]`: a loadable module's parameters.
bool module_section(std::string_view section) {
  return section.substr(0, kModulePrefix.size()) == kModulePrefix &&
         identifier(section.substr(kModulePrefix.size()));
}

bool known_section(std::string_view section) {
  return module_section(section) ||
         std::any_of(kSchema.begin(), kSchema.end(),
                     [&](const KeySpec& s) { return s.section == section; });
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string unknown_section_message(std::string_view section) {
  std::vector<std::string> sections;
  for (const auto& s : kSchema)
    if (std::find(sections.begin(), sections.end(), s.section) == sections.end())
      sections.emplace_back(s.section);
  std::vector<std::string> bracketed;
  for (const auto& s : sections) bracketed.push_back("[" + s + "]");
  return fmt::format("unknown section [{}]{}", section,
                     did_you_mean(fmt::format("[{}]", section), bracketed));
}

std::string unknown_key_message(std::string_view section, std::string_view key) {
  std::vector<std::string> names;
  for (const auto& s : kSchema) names.push_back(s.name());
  return fmt::format("unknown key '{}.{}'{}", section, key,
                     did_you_mean(fmt::format("{}.{}", section, key), names));
}

/// Parses `text` by the spec's type into `number`; returns why it is refused, or "".
std::string parse_value(const KeySpec& spec, std::string_view text, std::int64_t& number) {
  switch (spec.type) {
    case KeyType::string:
      break;
    case KeyType::integer: {
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
      bool whole = !text.empty() && end == text.data() + text.size();
      if (!whole || (ec != std::errc() && ec != std::errc::result_out_of_range))
        return fmt::format("'{}' is not an integer", text);
      if (ec == std::errc::result_out_of_range || number < spec.min || number > spec.max)
        return fmt::format("'{}' is out of range {}..{}", text, spec.min, spec.max);
      break;
    }
    case KeyType::boolean:
      if (text == "true" || text == "yes" || text == "on" || text == "1") number = 1;
      else if (text == "false" || text == "no" || text == "off" || text == "0") number = 0;
      else return fmt::format("'{}' is not a boolean (true|false|yes|no|on|off|1|0)", text);
      break;
    case KeyType::file_mode: {
      bool octal = !text.empty() && text.size() <= 12 &&
                   std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '7'; });
      if (octal) std::from_chars(text.data(), text.data() + text.size(), number, 8);
      if (!octal || number > spec.max)
        return fmt::format("'{}' is not an octal mode <= 0{:o}", text, spec.max);
      break;
    }
    case KeyType::log_level:
      if (std::find(std::begin(kLogLevels), std::end(kLogLevels), text) == std::end(kLogLevels))
        return fmt::format("'{}' is not a log level (trace|debug|info|warn|error|critical|off)",
                           text);
      break;
  }
  return spec.check ? spec.check(text) : std::string();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' ||
                        s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

/// State of one ini_parse_stream() run: the reader hands inih one line at a time, so `line` is
/// the number of the line the handler is being called for.
struct IniRun {
  /// Stores one value (Config's private setter); returns why it was refused, or "".
  std::function<std::string(std::string_view name, std::string_view value,
                            const std::string& origin)>
      set;
  const std::string* origin;
  std::string_view rest;
  int line = 0;
  std::string raw{};                    ///< current line, without its line break
  std::vector<std::string> lines{};     ///< every line read so far, for syntax-error messages
  std::map<int, std::string> errors{};  ///< first problem per line, without location
};

char* read_line(char* buf, int size, void* stream) {
  auto& run = *static_cast<IniRun*>(stream);
  if (run.rest.empty()) return nullptr;
  std::size_t nl = run.rest.find('\n');
  std::size_t len = nl == std::string_view::npos ? run.rest.size() : nl + 1;
  std::string_view text = run.rest.substr(0, len);
  run.rest.remove_prefix(len);
  ++run.line;
  run.raw.assign(text);
  while (!run.raw.empty() && (run.raw.back() == '\n' || run.raw.back() == '\r')) run.raw.pop_back();
  run.lines.push_back(run.raw);

  // inih's line buffer is fixed; a longer line would be split into two "lines" silently.
  std::size_t max = static_cast<std::size_t>(size) - 2;  // room for the line break and NUL
  if (run.raw.size() > max)
    run.errors.emplace(run.line, fmt::format("line is longer than {} characters", max));
  std::size_t n = std::min(text.size(), static_cast<std::size_t>(size) - 1);
  std::memcpy(buf, text.data(), n);
  buf[n] = '\0';

  // Section headers never reach the handler (and empty sections would go unnoticed).
  std::string_view t = trim(run.raw);
  if (run.line == 1 && t.substr(0, 3) == "\xEF\xBB\xBF") t.remove_prefix(3);  // UTF-8 BOM
  if (!t.empty() && t.front() == '[') {
    std::size_t close = t.find(']');
    if (close != std::string_view::npos && !known_section(t.substr(1, close - 1)))
      run.errors.emplace(run.line, unknown_section_message(t.substr(1, close - 1)));
  }
  return buf;
}

int on_key(void* user, const char* section, const char* name, const char* value) {
  auto& run = *static_cast<IniRun*>(user);
  std::string_view sec(section), key(name);
  if (!run.raw.empty() && (run.raw.front() == ' ' || run.raw.front() == '\t')) {
    run.errors.emplace(run.line,
                       "unexpected indentation (an indented line continues the previous value "
                       "in ini files); start keys at the beginning of the line");
    return 0;
  }
  if (sec.empty()) {
    run.errors.emplace(run.line, fmt::format("key '{}' is outside any [section]", key));
    return 0;
  }
  if (!known_section(sec)) {  // also reported at its header line, which comes first
    run.errors.emplace(run.line, unknown_section_message(sec));
    return 0;
  }
  std::string msg =
      run.set(fmt::format("{}.{}", sec, key), value, fmt::format("{}:{}", *run.origin, run.line));
  if (msg.empty()) return 1;
  run.errors.emplace(run.line, std::move(msg));
  return 0;
}

std::string syntax_error(std::string_view line) {
  std::string_view t = trim(line);
  if (!t.empty() && t.front() == '[')
    return fmt::format("malformed section header '{}' (expected [section])", t);
  return fmt::format("syntax error: expected 'key = value', '[section]' or a comment, got '{}'",
                     t);
}

}  // namespace

std::string did_you_mean(std::string_view wrong, const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  std::size_t best_d = 3;
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(wrong, c);
    if (d < best_d) best_d = d, best = &c;
  }
  return best ? fmt::format(" (did you mean '{}'?)", *best) : std::string();
}

std::string KeySpec::name() const { return fmt::format("{}.{}", section, key); }

const std::vector<KeySpec>& config_schema() { return kSchema; }

std::string config_reference(std::size_t indent) {
  std::string pad(indent, ' ');
  std::string out;
  for (const auto& s : kSchema) {
    std::string limits;
    if (s.type == KeyType::integer) limits = fmt::format("  [{}..{}]", s.min, s.max);
    if (s.type == KeyType::file_mode) limits = fmt::format("  [octal, <= 0{:o}]", s.max);
    std::string_view sep = s.default_value.empty() ? " =" : " = ";
    out += fmt::format("{}{}{}{}{}\n{}    {}\n", pad, s.name(), sep, s.default_value, limits, pad,
                       s.help);
  }
  return out;
}

Config::Config() {
  for (const auto& s : kSchema) {
    Entry e{&s, std::string(s.default_value)};
    [[maybe_unused]] std::string err = parse_value(s, e.text, e.number);
    entries_.emplace(s.name(), std::move(e));
  }
}

std::string Config::set_module_param(std::string_view name, std::string_view value,
                                     const std::string& origin) {
  std::string_view rest = name.substr(kModulePrefix.size());
  std::size_t dot = rest.find('.');
  std::string_view module = rest.substr(0, dot);
  if (dot == std::string_view::npos || !identifier(module))
    return fmt::format("'{}' is not module.<name>.<key> (names: letters, digits, '_')", name);
  std::string_view key = rest.substr(dot + 1);
  if (!identifier(key))
    return fmt::format("bad module parameter name '{}' in [module.{}] (letters, digits, '_')", key,
                       module);
  auto [it, inserted] = module_params_.try_emplace(std::string(module));
  it->second[std::string(key)] = ModuleParamSetting{std::string(value), origin};
  return {};
}

std::string Config::set(std::string_view name, std::string_view value, const std::string& origin) {
  if (name.substr(0, kModulePrefix.size()) == kModulePrefix)
    return set_module_param(name, value, origin);
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    std::size_t dot = name.find('.');
    std::string_view section = name.substr(0, dot);
    if (!known_section(section)) return unknown_section_message(section);
    return unknown_key_message(section, name.substr(dot + 1));
  }
  Entry& e = it->second;
  std::int64_t number = 0;
  if (std::string why = parse_value(*e.spec, value, number); !why.empty())
    return fmt::format("bad value for '{}': {}", name, why);
  e.text.assign(value);
  if (e.spec->path && !base_dir_.empty() && !value.empty() && value.front() != '/') {
    e.text = (std::filesystem::path(base_dir_) / std::string(value)).lexically_normal().string();
  }
  e.number = number;
  e.origin = origin;
  e.seq = next_seq_++;
  return {};
}

void Config::load_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw ConfigError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::string text;
  char buf[8192];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  int err = std::ferror(f) ? errno : 0;
  std::fclose(f);
  if (err) throw ConfigError(fmt::format("{}: cannot read: {}", path, std::strerror(err)));
  auto slash = path.rfind('/');
  base_dir_ = slash == std::string::npos ? std::string(".") : path.substr(0, slash == 0 ? 1 : slash);
  try {
    load_string(text, path);
  } catch (...) {
    base_dir_.clear();
    throw;
  }
  base_dir_.clear();
}

void Config::load_string(std::string_view text, const std::string& origin) {
  Config next = *this;
  IniRun run{[&next](std::string_view n, std::string_view v, const std::string& o) {
                return next.set(n, v, o);
              },
              &origin, text};
  int rc = ini_parse_stream(read_line, &run, on_key, &run);
  if (rc == -2) throw ConfigError(fmt::format("{}: out of memory while parsing", origin));
  if (rc > 0 && !run.errors.count(rc) && rc <= static_cast<int>(run.lines.size()))
    run.errors.emplace(rc, syntax_error(run.lines[rc - 1]));
  if (!run.errors.empty()) {
    const auto& [line, msg] = *run.errors.begin();
    throw ConfigError(fmt::format("{}:{}: {}", origin, line, msg));
  }
  *this = std::move(next);
}

bool is_sensitive_key(std::string_view name) {
  for (const KeySpec& k : kSchema)
    if (k.sensitive && k.name() == name) return true;
  return false;
}

std::string mask_assignment(std::string_view assignment,
                            bool (*secret_module_param)(std::string_view, std::string_view, const void*),
                            const void* ctx) {
  constexpr std::string_view kSet = "--set ";
  if (assignment.substr(0, kSet.size()) == kSet)
    return std::string(kSet) + mask_assignment(assignment.substr(kSet.size()), secret_module_param, ctx);
  std::size_t eq = assignment.find('=');
  if (eq == std::string_view::npos) return std::string(assignment);
  std::string_view name = trim(assignment.substr(0, eq));
  bool secret = is_sensitive_key(name);
  if (name.substr(0, kModulePrefix.size()) == kModulePrefix) {
    std::string_view rest = name.substr(kModulePrefix.size());
    std::size_t dot = rest.find('.');
    secret = dot != std::string_view::npos &&
             (!secret_module_param || secret_module_param(rest.substr(0, dot), rest.substr(dot + 1), ctx));
  }
  if (!secret) return std::string(assignment);
  return fmt::format("{}={}", assignment.substr(0, eq), kMaskedValue);
}

std::vector<std::string> mask_command_line(
    const std::vector<std::string>& argv,
    bool (*secret_module_param)(std::string_view, std::string_view, const void*), const void* ctx) {
  std::vector<std::string> out;
  out.reserve(argv.size());
  bool value_next = false;
  for (const std::string& a : argv) {
    if (value_next) {
      out.push_back(mask_assignment(a, secret_module_param, ctx));
      value_next = false;
    } else if (a == "--set") {
      out.push_back(a);
      value_next = true;
    } else if (a.rfind("--set=", 0) == 0) {
      out.push_back("--set=" + mask_assignment(std::string_view(a).substr(6), secret_module_param, ctx));
    } else {
      out.push_back(a);
    }
  }
  return out;
}

void Config::apply_override(std::string_view assignment) {
  // The origin is quoted in error messages: never with a secret in it. A module parameter's
  // secrecy is known only once its module is loaded: the module loader masks those origins.
  std::string origin = fmt::format(
      "--set {}", mask_assignment(assignment, [](std::string_view, std::string_view, const void*) {
        return false;
      }));
  std::size_t eq = assignment.find('=');
  std::string_view name = eq == std::string_view::npos ? assignment : trim(assignment.substr(0, eq));
  std::size_t dot = name.find('.');
  if (eq == std::string_view::npos || dot == std::string_view::npos || dot == 0 ||
      dot + 1 == name.size())
    throw ConfigError(fmt::format("{}: expected section.key=value", origin));
  if (std::string why = set(name, assignment.substr(eq + 1), origin); !why.empty())
    throw ConfigError(fmt::format("{}: {}", origin, why));
}

void Config::validate() const {
  const Entry& cert = entry("http.tls_cert", KeyType::string);
  const Entry& key = entry("http.tls_key", KeyType::string);
  if (cert.text.empty() != key.text.empty()) {
    const Entry& set = cert.text.empty() ? key : cert;
    throw ConfigError(fmt::format("{}: bad value for '{}': http.tls_cert and http.tls_key go "
                                  "together (set both for TLS, or neither)",
                                  set.origin, cert.text.empty() ? "http.tls_key" : "http.tls_cert"));
  }
  // Pairs where the first may not exceed the second. Blame whichever of the two was set last:
  // that is the one the user just changed.
  const std::pair<const char*, const char*> ordered[] = {
      {"core.workers_min", "core.workers_max"},
      {"registrar.min_expires", "registrar.max_expires"},
      {"accounts.retry_min_s", "accounts.retry_max_s"},
  };
  for (const auto& [low_key, high_key] : ordered) {
    const Entry& lo = entry(low_key, KeyType::integer);
    const Entry& hi = entry(high_key, KeyType::integer);
    if (hi.number >= lo.number) continue;
    if (hi.seq >= lo.seq)
      throw ConfigError(fmt::format("{}: bad value for '{}': {} is less than {} ({}, {})", hi.origin,
                                    high_key, hi.number, low_key, lo.number, lo.origin));
    throw ConfigError(fmt::format("{}: bad value for '{}': {} is greater than {} ({}, {})", lo.origin,
                                  low_key, lo.number, high_key, hi.number, hi.origin));
  }
}

const Config::Entry& Config::entry(std::string_view name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) throw std::logic_error(fmt::format("undeclared config key '{}'", name));
  return it->second;
}

const Config::Entry& Config::entry(std::string_view name, KeyType type) const {
  const Entry& e = entry(name);
  if (e.spec->type != type)
    throw std::logic_error(fmt::format("config key '{}' read with the wrong type", name));
  return e;
}

const std::string& Config::get_string(std::string_view name) const {
  const Entry& e = entry(name);
  if (e.spec->type != KeyType::string && e.spec->type != KeyType::log_level)
    throw std::logic_error(fmt::format("config key '{}' is not a string", name));
  return e.text;
}

std::int64_t Config::get_int(std::string_view name) const {
  return entry(name, KeyType::integer).number;
}

bool Config::get_bool(std::string_view name) const {
  return entry(name, KeyType::boolean).number != 0;
}

mode_t Config::get_mode(std::string_view name) const {
  return static_cast<mode_t>(entry(name, KeyType::file_mode).number);
}

const std::string& Config::origin(std::string_view name) const { return entry(name).origin; }

Config load_config(const std::string& file, const std::vector<std::string>& overrides) {
  Config cfg;
  if (!file.empty()) cfg.load_file(file);
  for (const auto& o : overrides) cfg.apply_override(o);
  cfg.validate();
  return cfg;
}

namespace {

mi::Role role_of(const std::string& name) {
  if (name == "admin") return mi::Role::admin;
  if (name == "operator") return mi::Role::operator_;
  return mi::Role::read_only;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::string_view rest(text);
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view item = trim(rest.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace

mi::DecodeLimits decode_limits(const Config& cfg) {
  return mi::DecodeLimits{static_cast<std::size_t>(cfg.get_int("core.max_nesting")),
                          static_cast<std::size_t>(cfg.get_int("core.max_batch"))};
}

transports::FifoConfig fifo_config(const Config& cfg) {
  transports::FifoConfig f;
  f.path = cfg.get_string("fifo.path");
  f.mode = cfg.get_mode("fifo.mode");
  f.user = cfg.get_string("fifo.user");
  f.group = cfg.get_string("fifo.group");
  f.reply_dir = cfg.get_string("fifo.reply_dir");
  f.max_request = static_cast<std::size_t>(cfg.get_int("fifo.max_request"));
  f.reply_timeout = std::chrono::milliseconds(cfg.get_int("fifo.reply_timeout_ms"));
  f.request_timeout = std::chrono::milliseconds(cfg.get_int("fifo.request_timeout_ms"));
  return f;
}

transports::DatagramConfig datagram_config(const Config& cfg) {
  transports::DatagramConfig d;
  d.unix_path = cfg.get_string("datagram.unix");
  d.unix_mode = cfg.get_mode("datagram.unix_mode");
  d.udp = cfg.get_string("datagram.udp");
  d.udp_role = role_of(cfg.get_string("datagram.udp_role"));
  d.udp_allow_remote = cfg.get_bool("datagram.udp_allow_remote");
  d.workers = static_cast<std::size_t>(cfg.get_int("datagram.workers"));
  d.max_size = static_cast<std::size_t>(cfg.get_int("datagram.max_size"));
  return d;
}

transports::HttpConfig http_config(const Config& cfg) {
  transports::HttpConfig h;
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
  h.allowed_hosts = split_list(cfg.get_string("http.allowed_hosts"));
  h.allowed_origins = split_list(cfg.get_string("http.allowed_origins"));
  h.max_reply = static_cast<std::size_t>(cfg.get_int("http.max_reply"));
  h.per_ip_limit = static_cast<unsigned>(cfg.get_int("http.per_ip_limit"));
  h.header_timeout = std::chrono::seconds(cfg.get_int("http.header_timeout_s"));
  h.auth_fail_limit = static_cast<unsigned>(cfg.get_int("http.auth_fail_limit"));
  h.auth_fail_window = std::chrono::seconds(cfg.get_int("http.auth_fail_window_s"));
  return h;
}

transports::MonitorConfig monitor_config(const Config& cfg) {
  transports::MonitorConfig m;
  m.listen = cfg.get_string("monitor.listen");
  m.password = cfg.get_string("monitor.password");
  m.anonymous_role = role_of(cfg.get_string("monitor.anonymous_role"));
  m.login_timeout = std::chrono::seconds(cfg.get_int("monitor.login_timeout_s"));
  m.max_output = static_cast<std::size_t>(cfg.get_int("monitor.max_output"));
  m.auth_fail_limit = static_cast<unsigned>(cfg.get_int("monitor.auth_fail_limit"));
  m.max_connections = static_cast<unsigned>(cfg.get_int("monitor.max_connections"));
  m.idle_timeout_s = static_cast<unsigned>(cfg.get_int("monitor.idle_timeout_s"));
  m.max_line = static_cast<std::size_t>(cfg.get_int("monitor.max_line"));
  return m;
}

mi::DispatcherOptions dispatcher_options(const Config& cfg) {
  mi::DispatcherOptions o;
  o.min_workers = static_cast<std::size_t>(cfg.get_int("core.workers_min"));
  o.max_workers = static_cast<std::size_t>(cfg.get_int("core.workers_max"));
  o.call_timeout = std::chrono::milliseconds(cfg.get_int("core.call_timeout_ms"));
  return o;
}

}  // namespace sb::gateway
