// instance_lock.h: one daemon per configuration — an flock() taken before any endpoint is
// touched, so a second start with the same config cannot replace the live FIFO or socket.
//
// Purpose: the lock file is `<core.db>.lock` (else `<fifo.path>.lock`, else
// `<datagram.unix>.lock`): the resources two daemons must not share. It is opened without
// following links, created 0600, and holds the owner's pid so the refusal can name it. The lock
// lives as long as the open file description: it survives the fork into the background (the
// child inherits it) and goes away with the process, even after kill -9 (no stale lock).
// Threading: main thread only.
#pragma once

#include <stdexcept>
#include <string>

namespace sb::gateway {

class InstanceLockError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class InstanceLock {
 public:
  /// Takes the lock or throws InstanceLockError naming the running instance's pid.
  explicit InstanceLock(std::string path);
  ~InstanceLock();
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;

  /// Records the current pid in the lock file (call again after forking into the background).
  void write_pid();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

/// The lock path for a configuration's core.db / fifo.path / datagram.unix; "" when all are
/// empty (nothing shared on disk: no lock).
std::string instance_lock_path(const std::string& db, const std::string& fifo,
                               const std::string& unix_socket);

}  // namespace sb::gateway
