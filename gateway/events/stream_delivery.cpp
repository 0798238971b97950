// stream_delivery.cpp: `tcp:host:port` event sockets — JSON-RPC 2.0 notifications over one
// stream connection, one per line (newline-delimited JSON), as OpenSIPS's event_stream. The
// connection is made on the first event and kept; when it fails the event is kept and the
// connection retried with exponential back-off (250 ms doubling up to events.backoff_max_ms)
// until it is sent or the subscription stops. Events raised meanwhile wait in the
// subscription's bounded queue (and are dropped, counted, when it is full).
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

#include "gateway/events/delivery.h"
#include "transports/net/errno_text.h"

namespace sb::gateway::events {

namespace {

using transports::errno_text;

class StreamDelivery : public Delivery {
 public:
  StreamDelivery(std::string host, std::string port, DeliveryLimits limits)
      : host_(std::move(host)), port_(std::move(port)), limits_(std::move(limits)) {}
  ~StreamDelivery() override { disconnect(); }

  std::string kind() const override { return "tcp"; }

  std::string send(const mi::Event& e, std::uint64_t dropped, const std::atomic<bool>& stop) override {
    std::string line = e.jsonrpc(dropped);
    line += '\n';
    std::chrono::milliseconds backoff(250);
    while (true) {
      if (fd_ >= 0 && peer_closed()) disconnect();  // else the first write after a close is lost
      std::string why = fd_ < 0 ? connect() : std::string();
      if (why.empty()) why = write_all(line);
      if (why.empty()) return {};
      disconnect();
      {
        std::lock_guard lk(mu_);
        last_error_ = why;
      }
      ++reconnects_;
      if (stop.load()) return why;
      wait_unless_stopped(backoff, stop);
      if (stop.load()) return why;
      backoff = std::min(backoff * 2, limits_.backoff_max);
    }
  }

  mi::Value state() const override {
    std::lock_guard lk(mu_);
    return mi::Value{{"connected", connected_.load()},
                     {"reconnects", reconnects_.load()},
                     {"error", last_error_.empty() ? mi::Value(nullptr) : mi::Value(last_error_)}};
  }

 private:
  /// The receiver closed its end (or reset it): reading would give end-of-file now. A receiver
  /// sends nothing, so anything readable is discarded.
  bool peer_closed() {
    char buf[512];
    while (true) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) continue;
      return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
    }
  }

  std::string connect() {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* res = nullptr;
    if (int rc = ::getaddrinfo(host_.c_str(), port_.c_str(), &hints, &res); rc != 0 || !res)
      return fmt::format("cannot resolve '{}': {}", host_, gai_strerror(rc));
    std::string why = "no address";
    for (addrinfo* a = res; a; a = a->ai_next) {
      int fd = ::socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (fd < 0) continue;
      int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
      if (rc < 0 && errno == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        rc = ::poll(&p, 1, static_cast<int>(limits_.webhook_timeout.count()));
        int err = 0;
        socklen_t len = sizeof err;
        if (rc == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) rc = 0;
        else {
          errno = rc == 0 ? ETIMEDOUT : (err ? err : errno);
          rc = -1;
        }
      }
      if (rc == 0) {
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        timeval tv{static_cast<time_t>(limits_.webhook_timeout.count() / 1000),
                   static_cast<suseconds_t>(limits_.webhook_timeout.count() % 1000 * 1000)};
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        fd_ = fd;
        connected_ = true;
        {
          std::lock_guard lk(mu_);
          last_error_.clear();
        }
        ::freeaddrinfo(res);
        return {};
      }
      why = fmt::format("connect to {}:{}: {}", host_, port_, errno_text(errno));
      ::close(fd);
    }
    ::freeaddrinfo(res);
    return why;
  }

  std::string write_all(const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return fmt::format("write to {}:{}: {}", host_, port_, n < 0 ? errno_text(errno) : "closed");
      off += static_cast<std::size_t>(n);
    }
    return {};
  }

  void disconnect() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    connected_ = false;
  }

  std::string host_, port_;
  DeliveryLimits limits_;
  int fd_ = -1;  ///< the subscription's thread only
  std::atomic<bool> connected_{false};
  std::atomic<std::uint64_t> reconnects_{0};
  mutable std::mutex mu_;
  std::string last_error_;  ///< the connection's last failure, until it connects again
};

}  // namespace

std::variant<std::unique_ptr<Delivery>, std::string> make_stream_delivery(const std::string& socket,
                                                                          const DeliveryLimits& limits) {
  std::string rest = socket.substr(4);  // after "tcp:"
  std::size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size())
    return "tcp: needs host:port (tcp:127.0.0.1:9999)";
  std::string host = rest.substr(0, colon), port = rest.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 || std::stoi(port) == 0 ||
      std::stoi(port) > 65535)
    return fmt::format("tcp: bad port '{}'", port);
  return std::unique_ptr<Delivery>(std::make_unique<StreamDelivery>(host, port, limits));
}

}  // namespace sb::gateway::events
