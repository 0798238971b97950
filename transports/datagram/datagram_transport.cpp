// datagram_transport.cpp: the unix and UDP datagram sockets (bind, permissions, stale-file
// handling), the receiving workers, datagram → dialect → dispatcher, and the size-checked reply.
//
// Life of a request (spec/wire.md §4):
//   1. a worker blocked in recvfrom() (the kernel wakes one blocked receiver per datagram)
//      receives it into a max_size+1 buffer with MSG_TRUNC (so the real size of an oversized
//      datagram is known);
//   2. the dialect is JSON-RPC when the first non-blank byte is `{` or `[`, else SER text;
//   3. the request goes to the Dispatcher; the completion (any thread) renders the reply, swaps
//      it for the 413 answer when it does not fit max_size, and sendto()s it to the sender.
// Completions hold a shared_ptr to `Core` (sockets, counters), never to the transport, so a
// late completion after shutdown finds closed sockets and drops its reply instead of crashing.
#include "transports/datagram/datagram_transport.h"

#include "transports/net/errno_text.h"
#include "transports/net/in_flight.h"
#include "transports/net/ser_dialect.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstddef>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "mi/codec/jsonrpc.h"
#include "mi/codec/text_request.h"
#include "mi/render/text.h"
#include "mi/threads.h"
#include "transports/net/address.h"
#include "transports/net/files.h"
#include "transports/net/printable.h"

namespace sb::transports {

namespace {

using Clock = std::chrono::steady_clock;


/// How long a completion retries a reply the kernel cannot take yet (EAGAIN: a unix client's
/// receive queue is full — net.unix.max_dgram_qlen, often 10 — or our send buffer is).
/// SER's unixsock waited up to 2 s (unix_tx_timeout). Receiving workers never wait: see below.
constexpr std::chrono::milliseconds kSendTimeout{250};

/// True on the receiving workers. Replies they send themselves (parse errors, size errors,
/// unknown commands, which the dispatcher answers on the calling thread) are tried once, so a
/// client that does not read its replies cannot slow down the reception of other requests.
thread_local bool t_receiver = false;
/// Send buffer asked for the unix socket: replies queued at clients that do not read are charged
/// to it until they are read, so a larger buffer keeps one slow client from stalling the rest.
constexpr int kUnixSendBuffer = 4 * 1024 * 1024;


enum Socket { kUnix = 0, kUdp = 1 };
constexpr const char* kSocketName[] = {"unix", "udp"};


/// The sender's address as text for logs and Caller::peer.
std::string peer_text(bool unix_socket, const sockaddr_storage& from, socklen_t len) {
  if (unix_socket) {  // an unbound sender has no address at all (len 0, no family)
    const auto* un = reinterpret_cast<const sockaddr_un*>(&from);
    std::size_t n = len > offsetof(sockaddr_un, sun_path) ? len - offsetof(sockaddr_un, sun_path) : 0;
    if (n == 0) return "(unbound unix socket)";
    // The client chose this path: logged and shown, so made printable.
    if (un->sun_path[0] == '\0') return "@" + printable(std::string_view(un->sun_path + 1, n - 1));
    return printable(std::string_view(un->sun_path, strnlen(un->sun_path, n)));
  }
  SocketAddress a;
  std::memcpy(&a.storage, &from, sizeof from);
  a.length = len;
  return a.to_string();
}

/// Where a reply goes: the socket the request came in on and the sender's address.
struct Target {
  Socket socket;
  sockaddr_storage addr{};
  socklen_t len = 0;
  std::string peer;
  bool unbound() const { return socket == kUnix && len <= offsetof(sockaddr_un, sun_path); }
};

}  // namespace

/// What replies need after the transport object may be gone: sockets, limits, counters.
struct DatagramCore {
  std::size_t max_size;
  int fds[2] = {-1, -1};
  std::shared_mutex fd_mu;  // shared: a send in progress; unique: closing the sockets
  bool closed = false;

  InFlight flight;  ///< requests dispatched and not yet answered (finish() waits for them)

  mi::Stat& requests;
  mi::Stat& replies;
  mi::Stat& reply_too_large;
  mi::Stat& request_too_large;
  mi::Stat& parse_errors;
  mi::Stat& send_failures;

