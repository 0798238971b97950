// daemon.h: starts the real switchboard daemon for loopback tests.
//
// Each TestDaemon gets its own temp directory (FIFO, reply dir, log), runs
// `switchboard -c conf/switchboard.conf --foreground --set …` and stops it with SIGTERM.
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
  /// Every endpoint is private to the test: FIFO and unix socket in a temp dir, free loopback
  /// ports for UDP, HTTP, the monitor and SIP. UDP, anonymous HTTP and the monitor get the admin
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
  int udp_port() const { return udp_port_; }                       ///< datagram UDP, 127.0.0.1
  int http_port() const { return http_port_; }                     ///< HTTP, 127.0.0.1
  int monitor_port() const { return monitor_port_; }               ///< ISGW monitor, 127.0.0.1
  int sip_port() const { return sip_port_; }                       ///< SIP over UDP, 127.0.0.1
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

/// A currently free loopback port (SOCK_STREAM or SOCK_DGRAM), for a daemon to bind next.
int free_port(int socket_type);

/// The shipped conf/switchboard.conf followed by `extra` (ini text), written to `path`.
void write_config(const std::string& path, const std::string& extra);

/// Runs the daemon binary with arguments to completion; returns {exit status, stderr}. SIP and the
/// monitor are off and the database in memory unless `args` sets sip.listen / monitor.listen /
/// core.db.
std::pair<int, std::string> run_switchboard(const std::vector<std::string>& args);

}  // namespace sb::test
