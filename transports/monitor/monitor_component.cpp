// monitor_component.cpp: the [monitor] configuration keys, documented as conf/switchboard.conf shows
// them (that file is generated from these declarations), and the MonitorComponent.
#include "transports/monitor/monitor_component.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdexcept>

#include "transports/monitor/letters.h"

#include <fmt/format.h>

#include "transports/net/config_checks.h"

namespace sb::transports {

namespace {

using gateway::ConfigSection;
using gateway::KeyType;

// clang-format off
const ConfigSection kMonitorSection = {
    .name = "monitor",
    .keys = {
     {.section = "monitor", .key = "listen", .type = KeyType::string, .default_value = "127.0.0.1:54322",
      .help = "ISGW telnet status monitor host:port (telnet/nc); empty = none.",
      .check = check_host_port,
      .doc = "The ISGW telnet status monitor (berofix command letters: `u`, `R`, `bl3`, ...; see\n"
             "transports/monitor/README.md): `telnet 127.0.0.1 54322` or `nc 127.0.0.1 54322`, host:port.\n"
             "Security: an address that is not loopback is refused unless password is set. Empty: no\n"
             "monitor. Default: 127.0.0.1:54322."},
     {.section = "monitor", .key = "password", .type = KeyType::string, .default_value = "",
      .help = "`login <password>` on a monitor connection gives the admin role; when set, required "
              "everywhere.",
      .sensitive = true,
      .doc = "When set, `login <password>` gives a connection the admin role (before it, the connection has\n"
             "anonymous_role); a wrong password is answered after a delay, and the third one closes the\n"
             "connection. Keep this file mode 0600 when it holds a password. Default: empty (no login)."},
     {.section = "monitor", .key = "anonymous_role", .type = KeyType::string, .default_value = "read_only",
      .help = "Role of a connection that has not logged in (loopback only without "
              "monitor.password): read_only|operator|admin.",
      .check = check_role,
      .doc = "Role of a connection from loopback that has not logged in: read_only, operator or admin (off\n"
             "loopback, only possible with a password: read_only). Security: any local process can connect\n"
             "to a loopback port. Default: read_only."},
     {.section = "monitor", .key = "login_timeout_s", .type = KeyType::integer, .default_value = "30",
      .help = "Seconds a new connection has to send its first complete line (slow clients are "
              "closed).",
      .min = 1, .max = 3600,
      .doc = "Seconds a new connection has to send its first complete line (1..3600); a client that\n"
             "connects and sends nothing, or trickles, is closed so it cannot hold one of the few\n"
             "max_connections. Default: 30."},
     {.section = "monitor", .key = "max_output", .type = KeyType::integer, .default_value = "1048576",
      .help = "Bytes of output queued for one connection; a client that does not read is "
              "disconnected.",
      .min = 4096, .max = 268'435'456,
      .doc = "Bytes of output queued for one connection (4096..268435456). A client that does not read what\n"
             "it asks for (or answers every telnet option) is disconnected when its queue would pass this,\n"
             "counted in monitor:dropped_slow_clients; one command output larger than this is replaced by a\n"
             "one-line error. Default: 1048576."},
     {.section = "monitor", .key = "auth_fail_limit", .type = KeyType::integer, .default_value = "10",
      .help = "Failed logins from one IP address within 60 s before its logins are refused for a "
              "minute.",
      .min = 1, .max = 100'000,
      .doc = "Failed logins from one IP address within 60 s after which `login` from it is refused, even\n"
             "with the right password, for a minute (1..100000). Failures are logged at warn with\n"
             "the address and port and counted in monitor:auth_failures. Default: 10."},
     {.section = "monitor", .key = "max_connections", .type = KeyType::integer, .default_value = "16",
      .help = "Concurrent monitor connections; one more gets a one-line refusal.",
      .min = 1, .max = 1024,
      .doc = "Concurrent connections (1..1024); one more gets a one-line refusal and is closed. Default: 16."},
     {.section = "monitor", .key = "idle_timeout_s", .type = KeyType::integer, .default_value = "300",
      .help = "Seconds a monitor connection may stay idle (no input, no command running).",
      .min = 1, .max = 86'400,
      .doc = "Seconds a connection may stay idle, with no input and no command running (1..86400), before\n"
             "it is closed. Default: 300."},
     {.section = "monitor", .key = "max_line", .type = KeyType::integer, .default_value = "1024",
      .help = "Longest monitor input line in bytes; longer ones are answered with an error.",
      .min = 16, .max = 65'536,
      .doc = "Longest input line in bytes (16..65536); a longer one is answered with an error and the\n"
             "connection stays usable. Default: 1024."},
    },
};
// clang-format on

}  // namespace

MonitorConfig monitor_config(const gateway::Config& cfg) {
  MonitorConfig m;
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

std::unique_ptr<MonitorTransport> MonitorComponent::make(mi::Dispatcher& dispatcher) {
  auto problems = monitor::check_letters(dispatcher.registry());
  if (!problems.empty())
    throw std::runtime_error("monitor: the letter table does not fit the commands: " +
                             fmt::format("{}", fmt::join(problems, "; ")));
  return std::make_unique<MonitorTransport>(config_, dispatcher);
}

void MonitorComponent::declare(gateway::ConfigSchema& schema) const { schema.add(kMonitorSection); }

std::string MonitorComponent::describe() const { return "monitor: " + (server_ ? "port " + std::to_string(server_->port()) : std::string("disabled")); }

}  // namespace sb::transports
