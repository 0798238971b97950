// daemon.h: starts the real switchboard daemon for loopback tests.
//
// Each TestDaemon gets its own temp directory (FIFO, reply dir, log), runs
// `switchboard -c conf/switchboard.conf --foreground --set …` and stops it with SIGTERM. Its
// network listeners bind port 0 (the kernel picks a free port: no race with other tests) and the
// ports really bound are read from the daemon's start-up log.
// Threading: one TestDaemon per test; calls may come from many threads.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "transports/fifo/fifo_client.h"

namespace sb::test {

class TestDaemon {
 public:
  /// Every endpoint is private to the test: FIFO and unix socket in a temp dir; UDP, HTTP, the
  /// monitor and SIP on 127.0.0.1 port 0, their real ports learned from the log. UDP, anonymous HTTP and the monitor get the admin
  /// role (the test is the operator; the read-only defaults are tested in tests/security).
  /// Extra `--set section.key=value` overrides come last (they win).
  /// `extra_config` (ini text, e.g. a [modules] section) is appended to a copy of the shipped
  /// conf/switchboard.conf that the daemon then reads.
  explicit TestDaemon(std::vector<std::string> extra_sets = {}, const std::string& extra_config = {});
  ~TestDaemon();
  TestDaemon(const TestDaemon&) = delete;
  TestDaemon& operator=(const TestDaemon&) = delete;

  const std::string& dir() const { return dir_; }
  const std::string& fifo() const { return fifo_; }
  const std::string& reply_dir() const { return reply_dir_; }
  const std::string& unix_socket() const { return unix_socket_; }  ///< datagram unix socket
  // The ports bound (0 when that listener is off).
  int udp_port() const { return udp_port_; }                       ///< datagram UDP, 127.0.0.1
  int http_port() const { return http_port_; }                     ///< HTTP
  int monitor_port() const { return monitor_port_; }               ///< ISGW monitor
  int sip_port() const { return sip_port_; }                       ///< first SIP UDP listener
  std::string db_path() const { return dir_ + "/switchboard.db"; }
  pid_t pid() const { return pid_; }

  /// Sends `request_builder(reply_name)` through the FIFO and returns the raw reply.
  client::FifoReply call(const std::function<std::string(const std::string&)>& builder,
                         std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;
  /// SER text call: `:cmd:reply\n` + params + `\n`; returns the reply text ("" on failure).
  std::string text(const std::string& cmd, const std::vector<std::string>& params = {}) const;
  /// JSON dialect call with a complete JSON-RPC object; returns the reply text.
  std::string json(const std::string& json) const;
  /// Writes raw bytes to the server FIFO (no reply FIFO made).
  void write_raw(const std::string& bytes) const;
  /// Value of one statistic read through `get_statistics` (text dialect); -1 when absent.
  long long stat(const std::string& name) const;

  /// Sends a signal and waits for the exit; returns the exit status (or 128+signal), -1 on timeout.
  int stop(int sig, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Waits for the daemon to exit by itself; same return values as stop().
  int wait_exit(std::chrono::milliseconds timeout);
  std::string log() const;

 private:
  std::string dir_, fifo_, reply_dir_, log_, unix_socket_;
  int udp_port_ = 0, http_port_ = 0, monitor_port_ = 0, sip_port_ = 0;
  pid_t pid_ = -1;
};

/// Polls statistic `name` until it reaches `target` or `timeout` passes; returns the last value.
long long wait_stat(const TestDaemon& d, const std::string& name, long long target,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5));

/// The ports a daemon reports in its start-up log (0 for a listener that is off): the "started"
/// line (`HTTP: port N; monitor: port N; SIP: udp:HOST:N, …`) and the datagram transport's
/// `datagram: listening on … udp HOST:PORT [(port N)]`. False when there is no "started" line.
struct LoggedPorts {
  int udp = 0, http = 0, monitor = 0, sip = 0;
};
bool parse_logged_ports(const std::string& log, LoggedPorts* out);

/// The shipped conf/switchboard.conf followed by `extra` (ini text), written to `path`.
void write_config(const std::string& path, const std::string& extra);

/// Runs the daemon binary with arguments to completion; returns {exit status, stderr}. SIP and the
/// monitor are off and the database in memory unless `args` sets sip.listen / monitor.listen /
/// core.db.
std::pair<int, std::string> run_switchboard(const std::vector<std::string>& args);

}  // namespace sb::test
