// fifo_client.cpp: the client side of the FIFO transport (see fifo_client.h).
//
// Order of a call, and why (research/mi-protocols.md §1.1, §3.3):
//   1. mkfifo the reply FIFO and open it O_RDONLY|O_NONBLOCK, so a reader exists before the
//      request is sent: the server opens reply FIFOs O_WRONLY|O_NONBLOCK and gives up after
//      about 4 × 80 ms when nobody reads.
//   2. open the server FIFO O_WRONLY|O_NONBLOCK (ENXIO = nobody serves it) and write the whole
//      request in one write(): requests up to PIPE_BUF bytes are then atomic, so concurrent
//      clients cannot interleave. EAGAIN (FIFO full) waits with poll() within the timeout.
//   3. poll the reply FIFO and read until EOF (the server closes after the reply). Linux does not
//      report POLLHUP on a FIFO that never had a writer, so we wait for POLLIN/POLLHUP and only
//      trust read() == 0 once poll() said the FIFO is ready.
// Threading: no shared state except the signal-cleanup slot (atomics, async-signal-safe).
#include "transports/fifo/fifo_client.h"

#include "transports/net/errno_text.h"
#include "transports/net/io_client.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <random>
#include <system_error>
#include <thread>

namespace sb::client {
namespace {

using Clock = std::chrono::steady_clock;

// The reply FIFO of the one call that asked for signal cleanup. `g_fifo_path` is only written while
// `g_fifo_path_ready` is false, so a handler never sees a half-written path.
std::atomic<bool> g_fifo_slot_taken{false};
std::atomic<bool> g_fifo_path_ready{false};
char g_fifo_path[PATH_MAX];
static_assert(std::atomic<bool>::is_always_lock_free, "signal handlers need lock-free atomics");

using transports::errno_text;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

/// The private reply FIFO: created by create(), removed by the destructor.
class ReplyFifo {
 public:
  ReplyFifo() = default;
  ReplyFifo(const ReplyFifo&) = delete;
  ReplyFifo& operator=(const ReplyFifo&) = delete;
  ~ReplyFifo() {
    // Unlink first, then release the slot: a signal in between unlinks a path that is gone.
    if (created_) ::unlink(path_.c_str());
    if (claimed_) {
      g_fifo_path_ready.store(false);
      g_fifo_slot_taken.store(false);
    }
  }

  bool create(const FifoClientOptions& o, std::string& error) {
    if (!plain_name(o.reply_prefix)) {
      error = "invalid reply FIFO prefix '" + o.reply_prefix + "' (no '/', '\\' or '.')";
      return false;
    }
    std::string dir = o.reply_dir.empty() ? std::string(".") : o.reply_dir;
    if (dir.back() != '/') dir += '/';
    claimed_ = o.signal_cleanup && !g_fifo_slot_taken.exchange(true);
    for (int attempt = 0; attempt < 8; ++attempt) {
      name_ = o.reply_prefix + "_" + std::to_string(::getpid()) + "_" + random_suffix();
      path_ = dir + name_;
      publish();
      if (::mkfifo(path_.c_str(), 0600) == 0) {
        created_ = true;
        return true;
      }
      if (errno != EEXIST) {
        error = "cannot create reply FIFO " + path_ + ": " + errno_text(errno);
        return false;
      }
    }
    error = "cannot create reply FIFO in " + dir + ": names keep colliding";
    return false;
  }

  const std::string& name() const { return name_; }
  const std::string& path() const { return path_; }

 private:
  // Makes path_ visible to unlink_active_reply_fifo() before mkfifo, so no window leaks a FIFO.
  void publish() {
    if (!claimed_) return;
    g_fifo_path_ready.store(false);
    if (path_.size() >= sizeof g_fifo_path) return;  // mkfifo fails with ENAMETOOLONG anyway
    std::memcpy(g_fifo_path, path_.c_str(), path_.size() + 1);
    g_fifo_path_ready.store(true);
  }