  DatagramCore(std::size_t max, mi::Statistics& s)
      : max_size(max),
        requests(s.counter("datagram", "requests")),
        replies(s.counter("datagram", "replies")),
        reply_too_large(s.counter("datagram", "reply_too_large")),
        request_too_large(s.counter("datagram", "request_too_large")),
        parse_errors(s.counter("datagram", "parse_errors")),
        send_failures(s.counter("datagram", "send_failures")) {}

  ~DatagramCore() { close_sockets(); }

  void close_sockets() {
    std::unique_lock lk(fd_mu);
    closed = true;
    for (int& fd : fds) {
      if (fd >= 0) ::close(fd);
      fd = -1;
    }
  }

  /// Sends one reply datagram (already size-checked). Never blocks longer than kSendTimeout.
  /// Returns the errno of the failure, 0 on success.
  int send_raw(const Target& t, std::string_view bytes) {
    const auto until = Clock::now() + (t_receiver ? std::chrono::milliseconds(0) : kSendTimeout);
    for (;;) {
      int err = 0;
      {
        std::shared_lock lk(fd_mu);
        if (closed || fds[t.socket] < 0) return EBADF;
        ssize_t n = ::sendto(fds[t.socket], bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                             reinterpret_cast<const sockaddr*>(&t.addr), t.len);
        if (n >= 0) return 0;
        err = errno;
      }
      if (err == EINTR) continue;
      if ((err != EAGAIN && err != EWOULDBLOCK && err != ENOBUFS) || Clock::now() >= until)
        return err;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  /// Sends `reply`, or — when it does not fit max_size — the 413 answer made by `too_large`.
  /// Every failure is counted and logged: no reply disappears without a trace.
  template <typename TooLarge>
  void send(const Target& t, std::string reply, TooLarge&& too_large) {
    if (reply.size() > max_size) {
      reply_too_large.inc();
      spdlog::warn("datagram {}: reply to {} is {} bytes, over datagram.max_size {}: sent 413",
                   kSocketName[t.socket], t.peer, reply.size(), max_size);
      reply = too_large(reply.size(), max_size);
    }
    if (t.unbound()) {
      send_failures.inc();
      spdlog::warn("datagram unix: request from an unbound socket ran, but its reply has nowhere "
                   "to go (clients must bind() a path to get replies)");
      return;
    }
    int err = send_raw(t, reply);
    if (err == EMSGSIZE) {  // the OS limit is below max_size (e.g. a small unix send buffer)
      reply_too_large.inc();
      spdlog::warn("datagram {}: the OS refused a {} byte reply to {} (EMSGSIZE): sent 413",
                   kSocketName[t.socket], reply.size(), t.peer);
      reply = too_large(reply.size(), max_size);
      err = send_raw(t, reply);
    }
    if (err == 0) {
      replies.inc();
      return;
    }
    send_failures.inc();
    if (err == EBADF)
      spdlog::warn("datagram {}: reply to {} dropped: the transport has shut down",
                   kSocketName[t.socket], t.peer);
    else
      spdlog::warn("datagram {}: cannot send the reply to {}: {}", kSocketName[t.socket], t.peer,
                   errno_text(err));
  }

  void send_text(const Target& t, std::string reply) {
    send(t, std::move(reply), [](std::size_t size, std::size_t max) {
      return mi::render_text(mi::Error::reply_too_large(size, max));
    });
  }
  /// `request` is decoded again only when the reply is too large, to answer with its id.
  void send_json(const Target& t, std::string reply, const std::shared_ptr<const std::string>& request) {
    send(t, std::move(reply), [&request](std::size_t size, std::size_t max) {
      mi::Value id;
      if (request) {
        mi::JsonRpcMessage msg = mi::decode_jsonrpc(*request);
        if (!msg.error && !msg.batch && msg.items.size() == 1) id = msg.items.front().id;
      }
      return mi::render_jsonrpc(mi::Error::reply_too_large(size, max), id);
    });
  }
};

struct DatagramTransport::Impl {
  DatagramConfig cfg;
  mi::Dispatcher& dispatcher;
  std::shared_ptr<DatagramCore> core;
  int port = 0;
  dev_t unix_dev = 0;
  ino_t unix_ino = 0;
  bool unix_bound = false;
  std::vector<std::thread> workers;
  std::atomic<bool> stopping{false};
  bool finished = false;

  Impl(DatagramConfig c, mi::Dispatcher& d)
      : cfg(std::move(c)), dispatcher(d),
        core(std::make_shared<DatagramCore>(cfg.max_size, d.statistics())) {}

  // --- startup ---------------------------------------------------------------------------

  /// Refuses a path that is not a socket, or a socket someone still serves; removes a stale one.
  void clear_unix_path() {
    const std::string& path = cfg.unix_path;
    if (path.size() >= sizeof(sockaddr_un::sun_path))
      throw DatagramError(fmt::format("datagram.unix {} is too long for a unix socket path "
                                      "({} bytes at most)", path, sizeof(sockaddr_un::sun_path) - 1));
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) return;
      throw DatagramError(fmt::format("datagram.unix {}: {}", path, errno_text(errno)));
    }
    if (!S_ISSOCK(st.st_mode))
      throw DatagramError(fmt::format("datagram.unix {} exists and is not a socket: refusing to "
                                      "replace it (remove it or set datagram.unix)", path));
    // A socket file: stale (left by a crash) unless a process still receives on it.
    int probe = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (probe >= 0) {
      sockaddr_un a{};
      a.sun_family = AF_UNIX;
      std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
      int rc = ::connect(probe, reinterpret_cast<const sockaddr*>(&a), sizeof a);
      ::close(probe);
      if (rc == 0)
        throw DatagramError(fmt::format("datagram.unix {} is in use by another process (is "
                                        "switchboard already running?)", path));
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      throw DatagramError(fmt::format("cannot remove the stale socket {}: {}", path, errno_text(errno)));
    spdlog::info("datagram: replaced the stale socket {}", path);
  }

  void bind_udp() {
    std::string why;
    auto addr = parse_host_port(cfg.udp, &why);
    if (!addr) throw DatagramError(fmt::format("datagram.udp: {}", why));
    if (!addr->is_loopback() && !cfg.udp_allow_remote)
      throw DatagramError(fmt::format(
          "datagram.udp {} is not a loopback address: datagrams carry no credentials and a small "
          "request can get a large reply (a reflection amplifier). Listen on 127.0.0.1, or set "
          "datagram.udp_allow_remote = on if the network is trusted",
          cfg.udp));
    int fd = ::socket(addr->family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw DatagramError(fmt::format("datagram.udp: socket: {}", errno_text(errno)));
    core->fds[kUdp] = fd;
    if (::bind(fd, addr->get(), addr->length) != 0)
      throw DatagramError(fmt::format("cannot bind the datagram UDP socket to {}: {}", cfg.udp,
                                      errno_text(errno)));
    auto local = local_address(fd);
    port = local ? local->port() : addr->port();
    if (!addr->is_loopback())
      spdlog::warn("datagram: UDP socket on {} is not loopback (datagram.udp_allow_remote = on): "
                   "anyone who can reach it gets the {} role (no authentication on datagrams)",
                   cfg.udp, mi::to_string(cfg.udp_role));
  }

  void bind_unix() {
    const std::string& path = cfg.unix_path;
    make_parent_dirs(path);  // the private run directory (0750) on a first start
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw DatagramError(fmt::format("datagram.unix: socket: {}", errno_text(errno)));
    core->fds[kUnix] = fd;
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
    // Linux gives the socket file the mode of the socket's inode (minus the umask): make it 0
    // before bind, then open up to the configured mode, so there is no window in which the
    // umask's mode lets someone else in (and the process-wide umask is left alone).
    [[maybe_unused]] int ignored = ::fchmod(fd, 0);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0)
      throw DatagramError(fmt::format("cannot bind the datagram unix socket {}: {}", path,
                                      errno_text(errno)));
    unix_bound = true;
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
      unix_dev = st.st_dev;
      unix_ino = st.st_ino;
    }
    if (::chmod(path.c_str(), cfg.unix_mode) != 0)
      throw DatagramError(fmt::format("cannot chmod the socket {}: {}", path, errno_text(errno)));
    int sndbuf = kUnixSendBuffer;
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);  // best effort
  }

