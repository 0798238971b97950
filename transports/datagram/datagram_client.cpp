// datagram_client.cpp: the client side of the datagram transport (see datagram_client.h).
//
// A call: (re)open the socket if needed — unix: bind a private path, then connect() to the
// server path; UDP: connect() to host:port — drop any stale datagram still queued, send the
// request with one send() (MSG_DONTWAIT, waiting with poll() while the server's queue is full:
// unix datagram queues are short, net.unix.max_dgram_qlen is often 10), then poll() for the
// reply until the deadline. A connected datagram socket only receives from its peer, and on UDP
// it reports "port unreachable" as ECONNREFUSED, which we turn into "nobody listens".
// Threading: no shared state except the signal-cleanup slot (atomics, async-signal-safe).
#include "transports/datagram/datagram_client.h"

#include "transports/net/errno_text.h"
#include "transports/net/io_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <system_error>
#include <thread>

namespace sb::client {
namespace {

using Clock = std::chrono::steady_clock;

/// Largest datagram we take (UDP's limit is 65507; a unix reply is bounded by the server's
/// datagram.max_size, at most 65507 too). MSG_TRUNC tells us if one was larger anyway.
constexpr std::size_t kReplyBuffer = 65536;

// The socket path of the one client that asked for signal cleanup (see fifo_client.cpp).
std::atomic<bool> g_slot_taken{false};
std::atomic<bool> g_path_ready{false};
char g_path[sizeof(sockaddr_un::sun_path)];
static_assert(std::atomic<bool>::is_always_lock_free, "signal handlers need lock-free atomics");

using transports::errno_text;

/// `host:port`, `[v6]:port` or `localhost:port` → a socket address (numeric hosts only).
bool parse_udp(const std::string& text, sockaddr_storage& out, socklen_t& len, std::string& error) {
  std::string host;
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      error = "'" + text + "' is not [ipv6]:port";
      return false;
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      error = "'" + text + "' is not host:port";
      return false;
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  int port = -1;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port <= 0 || port > 65535) {
    error = "'" + port_text + "' is not a port number (1..65535)";
    return false;
  }
  if (host == "localhost") host = "127.0.0.1";
  out = {};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof(sockaddr_in);
    return true;
  }
  if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof(sockaddr_in6);
    return true;
  }
  error = "'" + host + "' is not an IPv4/IPv6 address (or localhost)";
  return false;
}

bool fill_unix(const std::string& path, sockaddr_un& a, std::string& error) {
  if (path.size() >= sizeof a.sun_path) {
    error = "unix socket path too long (" + std::to_string(sizeof a.sun_path - 1) +
            " bytes at most): " + path;
    return false;
  }
  a = {};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  return true;
}

}  // namespace

std::string datagram_text_request(const std::string& command, const std::vector<std::string>& params) {
  std::string out = ":" + command + ":\n";
  for (const auto& p : params) {
    out += p;
    out += '\n';
  }
  return out;
}

struct DatagramClient::Impl {
  DatagramClientOptions o;
  int fd = -1;
  std::string bound;      ///< our socket file (unix), removed by close()
  bool claimed = false;   ///< we own the signal-cleanup slot
  std::string endpoint;   ///< "unix socket /path" or "udp 127.0.0.1:8094", for messages
  std::vector<char> buf = std::vector<char>(kReplyBuffer);

