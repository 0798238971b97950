// sockets.h: a test's own loopback socket on a port the kernel picks (bind to port 0), for a
// peer, an occupied port, or a port known to have been free. Header-only.
// Threading: none shared.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sb::test {

/// A socket of `type` (SOCK_STREAM, SOCK_DGRAM) bound to 127.0.0.1 port 0; `*port` receives the
/// port it got. Returns the descriptor (the caller closes it), or -1.
inline int bind_loopback(int type, int* port) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    return -1;
  }
  *port = ntohs(a.sin_port);
  return fd;
}

}  // namespace sb::test