  /// True while the path still names the socket we bound (so we never remove someone else's).
  bool unix_still_ours() const {
    struct stat st {};
    return unix_bound && ::lstat(cfg.unix_path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) &&
           st.st_dev == unix_dev && st.st_ino == unix_ino;
  }

  void remove_unix_file() {
    if (unix_still_ours()) ::unlink(cfg.unix_path.c_str());
    unix_bound = false;
  }

  // --- receiving ---------------------------------------------------------------------------

  /// Every worker blocks in recvfrom() on the shared socket: the kernel queues blocked receivers
  /// exclusively and hands each datagram to one of them (no thundering herd). This beat one
  /// EPOLLEXCLUSIVE epoll set per worker: 2x the requests/s at 1 client, the same at 16
  /// (bench/README.md). stop_workers() wakes them with shutdown(SHUT_RD); a receive timeout is
  /// the safety net for the stop flag.
  void run(Socket which) {
    mi::ThreadTag tag(which == kUnix ? "datagram unix" : "datagram udp");
    t_receiver = true;
    const int fd = core->fds[which];
    timeval tick{0, 500 * 1000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof tick);
    // Not zeroed: only the bytes a datagram fills are ever touched (4 workers × 64 kB would be
    // resident from the start otherwise).
    std::unique_ptr<char[]> storage(new char[cfg.max_size + 1]);
    std::span<char> buf(storage.get(), cfg.max_size + 1);
    while (!stopping.load()) receive_one(which, fd, buf);
  }

