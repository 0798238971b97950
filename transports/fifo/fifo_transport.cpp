// fifo_transport.cpp: the server FIFO's life (create, watch, re-create, remove), the reader
// thread, and request → dispatcher → rendered reply.
#include "transports/fifo/fifo_transport.h"

#include "transports/net/errno_text.h"

#include "transports/net/ser_dialect.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "mi/render/text.h"
#include "mi/threads.h"
#include "transports/fifo/fifo_framer.h"
#include "transports/fifo/reply_fifo.h"
#include "transports/net/files.h"
#include "transports/net/printable.h"

namespace sb::transports {

namespace {

using Clock = std::chrono::steady_clock;

/// The gid of fifo.group (the daemon's group when empty or unknown: create() reports that).
gid_t fifo_group_id(const std::string& name) {
  if (name.empty()) return ::getegid();
  const group* gr = ::getgrnam(name.c_str());
  return gr ? gr->gr_gid : ::getegid();
}

}  // namespace

struct FifoTransport::Impl {
  FifoConfig cfg;
  mi::Dispatcher& dispatcher;
  ReplyWriter writer;
  mi::Stat& requests;
  mi::Stat& bad_names;
  mi::Stat& parse_errors;
  mi::Stat& recreated;
  int fd = -1;
  int wake = -1;
  ino_t ino = 0;
  dev_t dev = 0;
  std::thread reader;
  std::atomic<bool> stopping{false};
  bool replace_failed = false;  ///< the last re-creation failed (logged once)

  Impl(FifoConfig c, mi::Dispatcher& d)
      : cfg(std::move(c)), dispatcher(d),
        writer(ReplyOptions{cfg.reply_dir, cfg.open_retries, cfg.open_retry_interval, cfg.reply_timeout,
                            fifo_group_id(cfg.group)},
               d.statistics()),
        requests(d.statistics().counter("fifo", "requests")),
        bad_names(d.statistics().counter("fifo", "bad_reply_names")),
        parse_errors(d.statistics().counter("fifo", "parse_errors")),
        recreated(d.statistics().counter("fifo", "recreated")) {}

