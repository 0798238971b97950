// reply_fifo.cpp: reply FIFO name checks, open with retries, timed write.
#include "transports/fifo/reply_fifo.h"

#include "transports/net/errno_text.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

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

namespace {

/// True when user `uid` belongs to group `gid` (primary or supplementary). Reentrant lookups:
/// reply writers run on several threads.
bool member_of(uid_t uid, gid_t gid) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) != 0 || !found) return false;
  if (pw.pw_gid == gid) return true;
  std::vector<char> gbuf(65536);
  group gr{};
  group* gfound = nullptr;
  if (::getgrgid_r(gid, &gr, gbuf.data(), gbuf.size(), &gfound) != 0 || !gfound) return false;
  for (char** m = gr.gr_mem; m && *m; ++m)
    if (std::strcmp(*m, pw.pw_name) == 0) return true;
  return false;
}

// Checks `path` (a FIFO, no symlink, owned by the daemon's user or by a member of the server
// FIFO's group: someone the FIFO's permissions let in), opens it O_NONBLOCK once and re-checks
// the opened inode. A root-owned FIFO is not accepted from a daemon that is not root (unless
// root is in that group): its reader is some root process, not a client of ours. On success
// `fd.fd` is open and the result is empty; when nobody has the FIFO open for reading yet,
// `no_reader` is set.
std::string open_checked(const std::string& path, gid_t fifo_gid, Fd& fd, bool& no_reader) {
  no_reader = false;
  struct stat before {};
  if (::lstat(path.c_str(), &before) != 0)
    return fmt::format("{}: {}", path, errno_text(errno));
  if (S_ISLNK(before.st_mode)) return fmt::format("{}: is a symlink", path);
  if (!S_ISFIFO(before.st_mode)) return fmt::format("{}: is not a FIFO", path);
  if (before.st_uid != ::geteuid()) {
    const gid_t gid = fifo_gid == static_cast<gid_t>(-1) ? ::getegid() : fifo_gid;
    if (!member_of(before.st_uid, gid))
      return fmt::format("{}: owned by uid {}, neither the daemon's user nor a member of the "
                         "FIFO's group {}", path, before.st_uid, gid);
  }
  fd.fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (fd.fd < 0) {
    no_reader = errno == ENXIO;
    return fmt::format("{}: open: {}", path,
                       no_reader ? "no reader (the client went away)" : errno_text(errno));
  }
  struct stat after {};
  if (::fstat(fd.fd, &after) != 0 || !S_ISFIFO(after.st_mode) || after.st_ino != before.st_ino ||
      after.st_dev != before.st_dev || after.st_nlink != 1)
    return fmt::format("{}: changed while opening (not the FIFO that was checked)", path);
  return {};
}

// Writes bytes[off..] to the non-blocking fd, waiting for the reader until the deadline.
std::string write_until(int fd, const std::string& path, std::string_view bytes, std::size_t off,
                        Clock::time_point deadline, std::chrono::milliseconds timeout) {
  while (off < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n > 0) {
      off += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) return fmt::format("{}: write: {}", path, errno_text(errno));
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0)
      return fmt::format("{}: the client did not read the reply within {} ms", path, timeout.count());
    pollfd p{fd, POLLOUT, 0};
    ::poll(&p, 1, static_cast<int>(left.count()));
    if (p.revents & (POLLERR | POLLHUP)) return fmt::format("{}: the client closed the reply FIFO", path);
  }
  return {};
}

// open_checked(), retried while the client has not opened its end for reading yet.
std::string open_with_retries(const ReplyOptions& o, const std::string& path, Fd& fd) {
  for (int attempt = 0;; ++attempt) {
    bool no_reader = false;
    std::string err = open_checked(path, o.fifo_gid, fd, no_reader);
    if (err.empty() || !no_reader || attempt >= o.open_retries) return err;
    std::this_thread::sleep_for(o.open_retry_interval);
  }
}

}  // namespace

std::string write_reply_fifo(const ReplyOptions& o, const std::string& name, std::string_view bytes) {
  std::string path = o.reply_dir + "/" + name;
  Fd fd;
  if (std::string err = open_with_retries(o, path, fd); !err.empty()) return err;
  return write_until(fd.fd, path, bytes, 0, Clock::now() + o.write_timeout, o.write_timeout);
}

void ReplyWriter::delivered(const std::string& why) {
  if (why.empty()) {
    replies_.inc();
  } else {
    failures_.inc();
    spdlog::warn("fifo: reply not delivered: {}", why);
  }
  pending_.fetch_sub(1);
}

ReplyWriter::ReplyWriter(ReplyOptions options, mi::Statistics& stats)
    : options_(std::move(options)), pool_("FIFO reply writer", 1, 32),
      replies_(stats.counter("fifo", "replies")), failures_(stats.counter("fifo", "reply_failures")) {}

void ReplyWriter::send(std::string name, std::string bytes) {
  // Fast path, on the caller's thread with non-blocking system calls only: the client normally
  // has its reply FIFO open already, and a reply that fits the pipe is written at once. Anything
  // else (no reader yet, a partial write) goes to the writer pool, which may wait.
  std::string path = options_.reply_dir + "/" + name;
  auto fd = std::make_shared<Fd>();
  bool no_reader = false;
  std::string err = open_checked(path, options_.fifo_gid, *fd, no_reader);
  std::size_t written = 0;
  if (err.empty()) {
    ssize_t n = ::write(fd->fd, bytes.data(), bytes.size());
    if (n > 0) written = static_cast<std::size_t>(n);
    if (written == bytes.size()) {
      replies_.inc();
      return;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR)
      err = fmt::format("{}: write: {}", path, errno_text(errno));
  }
  if (!err.empty() && !no_reader) {
    failures_.inc();
    spdlog::warn("fifo: reply not delivered: {}", err);
    return;
  }
  pending_.fetch_add(1);
  bool queued = pool_.post([this, fd, written, path = std::move(path), name = std::move(name),
                            bytes = std::move(bytes)] {
    std::string why =
        fd->fd >= 0 ? write_until(fd->fd, path, bytes, written, Clock::now() + options_.write_timeout,
                                  options_.write_timeout)
                    : write_reply_fifo(options_, name, bytes);
    delivered(why);
  });
  if (!queued) {
    pending_.fetch_sub(1);
    failures_.inc();
  }
}

void ReplyWriter::send_pieces(std::string name, std::shared_ptr<mi::ChunkedReply> reply) {
  // Always on the pool: pulling pieces may wait for the engine (the next slice) and for the
  // client (a full pipe), and the caller may be the engine thread.
  pending_.fetch_add(1);
  bool queued = pool_.post([this, name = std::move(name), reply = std::move(reply)] {
    std::string path = options_.reply_dir + "/" + name;
    Fd fd;
    std::string why = open_with_retries(options_, path, fd);
    std::string piece;
    bool more = why.empty();
    while (more) {
      piece.clear();
      try {
        more = reply->next(piece);
      } catch (const std::exception& e) {
        // The client sees the reply end early (no final empty line / closing brace).
        why = fmt::format("{}: the reply was cut short: {}", path, e.what());
        break;
      }
      // write_timeout bounds each piece: a client that keeps reading may take as long as it
      // needs in all; one that stops is given up on.
      why = write_until(fd.fd, path, piece, 0, Clock::now() + options_.write_timeout, options_.write_timeout);
      if (!why.empty()) break;
    }
    delivered(why);
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