  /// Waits for one datagram (at most the receive timeout) and handles it.
  void receive_one(Socket which, int fd, std::span<char> buf) {
    Target t;
    t.socket = which;
    t.len = sizeof t.addr;
    // MSG_TRUNC: the return value is the datagram's real size even when it did not fit.
    ssize_t got = ::recvfrom(fd, buf.data(), buf.size(), MSG_TRUNC, reinterpret_cast<sockaddr*>(&t.addr), &t.len);
    if (stopping.load()) return;  // woken by stop_workers()
    if (got < 0) {
      int err = errno;
      // The receive timeout, a signal, or a queued ICMP error about an earlier reply.
      if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR || err == ECONNREFUSED) return;
      spdlog::warn("datagram {}: recvfrom: {}", kSocketName[which], errno_text(err));
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // no busy loop
      return;
    }
    t.peer = peer_text(which == kUnix, t.addr, t.len);
    handle(std::move(t), buf, static_cast<std::size_t>(got));
  }

  void handle(Target t, std::span<const char> buf, std::size_t size) {
    if (size == 0) {
      spdlog::info("datagram {}: empty datagram from {} ignored", kSocketName[t.socket], t.peer);
      return;
    }
    core->requests.inc();
    std::string_view data(buf.data(), std::min(size, buf.size()));
    const SerDialect dialect = ser_dialect_of(data);
    const bool json = dialect == SerDialect::json;
    auto answer = [this, &t, json](const mi::Error& e) {
      if (json) core->send_json(t, render_ser_error(SerDialect::json, e), nullptr);
      else core->send_text(t, render_ser_error(SerDialect::text, e));
    };
    if (size > cfg.max_size) {
      core->request_too_large.inc();
      spdlog::warn("datagram {}: {} byte request from {} is over datagram.max_size {}: answered 400",
                   kSocketName[t.socket], size, t.peer, cfg.max_size);
      return answer(mi::Error::request_too_large(size, cfg.max_size));
    }
    SerRequest request;
    request.dialect = dialect;
    if (json) {
      request.json = std::make_shared<const std::string>(data);
    } else if (auto e = decode_text(data, request)) {
      core->parse_errors.inc();
      spdlog::info("datagram {}: malformed request from {}: {}", kSocketName[t.socket], t.peer,
                   printable(e->detail));
      return answer(*e);
    }
    // The unix socket is trusted by its file permissions; UDP by config (no credentials).
    mi::Caller caller{"datagram", t.peer, t.socket == kUdp ? cfg.udp_role : mi::Role::admin};
    core->flight.begin();
    auto json_text = request.json;
    dispatch_ser(dispatcher, std::move(request), std::move(caller),
                 [core = core, t = std::move(t), json_text](std::optional<std::string> out) {
                   if (out && json_text) core->send_json(t, std::move(*out), json_text);
                   else if (out) core->send_text(t, std::move(*out));
                   core->flight.end();
                 });
  }

  /// SER text in one datagram: first line `:<cmd>:<anything>`, then params; the datagram's end
  /// ends them. Fills `request`; the error to answer when it is malformed.
  std::optional<mi::Error> decode_text(std::string_view data, SerRequest& request) const {
    auto nl = data.find('\n');
    std::string_view first = data.substr(0, nl);
    std::string_view rest = nl == std::string_view::npos ? std::string_view() : data.substr(nl + 1);
    auto line = mi::parse_text_command_line(first);
    if (auto* err = std::get_if<mi::Error>(&line)) return *err;
    request.command = std::get<mi::TextCommandLine>(line).command;
    mi::TextParams params = mi::parse_text_params(rest, dispatcher.text_layout(request.command),
                                                  request.command, /*at_end=*/true);
    if (params.status != mi::TextParams::Status::complete)
      return params.error ? *params.error : mi::Error::parse_error("incomplete params", request.command);
    request.params = std::move(params.params);
    return std::nullopt;
  }

  void stop_workers() {
    stopping.store(true);
    // Wakes the workers blocked in recvfrom() (it returns 0); replies can still be sent.
    for (int fd : core->fds)
      if (fd >= 0) ::shutdown(fd, SHUT_RD);
    for (auto& w : workers)
      if (w.joinable()) w.join();
    workers.clear();
  }
};

