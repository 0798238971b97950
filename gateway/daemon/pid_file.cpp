// pid_file.cpp: see pid_file.h. Threading: main thread only.
#include "gateway/daemon/pid_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

namespace sb::gateway {

namespace {

/// The pid stored in `path`; 0 when the file is missing or holds no valid pid.
pid_t read_pid(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return 0;
    throw PidFileError(fmt::format(
        "cannot read the pid file {}: {}", path,
        errno == ELOOP ? "it is a symbolic link (refused: remove it or point core.pid_file elsewhere)"
                       : std::strerror(errno)));
  }
  char buf[64];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  std::string_view text(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r'))
    text.remove_suffix(1);
  long pid = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (ec != std::errc() || end != text.data() + text.size() || pid <= 0) return 0;
  return static_cast<pid_t>(pid);
}

bool alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

}  // namespace

void check_pid_file(const std::string& path) {
  pid_t pid = read_pid(path);
  if (pid > 0 && pid != ::getpid() && alive(pid))
    throw PidFileError(fmt::format(
        "the pid file {} names process {}, which is still running (another switchboard?)", path,
        pid));
}

PidFile::PidFile(std::string path) : path_(std::move(path)) {
  check_pid_file(path_);
  // A new file (O_EXCL: never truncates, never follows a link planted under the temporary
  // name), renamed over the path (which replaces a link there instead of writing through it).
  std::string tmp = fmt::format("{}.{}.tmp", path_, ::getpid());
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0)
    throw PidFileError(fmt::format("cannot create the pid file {}: {}", tmp, std::strerror(errno)));
  std::string text = fmt::format("{}\n", ::getpid());
  ssize_t n = ::write(fd, text.data(), text.size());
  int err = n == static_cast<ssize_t>(text.size()) ? 0 : (n < 0 ? errno : EIO);
  if (::close(fd) != 0 && !err) err = errno;
  if (!err && ::rename(tmp.c_str(), path_.c_str()) != 0) err = errno;
  if (err) {
    ::unlink(tmp.c_str());
    throw PidFileError(fmt::format("cannot write the pid file {}: {}", path_, std::strerror(err)));
  }
  written_ = true;
}

PidFile::~PidFile() { remove(); }

void PidFile::remove() {
  if (!written_) return;
  written_ = false;
  try {
    if (read_pid(path_) == ::getpid()) ::unlink(path_.c_str());
  } catch (const PidFileError&) {
    // Unreadable now: leave it alone rather than delete something that may not be ours.
  }
}

}  // namespace sb::gateway
