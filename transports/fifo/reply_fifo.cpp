// reply_fifo.cpp: reply FIFO name checks, open with retries, timed write.
#include "transports/fifo/reply_fifo.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace sb::transports {

namespace {
using Clock = std::chrono::steady_clock;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};
}  // namespace

std::string check_reply_name(std::string_view name) {
  if (name.empty()) return "empty reply name";
  if (name.size() > 255) return "reply name longer than 255 bytes";
  if (name.front() == '.') return "reply name starts with '.'";
  if (name.find("..") != std::string_view::npos) return "reply name contains '..'";
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (c == '/' || c == '\\') return "reply name contains a path separator";
    if (c == ':') return "reply name contains ':'";
    if (u <= 0x20 || u == 0x7f) return "reply name contains a blank or control character";
  }
  return {};
}

std::string write_reply_fifo(const ReplyOptions& o, const std::string& name, std::string_view bytes) {
  std::string path = o.reply_dir + "/" + name;
  struct stat before {};
  if (::lstat(path.c_str(), &before) != 0)
    return fmt::format("{}: {}", path, std::strerror(errno));
  if (S_ISLNK(before.st_mode)) return fmt::format("{}: is a symlink", path);
  if (!S_ISFIFO(before.st_mode)) return fmt::format("{}: is not a FIFO", path);
  if (before.st_uid != ::geteuid() && before.st_uid != 0)
    return fmt::format("{}: owned by uid {}, neither us nor root", path, before.st_uid);

  Fd fd;
  for (int attempt = 0;; ++attempt) {
    fd.fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    if (fd.fd >= 0) break;
    if (errno != ENXIO || attempt >= o.open_retries)
      return fmt::format("{}: open: {}", path,
                         errno == ENXIO ? "no reader (the client went away)" : std::strerror(errno));
    std::this_thread::sleep_for(o.open_retry_interval);
  }
  struct stat after {};
  if (::fstat(fd.fd, &after) != 0 || !S_ISFIFO(after.st_mode) || after.st_ino != before.st_ino ||
      after.st_dev != before.st_dev || after.st_nlink != 1)
    return fmt::format("{}: changed while opening (not the FIFO that was checked)", path);

  auto deadline = Clock::now() + o.write_timeout;
  std::size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::write(fd.fd, bytes.data() + off, bytes.size() - off);
    if (n > 0) {
      off += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) return fmt::format("{}: write: {}", path, std::strerror(errno));
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0)
      return fmt::format("{}: the client did not read the reply within {} ms", path,
                         o.write_timeout.count());
    pollfd p{fd.fd, POLLOUT, 0};
    ::poll(&p, 1, static_cast<int>(left.count()));
    if (p.revents & (POLLERR | POLLHUP)) return fmt::format("{}: the client closed the reply FIFO", path);
  }
  return {};
}

ReplyWriter::ReplyWriter(ReplyOptions options, mi::Statistics& stats)
    : options_(std::move(options)), pool_("FIFO reply writer", 1, 32),
      replies_(stats.counter("fifo", "replies")), failures_(stats.counter("fifo", "reply_failures")) {}

void ReplyWriter::send(std::string name, std::string bytes) {
  pending_.fetch_add(1);
  bool queued = pool_.post([this, name = std::move(name), bytes = std::move(bytes)] {
    std::string err = write_reply_fifo(options_, name, bytes);
    if (err.empty()) {
      replies_.inc();
    } else {
      failures_.inc();
      spdlog::warn("fifo: reply not delivered: {}", err);
    }
    pending_.fetch_sub(1);
  });
  if (!queued) {
    pending_.fetch_sub(1);
    failures_.inc();
  }
}

void ReplyWriter::finish(std::chrono::milliseconds deadline) {
  auto until = Clock::now() + deadline;
  while (pending_.load() > 0 && Clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  pool_.stop();
}

}  // namespace sb::transports