DatagramTransport::DatagramTransport(DatagramConfig config, mi::Dispatcher& dispatcher)
    : impl_(std::make_unique<Impl>(std::move(config), dispatcher)) {}

DatagramTransport::~DatagramTransport() {
  stop_accepting();
  finish(std::chrono::milliseconds(0));
}

void DatagramTransport::start() {
  Impl& m = *impl_;
  const DatagramConfig& c = m.cfg;
  if (c.unix_path.empty() && c.udp.empty()) return;
  if (c.max_size == 0) throw DatagramError("datagram.max_size must be at least 1");
  if (c.workers == 0) throw DatagramError("datagram.workers must be at least 1");
  try {
    // Checks first, then UDP, then the unix socket: when the unix file appears, UDP is bound.
    if (!c.unix_path.empty()) m.clear_unix_path();
    if (!c.udp.empty()) m.bind_udp();
    if (!c.unix_path.empty()) m.bind_unix();
    for (Socket s : {kUnix, kUdp}) {
      if (m.core->fds[s] < 0) continue;
      for (std::size_t i = 0; i < c.workers; ++i) m.workers.emplace_back([&m, s] { m.run(s); });
    }
  } catch (const std::system_error& e) {  // thread creation
    m.stop_workers();
    m.remove_unix_file();
    m.core->close_sockets();
    throw DatagramError(fmt::format("datagram: cannot start the workers: {}", e.what()));
  } catch (...) {
    m.stop_workers();
    m.remove_unix_file();
    m.core->close_sockets();
    throw;
  }
  std::string where;
  if (!c.unix_path.empty()) where = fmt::format("unix {} (mode {:04o})", c.unix_path, c.unix_mode);
  if (!c.udp.empty()) {
    if (!where.empty()) where += ", ";
    where += fmt::format("udp {}", c.udp);
    if (m.port != 0 && c.udp.ends_with(":0")) where += fmt::format(" (port {})", m.port);
  }
  spdlog::info("datagram: listening on {}; {} workers per socket, max {} bytes", where, c.workers,
               c.max_size);
}

void DatagramTransport::stop_accepting() {
  Impl& m = *impl_;
  if (m.stopping.load() && m.workers.empty() && !m.unix_bound) return;
  m.stop_workers();
  m.remove_unix_file();
}

void DatagramTransport::finish(std::chrono::milliseconds deadline) {
  Impl& m = *impl_;
  if (m.finished) return;
  m.finished = true;
  stop_accepting();
  if (!m.core->flight.wait_idle(deadline))
    spdlog::warn("datagram: {} replies still pending after {} ms; closing the sockets",
                 m.core->flight.count(), deadline.count());
  m.core->close_sockets();
}

int DatagramTransport::udp_port() const { return impl_->port; }

}  // namespace sb::transports
