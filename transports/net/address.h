// address.h: `host:port` parsing shared by the socket transports and the config validator.
//
// Accepted: `127.0.0.1:8094`, `localhost:8094` (resolved to the loopback address), `[::1]:8094`,
// `0.0.0.0:8888`, `[::]:8888`; port 0..65535 (0 = any free port). Host names other than
// `localhost` are refused: a management interface binds to an explicit address.
// Threading: pure functions.
#pragma once

#include <sys/socket.h>

#include <optional>
#include <string>
#include <string_view>

namespace sb::transports {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
  int port() const;
  bool is_loopback() const;
  std::string to_string() const;  ///< `127.0.0.1:8094`, `[::1]:8094`
};

/// Parses `host:port`; on failure returns nullopt and sets `why` (for error messages).
std::optional<SocketAddress> parse_host_port(std::string_view text, std::string* why = nullptr);

/// The address a socket is bound to (after bind with port 0).
std::optional<SocketAddress> local_address(int fd);

}  // namespace sb::transports
