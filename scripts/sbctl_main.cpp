// sbctl_main.cpp: sbctl, the serctl-like command line client of switchboard.
//
// Purpose: `sbctl [options] <command> [params...]` sends one MI command over the FIFO (default),
// a unix datagram, UDP or HTTP, in the SER text dialect (default) or JSON-RPC (--json), prints
// the reply and exits 0 on success, 1 on any failure (usage, transport, timeout, MI error) — the
// same output and status whichever transport. The wire work lives in sbctl_transport.cpp and the
// transports' client libraries; this file is options, output and exit codes.
// Threading: single-threaded. SIGINT/SIGTERM/SIGHUP remove the reply FIFO, then kill sbctl
// with the same signal (shell status 128+N).
#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gateway/config/man_page.h"
#include "sbctl_transport.h"

namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kShortUsage =
    "usage: sbctl [--json] [-t fifo|dgram|udp|http] [-f PATH] [--reply-dir DIR] [--socket PATH]\n"
    "             [--udp HOST:PORT] [--url URL] [--user USER:PASSWORD] [--token TOKEN]\n"
    "             [--timeout SECONDS] <command> [params...]\n"
    "       sbctl help [command]\n"
    "Try 'sbctl --help' for more.\n";

constexpr const char* kManual = R"(NAME
    sbctl - send management (MI) commands to a running switchboard

SYNOPSIS
    sbctl [options] <command> [params...]
    sbctl help [command]
    sbctl -h | --help

DESCRIPTION
    sbctl is switchboard's serctl. Over the FIFO (the default transport) it makes a private
    reply FIFO sbctl_<pid>_<random> (mode 0600) in the reply directory, writes one request to
    switchboard's FIFO, prints the reply and removes the reply FIFO, also on timeouts and on
    SIGINT, SIGTERM, SIGHUP. With -t dgram it sends one datagram to the unix socket (from a
    private client socket, removed the same way), with -t udp one UDP datagram, with -t http
    one JSON-RPC POST. The output and the exit status are the same on every transport: over
    HTTP the result is rendered as the text dialect would, and errors are printed as their
    text status line (e.g. "500 command 'x' not available").

    By default sbctl speaks the SER text dialect: each param is sent as one line and the
    reply body is printed as the daemon renders it ("key:: value" lines, one TAB of indent
    per level). A 2xx status line such as "200 OK" is not printed; any other status line
    goes to stderr and sbctl exits 1. An empty param is sent as ".", the dialect's empty
    value. Commands also answer as "module:name" (e.g. "sbctl core:uptime").

    With --json sbctl speaks the OpenSIPS-3 JSON-RPC dialect and prints the result as
    indented JSON. When every param has the form name=value the params are sent by name (a
    name given twice becomes an array); otherwise they are sent by position, as strings.
    The daemon converts strings to each param's type and folds trailing positional params
    into an array param, so "sbctl --json get_statistics core: tm:" works as in opensips-cli.

    Options are read only before the command: everything after it is a param, even when it
    starts with '-'. "sbctl help <command>" shows the daemon's description of <command>;
    "sbctl which" lists every command the daemon serves.

OPTIONS
    --json               use the JSON-RPC dialect
    -t, --transport T    fifo (default), dgram (unix datagram socket), udp or http
                         default: $SB_TRANSPORT, else fifo
    --socket PATH        dgram: the daemon's unix socket (config key datagram.unix)
                         default: $SB_SOCKET, else var/run/switchboard.sock
                         (installed: /run/switchboard/switchboard.sock)
    --udp HOST:PORT      udp: the daemon's UDP address (datagram.udp)
                         default: $SB_UDP, else 127.0.0.1:8094
    --url URL            http: the JSON-RPC endpoint, http://host:port/mi (http.listen);
                         https is not supported (use curl)
                         default: $SB_URL, else http://127.0.0.1:8888/mi
    --user USER:PASSWORD http: HTTP Basic credentials (http.basic_auth)
                         default: $SB_USER
    --token TOKEN        http: a Bearer token (http.tokens); default: $SB_TOKEN
    -f, --fifo PATH      switchboard's FIFO (config key fifo.path)
                         default: $SB_FIFO, else var/run/switchboard_fifo, or
                         /run/switchboard/switchboard_fifo when only that one
                         exists (the installed daemon)
    --reply-dir DIR      where the reply FIFO is made; must be the daemon's fifo.reply_dir
                         default: $SB_REPLY_DIR, else /tmp (installed: /run/switchboard)
    --timeout SECONDS    give up when no complete reply came in time (fractions allowed)
                         default: $SB_TIMEOUT, else 120
    -h, --help           print this help and exit
    --man                print this help as a manual page, sbctl(8) (roff), and exit
    --                   end of options (for a command that starts with '-')

