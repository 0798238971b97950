// reuseport.cpp: SO_REUSEPORT twins of a bound UDP socket and the group's steering program.
#include "gateway/sip/reuseport.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace sb::gateway {

namespace {
std::string error(const char* what) { return fmt::format("{}: {}", what, std::strerror(errno)); }

/// Copies an int socket option from `from` to `to` (a missing option is not an error).
void copy_option(int from, int to, int level, int name) {
  int v = 0;
  socklen_t len = sizeof v;
  if (::getsockopt(from, level, name, &v, &len) == 0) ::setsockopt(to, level, name, &v, sizeof v);
}

/// A buffer size: getsockopt reports twice what was asked (the kernel's bookkeeping).
void copy_buffer(int from, int to, int name, int force_name) {
  int v = 0;
  socklen_t len = sizeof v;
  if (::getsockopt(from, SOL_SOCKET, name, &v, &len) != 0 || v <= 0) return;
  int want = v / 2;
  if (::setsockopt(to, SOL_SOCKET, force_name, &want, sizeof want) != 0)
    ::setsockopt(to, SOL_SOCKET, name, &want, sizeof want);
}
}  // namespace

int make_reuseport_twin(int fd, std::string* why) {
  sockaddr_storage addr{};
  socklen_t addr_len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &addr_len) != 0) {
    if (why) *why = error("getsockname");
    return -1;
  }
  const int one = 1;
  // Set after the bind on the first socket: the group is made when the twin binds.
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    if (why) *why = error("SO_REUSEPORT");
    return -1;
  }
  int twin = ::socket(addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (twin < 0) {
    if (why) *why = error("socket");
    return -1;
  }
  ::setsockopt(twin, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  copy_buffer(fd, twin, SO_RCVBUF, SO_RCVBUFFORCE);
  copy_buffer(fd, twin, SO_SNDBUF, SO_SNDBUFFORCE);
  if (addr.ss_family == AF_INET) {
    copy_option(fd, twin, IPPROTO_IP, IP_RECVERR);
    copy_option(fd, twin, IPPROTO_IP, IP_MTU_DISCOVER);
  } else if (addr.ss_family == AF_INET6) {
    copy_option(fd, twin, IPPROTO_IPV6, IPV6_V6ONLY);
    copy_option(fd, twin, IPPROTO_IPV6, IPV6_RECVERR);
    copy_option(fd, twin, IPPROTO_IPV6, IPV6_MTU_DISCOVER);
  }
  if (::bind(twin, reinterpret_cast<sockaddr*>(&addr), addr_len) != 0) {
    if (why) *why = error("bind");
    ::close(twin);
    return -1;
  }
  return twin;
}

bool steer_requests_to_first(int fd, unsigned sockets, std::string* why) {
  // A = the payload's first 4 bytes (the UDP header is already pulled). "REGI" → a random
  // worker's socket (1 .. sockets-1); anything else (also a datagram shorter than 4 bytes: the
  // load fails and the program returns 0) → socket 0. A group of one socket: everything to it.
  const unsigned workers = sockets > 1 ? sockets - 1 : 1;
  const unsigned first_worker = sockets > 1 ? 1 : 0;
  sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x52454749u /* "REGI" */, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, 0),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, static_cast<__u32>(SKF_AD_OFF + SKF_AD_RANDOM)),
      BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, workers),
      BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, first_worker),
      BPF_STMT(BPF_RET | BPF_A, 0),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof code / sizeof code[0]), code};
  if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof prog) != 0) {
    if (why) *why = error("SO_ATTACH_REUSEPORT_CBPF");
    return false;
  }
  return true;
}

}  // namespace sb::gateway
