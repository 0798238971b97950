// daemonize.h: detaching into the background with a start-up verdict for the launcher.
//
// Purpose: `switchboard` without --foreground double-forks (fork, setsid, fork) and the process
// that was launched waits until the daemon reports: ready() → it exits 0; fail(message) → it
// prints `switchboard: <message>` on standard error and exits 1; the daemon dying silently →
// exit 1 too. So start-up errors (a bad FIFO path, a live pid file) still reach the terminal and
// the exit status, while the daemon keeps running in its own session.
// Threading: detach() forks, so call it before any thread exists (only the calling thread would
// survive in the child). ready()/fail() from the main thread.
#pragma once

#include <string_view>

namespace sb::gateway {

class Detached {
 public:
  /// Forks into the background and returns in the daemon only (never in the launcher, which
  /// exits). Keeps the current directory; standard input becomes /dev/null at once, standard
  /// output and error at ready(). Throws std::system_error when a fork or the pipe fails.
  static Detached detach();

  Detached(Detached&& other) noexcept;
  Detached& operator=(Detached&&) = delete;
  ~Detached();

  /// Start-up succeeded: stdout/stderr → /dev/null, then the launcher exits 0. Once only.
  void ready();
  /// Start-up failed: the launcher prints the message and exits 1. Once only.
  void fail(std::string_view message);

 private:
  explicit Detached(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace sb::gateway
