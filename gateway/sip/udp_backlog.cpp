// udp_backlog.cpp: finding our UDP listener sockets and reading their receive backlog.
#include "gateway/sip/udp_backlog.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace sb::gateway {

namespace {
bool bound_to(int fd, const std::string& host, const std::string& port) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return false;
  unsigned want_port = static_cast<unsigned>(std::atoi(port.c_str()));
  std::string h = host;
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (ss.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    in_addr want{};
    return ntohs(in->sin_port) == want_port && ::inet_pton(AF_INET, h.c_str(), &want) == 1 &&
           want.s_addr == in->sin_addr.s_addr;
  }
  if (ss.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    in6_addr want{};
    return ntohs(in6->sin6_port) == want_port && ::inet_pton(AF_INET6, h.c_str(), &want) == 1 &&
           std::memcmp(&want, &in6->sin6_addr, sizeof want) == 0;
  }
  return false;
}
}  // namespace

namespace {
/// Our UDP sockets (from /proc/self/fd) for which `pick(fd)` is true.
template <typename Pick>
std::vector<int> udp_sockets(Pick pick) {
  std::vector<int> out;
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return out;
  while (dirent* e = ::readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(e->d_name, &end, 10);
    if (!end || *end || fd < 0 || fd == ::dirfd(dir)) continue;
    struct stat st {};
    if (::fstat(static_cast<int>(fd), &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    int type = 0;
    socklen_t len = sizeof type;
    if (::getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_DGRAM) continue;
    if (pick(static_cast<int>(fd))) out.push_back(static_cast<int>(fd));
  }
  ::closedir(dir);
  return out;
}
}  // namespace

void UdpBacklog::find(const std::vector<std::pair<std::string, std::string>>& host_ports) {
  fds_ = udp_sockets([&](int fd) {
    for (const auto& [host, port] : host_ports)
      if (bound_to(fd, host, port)) return true;
    return false;
  });
}

int find_udp_socket(const std::string& host, const std::string& port) {
  auto fds = udp_sockets([&](int fd) { return bound_to(fd, host, port); });
  return fds.size() == 1 ? fds.front() : -1;
}

std::size_t UdpBacklog::set_receive_buffer(std::size_t bytes) {
  std::size_t granted = 0;
  int want = static_cast<int>(std::min<std::size_t>(bytes, 1u << 30));
  for (int fd : fds_) {
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof want) != 0)
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want);
    int got = 0;
    socklen_t len = sizeof got;
    if (::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) == 0 && got > 0)
      granted = granted == 0 ? static_cast<std::size_t>(got) : std::min(granted, static_cast<std::size_t>(got));
  }
  return granted;
}

bool UdpBacklog::over(unsigned pct) const {
  if (pct >= 100) return false;
  for (int fd : fds_) {
    std::uint32_t mem[SK_MEMINFO_VARS] = {};
    socklen_t len = sizeof mem;
    if (::getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) != 0) continue;
    std::uint64_t waiting = mem[SK_MEMINFO_RMEM_ALLOC], size = mem[SK_MEMINFO_RCVBUF];
    if (size != 0 && waiting * 100 > size * pct) return true;
  }
  return false;
}

}  // namespace sb::gateway
