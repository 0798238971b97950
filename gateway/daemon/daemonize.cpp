// daemonize.cpp: see daemonize.h. Threading: before any thread exists (fork).
//
// Protocol on the pipe from the daemon to the launcher: "R" = ready; "F<message>" = failed;
// end of file without either = the daemon died during start-up.
#include "gateway/daemon/daemonize.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <system_error>

namespace sb::gateway {

namespace {

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the launcher is gone: nobody left to tell
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

/// Points `target` (0, 1 or 2) at /dev/null.
void to_dev_null(int target, int flags) {
  int fd = ::open("/dev/null", flags | O_CLOEXEC);
  if (fd < 0) return;
  ::dup2(fd, target);
  ::close(fd);
}

/// The launcher's side: wait for the verdict, then exit with it.
[[noreturn]] void await_verdict(int fd, pid_t child) {
  std::string msg;
  char buf[512];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    msg.append(buf, static_cast<std::size_t>(n));
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (msg == "R") std::_Exit(0);
  if (!msg.empty() && msg.front() == 'F')
    std::fprintf(stderr, "switchboard: %s\n", msg.c_str() + 1);
  else
    std::fprintf(stderr, "switchboard: the daemon exited during start-up\n");
  std::fflush(stderr);
  std::_Exit(1);
}

}  // namespace

Detached Detached::detach() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe");
  std::fflush(nullptr);  // nothing buffered may be written twice
  pid_t child = ::fork();
  if (child < 0) throw_errno("fork");
  if (child > 0) {
    ::close(fds[1]);
    await_verdict(fds[0], child);
  }
  // First child: leave the terminal's session, then fork again so the daemon is not a session
  // leader and can never acquire a controlling terminal.
  ::close(fds[0]);
  if (::setsid() < 0) std::_Exit(1);
  pid_t daemon = ::fork();
  if (daemon < 0) std::_Exit(1);
  if (daemon > 0) std::_Exit(0);
  to_dev_null(STDIN_FILENO, O_RDONLY);
  return Detached(fds[1]);
}

Detached::Detached(Detached&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

Detached::~Detached() {
  if (fd_ >= 0) ::close(fd_);
}

void Detached::ready() {
  if (fd_ < 0) return;
  std::fflush(nullptr);
  // Before telling the launcher: a caller reading our output (e.g. `$(switchboard …)`) must
  // see end of file once the launcher has exited.
  to_dev_null(STDOUT_FILENO, O_WRONLY);
  to_dev_null(STDERR_FILENO, O_WRONLY);
  write_all(fd_, "R");
  ::close(fd_);
  fd_ = -1;
}

void Detached::fail(std::string_view message) {
  if (fd_ < 0) return;
  write_all(fd_, std::string("F").append(message));
  ::close(fd_);
  fd_ = -1;
}

}  // namespace sb::gateway