  explicit Impl(DatagramClientOptions opts) : o(std::move(opts)) {
    endpoint = !o.unix_path.empty() ? o.unix_path : "udp " + o.udp;
  }
  ~Impl() { close(); }

  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
    // Unlink first, then release the slot: a signal in between unlinks a path that is gone.
    if (!bound.empty()) ::unlink(bound.c_str());
    bound.clear();
    if (claimed) {
      g_path_ready.store(false);
      g_slot_taken.store(false);
      claimed = false;
    }
  }

  void publish(const std::string& path) {
    if (!claimed) return;
    g_path_ready.store(false);
    if (path.size() >= sizeof g_path) return;
    std::memcpy(g_path, path.c_str(), path.size() + 1);
    g_path_ready.store(true);
  }

  bool open_unix(std::string& error) {
    sockaddr_un server{};
    if (!fill_unix(o.unix_path, server, error)) return false;
    struct stat st {};
    if (::stat(o.unix_path.c_str(), &st) == 0 && !S_ISSOCK(st.st_mode)) {
      error = o.unix_path + " is not a socket";
      return false;
    }
    if (!plain_name(o.client_prefix)) {
      error = "invalid client socket prefix '" + o.client_prefix + "' (no '/', '\\' or '.')";
      return false;
    }
    fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      error = "socket: " + errno_text(errno);
      return false;
    }
    std::string dir = o.client_dir.empty() ? std::string(".") : o.client_dir;
    if (dir.back() != '/') dir += '/';
    claimed = o.signal_cleanup && !g_slot_taken.exchange(true);
    bool done = false;
    for (int attempt = 0; attempt < 8 && !done; ++attempt) {
      std::string path = dir + o.client_prefix + "_" + std::to_string(::getpid()) + "_" +
                         random_suffix() + ".sock";
      sockaddr_un me{};
      if (!fill_unix(path, me, error)) return false;
      publish(path);  // before bind: no window in which a signal leaks the file
      if (::bind(fd, reinterpret_cast<const sockaddr*>(&me), sizeof me) == 0) {
        bound = path;
        done = true;
      } else if (errno != EADDRINUSE) {
        error = "cannot bind the client socket " + path + ": " + errno_text(errno);
        return false;
      }
    }
    if (!done) {
      error = "cannot bind a client socket in " + dir + ": names keep colliding";
      return false;
    }
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&server), sizeof server) != 0) {
      int err = errno;
      if (err == ENOENT)
        error = "no socket at " + o.unix_path + " (is switchboard running? set datagram.unix)";
      else if (err == ECONNREFUSED)
        error = "switchboard is not running: nobody receives on " + o.unix_path;
      else if (err == EACCES || err == EPERM)
        error = "permission denied on " + o.unix_path + " (see datagram.unix_mode)";
      else
        error = "cannot connect to " + o.unix_path + ": " + errno_text(err);
      return false;
    }
    return true;
  }

  bool open_udp(std::string& error) {
    sockaddr_storage server{};
    socklen_t len = 0;
    if (!parse_udp(o.udp, server, len, error)) return false;
    fd = ::socket(server.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      error = "socket: " + errno_text(errno);
      return false;
    }
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&server), len) != 0) {
      error = "cannot connect to udp " + o.udp + ": " + errno_text(errno);
      return false;
    }
    return true;
  }

  bool open(std::string& error) {
    if (fd >= 0) return true;
    bool ok = false;
    if (!o.unix_path.empty()) ok = open_unix(error);
    else if (!o.udp.empty()) ok = open_udp(error);
    else error = "no datagram endpoint given (a unix socket path or udp host:port)";
    if (!ok) close();
    return ok;
  }

  std::string refused() const {
    return o.unix_path.empty() ? "switchboard is not running: nobody listens on udp " + o.udp
                               : "switchboard is not running: nobody receives on " + o.unix_path;
  }

  /// Drops datagrams left over from an earlier call (there should be none).
  void drain() {
    for (;;) {
      ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return;  // EAGAIN, or a stale ECONNREFUSED now consumed
    }
  }

  bool send(std::string_view request, Clock::time_point deadline, std::string& error) {
    for (;;) {
      ssize_t n = ::send(fd, request.data(), request.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n >= 0) return true;
      int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
        int ms = remaining_ms(deadline);
        if (ms == 0) {
          error = "could not send the request to " + endpoint + " within " +
                  std::to_string(o.timeout.count()) + " ms (its queue stays full)";
          return false;
        }
        struct pollfd p {fd, POLLOUT, 0};
        if (::poll(&p, 1, std::min(ms, 50)) < 0 && errno != EINTR) {
          error = "poll: " + errno_text(errno);
          return false;
        }
        continue;
      }
      if (err == ECONNREFUSED || err == ENOENT) error = refused();
      else if (err == EMSGSIZE)
        error = "request of " + std::to_string(request.size()) + " bytes is too large for one datagram";
      else error = "cannot send to " + endpoint + ": " + errno_text(err);
      return false;
    }
  }

  bool receive(Clock::time_point deadline, std::string& text, std::string& error) {
    for (;;) {
      int ms = remaining_ms(deadline);
      if (ms == 0) {
        error = "no reply from " + endpoint + " within " + std::to_string(o.timeout.count()) + " ms";
        return false;
      }
      struct pollfd p {fd, POLLIN, 0};
      int r = ::poll(&p, 1, ms);
      if (r < 0) {
        if (errno == EINTR) continue;
        error = "poll: " + errno_text(errno);
        return false;
      }
      if (r == 0) continue;
      ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT | MSG_TRUNC);
      if (n < 0) {
        int err = errno;
        if (err == EINTR || err == EAGAIN || err == EWOULDBLOCK) continue;
        error = err == ECONNREFUSED ? refused() : "cannot receive from " + endpoint + ": " + errno_text(err);
        return false;
      }
      if (static_cast<std::size_t>(n) > buf.size()) {
        error = "reply of " + std::to_string(n) + " bytes was truncated to " +
                std::to_string(buf.size());
        return false;
      }
      text.assign(buf.data(), static_cast<std::size_t>(n));
      return true;
    }
  }

  DatagramReply call(std::string_view request) {
    DatagramReply reply;
    const auto deadline = Clock::now() + o.timeout;
    if (request.empty()) {
      reply.error = "empty request (the server ignores empty datagrams)";
      return reply;
    }
    if (!open(reply.error)) return reply;
    drain();
    if (!send(request, deadline, reply.error) || !receive(deadline, reply.text, reply.error)) {
      reply.text.clear();
      close();  // a late reply must not be read as the answer to the next call
      return reply;
    }
    reply.ok = true;
    return reply;
  }
};

DatagramClient::DatagramClient(DatagramClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
DatagramClient::~DatagramClient() = default;

DatagramReply DatagramClient::call(std::string_view request) { return impl_->call(request); }

DatagramReply datagram_call(const DatagramClientOptions& options, std::string_view request) {
  DatagramClient client(options);
  return client.call(request);
}

void unlink_active_client_socket() noexcept {
  if (g_path_ready.load()) ::unlink(g_path);
}

}  // namespace sb::client