  // Creates the FIFO (replacing a stale one) and opens it for reading (O_RDWR: never sees EOF).
  // It is made under a temporary name — mode, owner and our reader in place — and then renamed
  // over fifo.path, so a client never finds the path with the wrong mode or without a reader.
  // At start-up (`replace_other` false) a file that is not a FIFO is left alone; while running,
  // something put at fifo.path in place of our FIFO (a regular file: a shell's `> path` after
  // the FIFO was removed) is replaced by the rename, so the transport is never left deaf.
  void create(bool replace_other = false) {
    struct stat st {};
    if (!replace_other && ::lstat(cfg.path.c_str(), &st) == 0 && !S_ISFIFO(st.st_mode))
      throw FifoError(fmt::format("{} exists and is not a FIFO: refusing to replace it "
                                  "(remove it or set fifo.path)", cfg.path));
    make_parent_dirs(cfg.path);  // the private run directory (0750) on a first start
    const std::string tmp = fmt::format("{}.{}.new", cfg.path, ::getpid());
    ::unlink(tmp.c_str());  // a leftover of a crash of this very pid number
    if (::mkfifo(tmp.c_str(), 0600) != 0)
      throw FifoError(fmt::format("cannot create the FIFO {}: {}", tmp, errno_text(errno)));
    int nfd = -1;
    try {
      if (::chmod(tmp.c_str(), cfg.mode) != 0)
        throw FifoError(fmt::format("cannot chmod the FIFO {}: {}", tmp, errno_text(errno)));
      if (!cfg.user.empty() || !cfg.group.empty()) {
        uid_t uid = static_cast<uid_t>(-1);
        gid_t gid = static_cast<gid_t>(-1);
        if (!cfg.user.empty()) {
          const passwd* pw = ::getpwnam(cfg.user.c_str());
          if (!pw) throw FifoError(fmt::format("fifo.user: unknown user '{}'", cfg.user));
          uid = pw->pw_uid;
        }
        if (!cfg.group.empty()) {
          const group* gr = ::getgrnam(cfg.group.c_str());
          if (!gr) throw FifoError(fmt::format("fifo.group: unknown group '{}'", cfg.group));
          gid = gr->gr_gid;
        }
        if (::chown(tmp.c_str(), uid, gid) != 0)
          throw FifoError(fmt::format("cannot chown the FIFO {}: {}", tmp, errno_text(errno)));
      }
      nfd = ::open(tmp.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
      if (nfd < 0) throw FifoError(fmt::format("cannot open the FIFO {}: {}", tmp, errno_text(errno)));
      if (::rename(tmp.c_str(), cfg.path.c_str()) != 0)
        throw FifoError(fmt::format("cannot rename {} to {}: {}", tmp, cfg.path, errno_text(errno)));
    } catch (...) {
      if (nfd >= 0) ::close(nfd);
      ::unlink(tmp.c_str());
      throw;
    }
    struct stat own {};
    ::fstat(nfd, &own);
    if (fd >= 0) ::close(fd);
    fd = nfd;
    ino = own.st_ino;
    dev = own.st_dev;
  }

  // True while the path still names the FIFO we read from.
  bool still_ours() const {
    struct stat st {};
    return ::lstat(cfg.path.c_str(), &st) == 0 && S_ISFIFO(st.st_mode) && st.st_ino == ino &&
           st.st_dev == dev;
  }

  void send_reply(const std::string& name, std::string bytes) {
    if (!name.empty()) writer.send(name, std::move(bytes));
  }

  void handle(FramedRequest r) {
    requests.inc();
    if (!r.reply_name.empty()) {
      if (std::string why = check_reply_name(r.reply_name); !why.empty()) {
        bad_names.inc();
        spdlog::warn("fifo: request refused, reply name '{}': {}", printable(r.reply_name, 80), why);
        return;
      }
    }
    const SerDialect dialect = r.dialect;
    // A JSON-RPC reply is one line: the FIFO reader reads up to its newline.
    auto finish_line = [dialect](std::string out) {
      return dialect == SerDialect::json ? out + "\n" : out;
    };
    if (r.error) {
      parse_errors.inc();
      send_reply(r.reply_name, finish_line(render_ser_error(dialect, *r.error)));
      return;
    }
    mi::Caller caller{"fifo", r.reply_name.empty() ? std::string("(no reply)") : r.reply_name,
                      mi::Role::admin};
    SerRequest request{dialect, std::move(r.command), std::move(r.params),
                       std::make_shared<const std::string>(std::move(r.json))};
    SerStreamReply pieces;
    if (!r.reply_name.empty())
      pieces = [this, reply = r.reply_name, dialect](std::shared_ptr<mi::ChunkedReply> out) {
        // A JSON-RPC reply ends with its newline, as a whole one does (finish_line).
        if (dialect == SerDialect::json) out = mi::followed_by(std::move(out), "\n");
        writer.send_pieces(reply, std::move(out));
      };
    dispatch_ser(dispatcher, std::move(request), std::move(caller),
                 [this, reply = r.reply_name, finish_line](std::optional<std::string> out) {
                   if (out) send_reply(reply, finish_line(std::move(*out)));
                 },
                 std::move(pieces));
  }

  void run() {
    mi::ThreadTag tag("FIFO reader");
    FifoFramer framer(
        cfg.max_request, [this](std::string_view cmd) { return dispatcher.text_layout(cmd); },
        [this](std::string_view cmd) { return dispatcher.registry().find_case_insensitive(cmd) != nullptr; });
    std::vector<char> buf(64 * 1024);
    auto next_check = Clock::now() + cfg.check_interval;
    // When the request now buffered began: its deadline is absolute (request_timeout from its
    // first byte), so a writer trickling one byte at a time cannot extend it.
    auto request_began = Clock::now();
    while (!stopping.load()) {
      pollfd fds[2] = {{fd, POLLIN, 0}, {wake, POLLIN, 0}};
      auto until = next_check;
      if (framer.buffered() > 0) until = std::min(until, request_began + cfg.request_timeout);
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
      int n = ::poll(fds, 2, static_cast<int>(std::max<long>(0, wait.count())));
      if (n < 0 && errno != EINTR) {
        spdlog::error("fifo: poll: {}", errno_text(errno));
        break;
      }
      if (fds[1].revents) break;
      if (n > 0 && (fds[0].revents & POLLIN)) {
        for (;;) {
          ssize_t got = ::read(fd, buf.data(), buf.size());
          if (got <= 0) break;
          const bool was_empty = framer.buffered() == 0;
          auto framed = framer.feed(std::string_view(buf.data(), static_cast<std::size_t>(got)));
          if (was_empty || !framed.empty()) request_began = Clock::now();  // a new request began
          for (FramedRequest& r : framed) handle(std::move(r));
        }
      }
      if (framer.buffered() > 0 && Clock::now() >= request_began + cfg.request_timeout) {
        spdlog::warn("fifo: dropping an incomplete request ({} bytes, not complete within {} ms "
                     "of its first byte)", framer.buffered(), cfg.request_timeout.count());
        if (auto r = framer.abandon(cfg.request_timeout)) handle(std::move(*r));
      }
      if (Clock::now() >= next_check) {
        next_check = Clock::now() + cfg.check_interval;
        if (!still_ours()) recreate();
      }
    }
  }

  void recreate() {
    if (!replace_failed) spdlog::warn("fifo: {} was removed or replaced; re-creating it", cfg.path);
    try {
      create(/*replace_other=*/true);
      recreated.inc();
      replace_failed = false;
    } catch (const FifoError& e) {
      // Said once, not every check_interval, until it works again.
      if (!replace_failed) spdlog::error("fifo: {} (will keep trying quietly)", e.what());
      replace_failed = true;
    }
  }
};

FifoTransport::FifoTransport(FifoConfig config, mi::Dispatcher& dispatcher)
    : config_(config), impl_(std::make_unique<Impl>(std::move(config), dispatcher)) {}

FifoTransport::~FifoTransport() {
  stop_accepting();
  finish(std::chrono::milliseconds(0));
  if (impl_->wake >= 0) ::close(impl_->wake);
}

void FifoTransport::start() {
  struct stat st {};
  if (::stat(config_.reply_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw FifoError(fmt::format("fifo.reply_dir {} is not a directory", config_.reply_dir));
  impl_->create();
  impl_->wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (impl_->wake < 0) throw FifoError(fmt::format("eventfd: {}", errno_text(errno)));
  impl_->reader = std::thread([this] { impl_->run(); });
  spdlog::info("fifo: listening on {} (mode {:04o}, replies in {})", config_.path, config_.mode,
               config_.reply_dir);
}

void FifoTransport::stop_accepting() {
  if (impl_->stopping.exchange(true)) return;
  if (impl_->wake >= 0) {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(impl_->wake, &one, sizeof one);
  }
  if (impl_->reader.joinable()) impl_->reader.join();
  if (impl_->fd >= 0) {
    if (impl_->still_ours()) ::unlink(config_.path.c_str());
    ::close(impl_->fd);
    impl_->fd = -1;
  }
}

void FifoTransport::finish(std::chrono::milliseconds deadline) { impl_->writer.finish(deadline); }

}  // namespace sb::transports
