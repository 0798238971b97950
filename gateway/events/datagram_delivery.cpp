// datagram_delivery.cpp: `udp:host:port` and `unix:/path` event sockets — one JSON-RPC 2.0
// notification per datagram, as OpenSIPS's event_datagram sends them. A datagram that cannot
// be sent (no receiver on a unix socket, too large, ICMP refused) is a failed delivery; nothing
// is retried (datagrams are best effort, as in OpenSIPS).
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "gateway/events/delivery.h"
#include "transports/net/errno_text.h"

namespace sb::gateway::events {

namespace {

class DatagramDelivery : public Delivery {
 public:
  DatagramDelivery(std::string kind, int fd, sockaddr_storage to, socklen_t to_len)
      : kind_(std::move(kind)), fd_(fd), to_(to), to_len_(to_len) {}
  ~DatagramDelivery() override { ::close(fd_); }

  std::string kind() const override { return kind_; }

  std::string send(const mi::Event& e, std::uint64_t dropped, const std::atomic<bool>&) override {
    std::string text = e.jsonrpc(dropped);
    ssize_t n = ::sendto(fd_, text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                         reinterpret_cast<const sockaddr*>(&to_), to_len_);
    if (n == static_cast<ssize_t>(text.size())) return {};
    if (n < 0 && errno == EMSGSIZE) return fmt::format("event of {} bytes too large for a datagram", text.size());
    return n < 0 ? fmt::format("sendto: {}", transports::errno_text(errno)) : "short datagram";
  }

 private:
  std::string kind_;
  int fd_;
  sockaddr_storage to_;
  socklen_t to_len_;
};

}  // namespace

std::variant<std::unique_ptr<Delivery>, std::string> make_datagram_delivery(const std::string& socket) {
  sockaddr_storage to{};
  socklen_t len = 0;
  int family = 0;
  std::string kind;
  if (socket.rfind("unix:", 0) == 0) {
    kind = "unix";
    std::string path = socket.substr(5);
    sockaddr_un un{};
    if (path.empty() || path[0] != '/') return "unix: needs an absolute socket path (unix:/run/x.sock)";
    if (path.size() >= sizeof un.sun_path) return "unix: socket path too long";
    un.sun_family = AF_UNIX;
    std::memcpy(un.sun_path, path.data(), path.size());
    std::memcpy(&to, &un, sizeof un);
    len = sizeof un;
    family = AF_UNIX;
  } else {
    kind = "udp";
    std::string rest = socket.substr(4);  // after "udp:"
    std::size_t colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0) return "udp: needs host:port (udp:127.0.0.1:9999)";
    std::string host = rest.substr(0, colon), port = rest.substr(colon + 1);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    addrinfo hints{};
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* res = nullptr;
    if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0 || !res)
      return fmt::format("udp: cannot resolve '{}' port '{}': {}", host, port, gai_strerror(rc));
    std::memcpy(&to, res->ai_addr, res->ai_addrlen);
    len = res->ai_addrlen;
    family = res->ai_family;
    ::freeaddrinfo(res);
  }
  int fd = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fmt::format("{}: socket: {}", kind, transports::errno_text(errno));
  if (family == AF_UNIX) {
    // Large events fit: the default unix datagram limit is the socket's send buffer.
    int size = 1 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  }
  return std::unique_ptr<Delivery>(std::make_unique<DatagramDelivery>(kind, fd, to, len));
}

}  // namespace sb::gateway::events
