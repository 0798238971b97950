// instance_lock.cpp: see instance_lock.h.
#include "gateway/daemon/instance_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "transports/net/files.h"

namespace sb::gateway {

std::string instance_lock_path(const std::string& db, const std::string& fifo,
                               const std::string& unix_socket) {
  if (!db.empty()) return db + ".lock";
  if (!fifo.empty()) return fifo + ".lock";
  if (!unix_socket.empty()) return unix_socket + ".lock";
  return {};
}

InstanceLock::InstanceLock(std::string path) : path_(std::move(path)) {
  transports::make_parent_dirs(path_);
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd_ < 0)
    throw InstanceLockError(fmt::format(
        "cannot open the instance lock {}: {}", path_,
        errno == ELOOP ? "it is a symbolic link (refused)" : std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) {
    ::close(fd_);
    fd_ = -1;
    throw InstanceLockError(fmt::format(
        "the instance lock {} is not a regular file owned by this user: refused (remove it)", path_));
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[32] = {0};
    ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
    std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string("?");
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      throw InstanceLockError(fmt::format(
          "another switchboard (pid {}) is running with this configuration (it holds {}): stop it "
          "first, or give this one its own core.db and endpoints",
          pid.empty() ? "?" : pid, path_));
    throw InstanceLockError(fmt::format("cannot lock {}: {}", path_, std::strerror(err)));
  }
  write_pid();
}

InstanceLock::~InstanceLock() {
  if (fd_ < 0) return;
  if (::ftruncate(fd_, 0) != 0) {
    // Nothing to do: the pid in it is stale, and the lock goes with the descriptor anyway.
  }
  ::close(fd_);
}

void InstanceLock::write_pid() {
  if (fd_ < 0) return;
  std::string text = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, text.data(), text.size(), 0) < 0) {
    // Informational only (the message of a refused second start).
  }
}

}  // namespace sb::gateway