ENVIRONMENT
    SB_TRANSPORT, SB_FIFO, SB_REPLY_DIR, SB_SOCKET, SB_UDP, SB_URL, SB_USER, SB_TOKEN,
    SB_TIMEOUT           defaults for the options of the same names

EXIT STATUS
    0       the command succeeded (a 2xx status, or a JSON-RPC result)
    1       usage error, switchboard not reachable, timeout, malformed reply, or the
            command failed (the status line or "sbctl: <code> <message>" is on stderr)
    128+N   killed by signal N (the reply FIFO is removed first)

EXAMPLES
    sbctl uptime                          how long switchboard has been running
    sbctl which                           the commands it serves
    sbctl help uptime                     what a command does and its params
    sbctl get_statistics all              every statistic ("core:" for one group)
    sbctl print 'hello world'             echo a text back (FIFO test)
    sbctl --json which                    the same command, JSON-RPC result
    sbctl --json log_level level=debug    named params
    sbctl -f /run/switchboard/fifo --reply-dir /run/switchboard --timeout 5 ps
    sbctl -t udp uptime                   the same over UDP 127.0.0.1:8094 (when enabled)
    sbctl -t http --user admin:secret kill    over HTTP with Basic auth

SEE ALSO
    switchboard(8), switchboard.conf(5); the FIFO wire format: transports/fifo/README.md
)";

struct Options {
  bool json = false;
  bool help = false;
  bool man = false;
  sbctl::Endpoint endpoint;
  std::string timeout_text;
  std::string timeout_source;  // which option or variable gave timeout_text (for messages)
  std::string command;
  std::vector<std::string> params;
};

int fail(const std::string& message) {
  std::cerr << "sbctl: " << message << '\n';
  return 1;
}

int usage_error(const std::string& message) {
  std::cerr << "sbctl: " << message << '\n' << kShortUsage;
  return 1;
}

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

/// Control characters escaped, cut to `max` bytes: safe to print on one stderr line.
std::string one_line(const std::string& s, std::size_t max = 200) {
  std::string out;
  for (unsigned char c : s.substr(0, max)) {
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else out += static_cast<char>(c);
  }
  if (s.size() > max) out += "...";
  return out;
}

/// Parses options up to the command. Returns an error message, empty when fine.
std::string parse_args(int argc, char** argv, Options& o) {
  sbctl::Endpoint& e = o.endpoint;
  e.transport = env_or("SB_TRANSPORT", "fifo");
  // The repository's daemon (scripts/run.sh: var/run under the working directory), else the
  // installed one's (/run/switchboard: the .deb's configuration and systemd unit), whichever
  // FIFO exists (from /, var/run is /run: the directory alone proves nothing).
  const bool installed = ::access("var/run/switchboard_fifo", F_OK) != 0 &&
                         ::access("/run/switchboard/switchboard_fifo", F_OK) == 0;
  e.fifo = env_or("SB_FIFO", installed ? "/run/switchboard/switchboard_fifo" : "var/run/switchboard_fifo");
  e.reply_dir = env_or("SB_REPLY_DIR", installed ? "/run/switchboard" : "/tmp");
  e.socket = env_or("SB_SOCKET", installed ? "/run/switchboard/switchboard.sock" : "var/run/switchboard.sock");
  e.udp = env_or("SB_UDP", "127.0.0.1:8094");
  e.url = env_or("SB_URL", "http://127.0.0.1:8888/mi");
  e.user = env_or("SB_USER", "");
  e.token = env_or("SB_TOKEN", "");
  o.timeout_text = env_or("SB_TIMEOUT", "120");
  o.timeout_source = std::getenv("SB_TIMEOUT") ? "SB_TIMEOUT" : "--timeout";
  int i = 1;
  for (; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.empty() || a[0] != '-' || a == "-") break;  // the command
    if (a == "-h" || a == "--help") {
      o.help = true;
      return {};
    }
    if (a == "--man") {
      o.man = true;
      return {};
    }
    if (a == "--json") {
      o.json = true;
      continue;
    }
    std::string name = a, value;
    bool has_value = false;
    if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      has_value = true;
    } else if ((a.rfind("-f", 0) == 0 || a.rfind("-t", 0) == 0) && a.size() > 2) {
      name = a.substr(0, 2);
      value = a.substr(2);
      has_value = true;
    }
    static const char* kValued[] = {"-f", "--fifo", "--reply-dir", "--timeout", "-t",
                                    "--transport", "--socket", "--udp", "--url", "--user",
                                    "--token"};
    bool known = false;
    for (const char* k : kValued) known = known || name == k;
    if (!known) return "unknown option '" + a + "'";
    if (!has_value) {
      if (i + 1 >= argc) return "option '" + name + "' needs a value";
      value = argv[++i];
    }
    if (name == "--timeout") {
      o.timeout_text = value;
      o.timeout_source = "--timeout";
    } else if (name == "--reply-dir") {
      e.reply_dir = value;
    } else if (name == "-t" || name == "--transport") {
      e.transport = value;
    } else if (name == "--socket") {
      e.socket = value;
    } else if (name == "--udp") {
      e.udp = value;
    } else if (name == "--url") {
      e.url = value;
    } else if (name == "--user") {
      e.user = value;
    } else if (name == "--token") {
      e.token = value;
    } else {
      e.fifo = value;
    }
  }
  if (i < argc) o.command = argv[i++];
  for (; i < argc; ++i) o.params.emplace_back(argv[i]);
  return {};
}

