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
  /// Extra `--set section.key=value` overrides (after the test's own fifo/reply/log settings).
  explicit TestDaemon(std::vector<std::string> extra_sets = {});
  ~TestDaemon();
  TestDaemon(const TestDaemon&) = delete;
  TestDaemon& operator=(const TestDaemon&) = delete;

  const std::string& dir() const { return dir_; }
  const std::string& fifo() const { return fifo_; }
  const std::string& reply_dir() const { return reply_dir_; }
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
  std::string dir_, fifo_, reply_dir_, log_;
  pid_t pid_ = -1;
};

/// Runs the daemon binary with arguments to completion; returns {exit status, stderr}.
std::pair<int, std::string> run_switchboard(const std::vector<std::string>& args);

}  // namespace sb::test