  std::string name_;
  std::string path_;
  bool created_ = false;
  bool claimed_ = false;
};

bool open_server_fifo(const std::string& fifo, Fd& out, std::string& error) {
  if (fifo.empty()) {
    error = "no FIFO path given";
    return false;
  }
  struct stat st {};
  if (::stat(fifo.c_str(), &st) == 0 && !S_ISFIFO(st.st_mode)) {
    error = fifo + " is not a FIFO";
    return false;
  }
  out.reset(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  if (!out) {
    int err = errno;
    if (err == ENXIO)
      error = "switchboard is not running: no reader on " + fifo;
    else if (err == ENOENT)
      error = "no FIFO at " + fifo + " (is switchboard running? set SB_FIFO)";
    else
      error = "cannot open " + fifo + ": " + errno_text(err);
    return false;
  }
  if (::fstat(out.get(), &st) != 0 || !S_ISFIFO(st.st_mode)) {  // replaced since stat()
    error = fifo + " is not a FIFO";
    return false;
  }
  return true;
}

/// Blocks SIGPIPE in this thread for its lifetime and swallows one raised by our own write.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    was_pending_ = ::sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
    blocked_ = ::pthread_sigmask(SIG_BLOCK, &pipe_, &old_) == 0;
  }
  ~SigpipeGuard() {
    if (!blocked_) return;
    if (raised_ && !was_pending_) {
      const struct timespec zero {};
      while (::sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
      }
    }
    ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;
  void note_epipe() { raised_ = true; }

 private:
  sigset_t pipe_{};
  sigset_t old_{};
  bool was_pending_ = false;
  bool blocked_ = false;
  bool raised_ = false;
};

bool write_request(int fd, const std::string& fifo, const std::string& request,
                   Clock::time_point deadline, std::chrono::milliseconds timeout,
                   std::string& error) {
  SigpipeGuard sigpipe;
  std::size_t done = 0;
  while (done < request.size()) {
    // One write() for the whole request; only a request over PIPE_BUF can be cut short.
    ssize_t n = ::write(fd, request.data() + done, request.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EPIPE) {
      sigpipe.note_epipe();
      error = "switchboard closed " + fifo + " before the request was written";
      return false;
    }
    if (n < 0 && errno != EAGAIN) {
      error = "cannot write to " + fifo + ": " + errno_text(errno);
      return false;
    }
    int ms = remaining_ms(deadline);
    if (ms == 0) {
      error = "could not write the request to " + fifo + " within " +
              std::to_string(timeout.count()) + " ms (switchboard is not reading it)";
      return false;
    }
    struct pollfd p {fd, POLLOUT, 0};
    if (::poll(&p, 1, ms) < 0 && errno != EINTR) {
      error = "poll on " + fifo + ": " + errno_text(errno);
      return false;
    }
  }
  return true;
}

bool read_reply(int fd, const std::string& path, Clock::time_point deadline,
                std::chrono::milliseconds timeout, std::string& text, std::string& error) {
  char buf[65536];
  for (;;) {
    int ms = remaining_ms(deadline);
    if (ms == 0) {
      error = text.empty() ? "no reply within " + std::to_string(timeout.count()) + " ms"
                           : "incomplete reply within " + std::to_string(timeout.count()) +
                                 " ms (" + std::to_string(text.size()) + " bytes, no end)";
      return false;
    }
    struct pollfd p {fd, POLLIN, 0};
    int r = ::poll(&p, 1, ms);
    if (r < 0) {
      if (errno == EINTR) continue;
      error = "poll on " + path + ": " + errno_text(errno);
      return false;
    }
    if (r == 0) continue;  // the deadline check above ends the wait
    // Ready (POLLIN/POLLHUP): drain; EOF means the server closed its end after the reply.
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) {
        text.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0) return true;
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;  // the writer is still there: wait for more
      error = "cannot read " + path + ": " + errno_text(errno);
      return false;
    }
  }
}

}  // namespace

std::string text_request(const std::string& command, const std::vector<std::string>& params,
                         const std::string& reply_name) {
  std::string out = ":" + command + ":" + reply_name + "\n";
  for (const auto& p : params) {
    out += p;
    out += '\n';
  }
  out += '\n';
  return out;
}

std::string json_request(const std::string& json, const std::string& reply_name) {
  return ":" + reply_name + ":" + json;
}

FifoReply fifo_call(const FifoClientOptions& options,
                    const std::function<std::string(const std::string& reply_name)>& request_builder) {
  FifoReply reply;
  const auto deadline = Clock::now() + options.timeout;

  ReplyFifo reply_fifo;
  if (!reply_fifo.create(options, reply.error)) return reply;
  Fd reader(::open(reply_fifo.path().c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!reader) {
    reply.error = "cannot open reply FIFO " + reply_fifo.path() + ": " + errno_text(errno);
    return reply;
  }

  Fd server;
  if (!open_server_fifo(options.fifo, server, reply.error)) return reply;
  const std::string request = request_builder(reply_fifo.name());
  if (request.empty()) {
    reply.error = "empty request";
    return reply;
  }
  if (!write_request(server.get(), options.fifo, request, deadline, options.timeout, reply.error))
    return reply;
  server.reset();

  if (!read_reply(reader.get(), reply_fifo.path(), deadline, options.timeout, reply.text,
                  reply.error)) {
    reply.text.clear();
    return reply;
  }
  reply.ok = true;
  return reply;
}

void unlink_active_reply_fifo() noexcept {
  if (g_fifo_path_ready.load()) ::unlink(g_fifo_path);
}

}  // namespace sb::client