/// Seconds (fractions allowed) → milliseconds; false when not a positive number of seconds.
bool parse_timeout(const std::string& text, std::chrono::milliseconds& out) {
  char* end = nullptr;
  double seconds = std::strtod(text.c_str(), &end);
  if (text.empty() || end == nullptr || *end != '\0' || !std::isfinite(seconds) ||
      seconds <= 0 || seconds > 2'000'000)  // 2e6 s (23 days) keeps poll()'s int ms in range
    return false;
  out = std::chrono::milliseconds(static_cast<long long>(std::ceil(seconds * 1000)));
  return true;
}

bool valid_text_command(const std::string& c) {
  for (unsigned char ch : c)
    if (ch <= 0x20 || ch == 0x7f) return false;
  return !c.empty() && c.front() != ':' && c.back() != ':';
}

/// Text dialect: 2xx → body on stdout, exit 0; else status on stderr, body on stdout, exit 1.
int print_text_reply(const std::string& text) {
  if (text.empty()) return fail("empty reply from switchboard");
  const auto eol = text.find('\n');
  std::string status = text.substr(0, eol);
  if (!status.empty() && status.back() == '\r') status.pop_back();
  std::string body = eol == std::string::npos ? "" : text.substr(eol + 1);
  const bool coded = status.size() >= 3 && std::isdigit(static_cast<unsigned char>(status[0])) &&
                     std::isdigit(static_cast<unsigned char>(status[1])) &&
                     std::isdigit(static_cast<unsigned char>(status[2])) &&
                     (status.size() == 3 || status[3] == ' ');
  if (!coded) return fail("malformed reply from switchboard: \"" + one_line(status, 80) + "\"");
  // Drop the empty line that ends a reply; keep the body's own last newline.
  if (body == "\n" || (body.size() >= 2 && body.compare(body.size() - 2, 2, "\n\n") == 0))
    body.pop_back();
  if (!body.empty() && body.back() != '\n') body += '\n';
  if (status[0] == '2') {
    std::cout << body << std::flush;
    return 0;
  }
  std::cout << body << std::flush;
  std::cerr << status << '\n';
  return 1;
}

int run_text(const Options& o) {
  if (o.endpoint.transport != "http" && !valid_text_command(o.command))
    return fail("invalid command name '" + one_line(o.command) + "'");
  std::vector<std::string> params = o.params;
  for (auto& p : params)
    if (p.empty()) p = ".";  // an empty line would end the request
  auto reply = sbctl::send_text(o.endpoint, o.command, params);
  if (!reply.ok) return fail(reply.error);
  return print_text_reply(reply.text);
}

