// pid_file.h: the daemon's pid file (core.pid_file).
//
// Purpose: refuse to start a second daemon while the pid file names a live process, write our
// pid once start-up succeeded, and remove the file at exit — but only while it still holds our
// pid, so a file another instance rewrote is never deleted.
// Threading: main thread only (start-up and shutdown).
#pragma once

#include <stdexcept>
#include <string>

namespace sb::gateway {

class PidFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Throws PidFileError when `path` names a live process other than this one. A missing file, or
/// one without a valid pid or naming a dead process, is fine (it is stale and will be replaced).
void check_pid_file(const std::string& path);

/// Writes getpid() to `path` (atomically: temporary file + rename) for its lifetime.
class PidFile {
 public:
  /// Checks as check_pid_file(), then writes; throws PidFileError on failure.
  explicit PidFile(std::string path);
  ~PidFile();
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;

  /// Removes the file if it still holds our pid. Idempotent.
  void remove();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool written_ = false;
};

}  // namespace sb::gateway
