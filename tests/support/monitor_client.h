// monitor_client.h: a raw TCP client for the ISGW monitor tests (tests/transports/monitor/):
// sends bytes exactly as given and reads the monitor's text until an expected piece arrives.
// Threading: one client per thread.
#pragma once

#include <chrono>
#include <string>

namespace sb::test {

class MonitorClient {
 public:
  /// Connects to 127.0.0.1:port; connected() is false on failure.
  explicit MonitorClient(int port);
  ~MonitorClient();
  MonitorClient(const MonitorClient&) = delete;
  MonitorClient& operator=(const MonitorClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  /// Sends the bytes as they are (no line end added), at once (TCP_NODELAY: no coalescing).
  bool send(const std::string& bytes);
  /// Waits until the server process has read everything sent so far (the kernel's view in
  /// /proc/net/tcp: our send queue acknowledged, then the server socket's receive queue empty);
  /// false on timeout. What is sent next arrives in a later read of the server.
  bool wait_consumed(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Reads until `needle` has arrived; returns everything up to and including it and keeps the
  /// rest for the next read. On timeout or EOF returns what arrived, and timed_out()/eof() say so.
  std::string read_until(const std::string& needle,
                         std::chrono::milliseconds timeout = std::chrono::seconds(20));
  /// Reads the greeting (the overview and the first prompt).
  std::string greeting() { return read_until("\r\n> "); }
  /// Sends `line` + CR LF and reads the answer up to the next prompt (without it).
  std::string command(const std::string& line,
                      std::chrono::milliseconds timeout = std::chrono::seconds(20));
  /// Reads until the server closes; returns what arrived (false from closed() on timeout).
  std::string read_to_close(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Half-closes: the server sees the end of input (what `nc -N` does at the end of stdin).
  void shutdown_write();
  bool eof() const { return eof_; }
  bool timed_out() const { return timed_out_; }
  void close();

 private:
  int fd_ = -1;
  std::string buffer_;
  bool eof_ = false;
  bool timed_out_ = false;
};

}  // namespace sb::test
