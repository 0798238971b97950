// monitor_transport.h: the ISGW telnet status monitor (../shared/spec/isgw-monitor.md): a text
// TCP service, default 127.0.0.1:54322, where berofix one-letter commands (`u`, `R`, `bl3`, …)
// run MI commands. Talk to it with `telnet 127.0.0.1 54322` or `nc 127.0.0.1 54322`.
//
// Purpose: framing only — bytes → lines (telnet_input.h) → letters → MI requests
// (conversation.h, letters.h) → the Dispatcher → the shared text renderer. The monitor owns no
// state beyond each connection's own (role, last `R` listing, prompts).
// Security: connections are read-only (the dispatcher refuses commands not flagged read_only)
// unless they are admin: after `login <password>` when `password` is set, or — when no password
// is set and `loopback_admin` is on — because they come from a loopback address. Listening off
// loopback without a password is refused at start (as the HTTP transport does without
// credentials). Limits: `max_connections` (one more gets a one-line refusal), `idle_timeout_s`,
// `max_line`, a bounded queue of lines typed ahead. See transports/monitor/README.md.
// Threading: one Boost.Asio I/O thread ("monitor") serves every connection; commands run on the
// dispatcher's threads and their completions are posted back to the I/O thread. Each
// connection runs one command at a time, so its replies keep the order of its lines.
#pragma once

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include "mi/dispatcher.h"

namespace sb::transports {

struct MonitorConfig {
  std::string listen = "127.0.0.1:54322";  ///< host:port (IPv4, or [IPv6]:port); empty: off
  std::string password;                    ///< `login <password>` gives admin; empty: no login
  mi::Role anonymous_role = mi::Role::read_only;  ///< a connection that has not logged in
  std::chrono::seconds login_timeout{30};  ///< to send the first complete line
  std::size_t max_output = 1u << 20;       ///< queued output bytes before the client is dropped
  unsigned auth_fail_limit = 10;           ///< failed logins per IP per minute, then refused
  unsigned max_connections = 16;           ///< one more gets a one-line refusal
  unsigned idle_timeout_s = 300;           ///< a connection with no input (and no command) closes
  std::size_t max_line = 1024;             ///< longer lines are answered with an error
  std::chrono::milliseconds login_failure_delay{1000};  ///< before "login failed"
};

class MonitorError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class MonitorTransport {
 public:
  MonitorTransport(MonitorConfig config, mi::Dispatcher& dispatcher);
  ~MonitorTransport();
  MonitorTransport(const MonitorTransport&) = delete;
  MonitorTransport& operator=(const MonitorTransport&) = delete;

  /// Binds and starts the I/O thread; throws MonitorError (bad address, off loopback without a
  /// password, port in use, …).
  void start();
  /// Stops accepting connections; open ones go on until finish().
  void stop_accepting();
  /// Waits up to `deadline` for the commands in flight, then closes every connection (telling
  /// it why) and stops the I/O thread. Idempotent.
  void finish(std::chrono::milliseconds deadline);
  /// The bound TCP port (useful with port 0); 0 when not started.
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sb::transports