/// Every param `name=value` (name an identifier) → named object, a repeated name → array;
/// else a positional array of strings.
Json json_params(const std::vector<std::string>& params) {
  auto named = [](const std::string& p) {
    const auto eq = p.find('=');
    if (eq == 0 || eq == std::string::npos) return false;
    for (std::size_t i = 0; i < eq; ++i) {
      const unsigned char c = static_cast<unsigned char>(p[i]);
      if (!(c == '_' || std::isalpha(c) || (i > 0 && std::isdigit(c)))) return false;
    }
    return true;
  };
  bool all_named = true;
  for (const auto& p : params) all_named = all_named && named(p);
  if (!all_named) return Json(params);
  Json obj = Json::object();
  for (const auto& p : params) {
    const auto eq = p.find('=');
    const std::string name = p.substr(0, eq), value = p.substr(eq + 1);
    if (!obj.contains(name)) obj[name] = value;
    else if (obj[name].is_array()) obj[name].push_back(value);
    else obj[name] = Json::array({obj[name], value});
  }
  return obj;
}

std::string dump(const Json& j, int indent = -1) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

int print_json_reply(const std::string& text, long long id) {
  Json reply = Json::parse(text, nullptr, false);
  if (reply.is_discarded() || !reply.is_object())
    return fail("malformed JSON-RPC reply from switchboard: \"" + one_line(text, 80) + "\"");
  if (auto it = reply.find("id"); it != reply.end() && !it->is_null() && *it != Json(id))
    return fail("reply is for another request (id " + dump(*it) + ", sent " +
                std::to_string(id) + ")");
  if (auto it = reply.find("error"); it != reply.end()) {
    const Json& e = *it;
    if (!e.is_object()) return fail("malformed JSON-RPC error: " + one_line(dump(e)));
    std::string line = e.contains("code") ? dump(e["code"]) : "?";
    if (auto m = e.find("message"); m != e.end())
      line += " " + (m->is_string() ? m->get<std::string>() : dump(*m));
    if (auto d = e.find("data"); d != e.end() && !d->is_null())
      line += " (" + (d->is_string() ? d->get<std::string>() : dump(*d)) + ")";
    return fail(one_line(line, 1000));
  }
  if (auto it = reply.find("result"); it != reply.end()) {
    std::cout << dump(*it, 2) << '\n' << std::flush;
    return 0;
  }
  return fail("malformed JSON-RPC reply (no result, no error): \"" + one_line(text, 80) + "\"");
}

int run_json(const Options& o) {
  std::random_device rd;
  const long long id = std::uniform_int_distribution<long long>(1, 2147483647)(rd);
  Json req = {{"jsonrpc", "2.0"}, {"method", o.command}};
  if (!o.params.empty()) req["params"] = json_params(o.params);
  req["id"] = id;
  const std::string body = dump(req);
  auto reply = sbctl::send_json(o.endpoint, body);
  if (!reply.ok) return fail(reply.error);
  return print_json_reply(reply.text, id);
}

extern "C" void on_terminating_signal(int sig) {
  // SA_RESETHAND restored the default action: remove the reply FIFO, then die by `sig`.
  sbctl::cleanup_on_signal();
  ::raise(sig);
}

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_terminating_signal;
  sa.sa_flags = SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&sa.sa_mask, s);
  // Installed even when inherited as ignored (a background job in a script): the reply FIFO
  // must not outlive sbctl.
  for (int s : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(s, &sa, nullptr);
}

int run(int argc, char** argv) {
  Options o;
  if (auto err = parse_args(argc, argv, o); !err.empty()) return usage_error(err);
  if (o.help || (o.command == "help" && o.params.empty())) {
    std::cout << kManual;
    return 0;
  }
  if (o.man) {  // sbctl(8): this help as a manual page
    std::cout << sb::gateway::render_man_page("sbctl", 8, "switchboard " SB_VERSION, "Switchboard",
                                              sb::gateway::sections_of_help(kManual));
    return 0;
  }
  if (o.command.empty()) {
    std::cerr << kShortUsage;
    return 1;
  }
  if (auto err = sbctl::check_endpoint(o.endpoint); !err.empty()) return usage_error(err);
  if (!parse_timeout(o.timeout_text, o.endpoint.timeout))
    return usage_error("invalid " + o.timeout_source + " '" + one_line(o.timeout_text) +
                       "': expected seconds, more than 0 and at most 2000000");
  install_signal_handlers();
  return o.json ? run_json(o) : run_text(o);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const int status = run(argc, argv);
    if (!(std::cout << std::flush)) return fail("cannot write to standard output");
    return status;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
