// monitor_client.cpp: raw TCP client for the monitor tests.
#include "support/monitor_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "support/wait.h"

namespace sb::test {

namespace {
using Clock = std::chrono::steady_clock;

/// An IPv4 address as /proc/net/tcp prints it: the 32-bit word in host order, then the port.
std::string proc_address(const sockaddr_in& a) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08X:%04X", a.sin_addr.s_addr, ntohs(a.sin_port));
  return buf;
}

/// The tx_queue (`tx`) or rx_queue of the TCP socket `local` → `remote`; -1 when not listed.
long tcp_queue(const std::string& local, const std::string& remote, bool tx) {
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    char l[64], r[64];
    unsigned st = 0;
    unsigned long txq = 0, rxq = 0;
    if (std::sscanf(line.c_str(), " %*d: %63s %63s %X %lX:%lX", l, r, &st, &txq, &rxq) != 5) continue;
    if (local == l && remote == r) return static_cast<long>(tx ? txq : rxq);
  }
  return -1;
}
}  // namespace

MonitorClient::MonitorClient(int port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close();
    return;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

MonitorClient::~MonitorClient() { close(); }

void MonitorClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool MonitorClient::send(const std::string& bytes) {
  std::size_t off = 0;
  while (fd_ >= 0 && off < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return fd_ >= 0;
}

std::string MonitorClient::read_until(const std::string& needle, std::chrono::milliseconds timeout) {
  timed_out_ = false;
  auto until = Clock::now() + timeout;
  for (;;) {
    auto pos = buffer_.find(needle);
    if (pos != std::string::npos) {
      std::string out = buffer_.substr(0, pos + needle.size());
      buffer_.erase(0, pos + needle.size());
      return out;
    }
    if (eof_ || fd_ < 0) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (left.count() <= 0) {
      timed_out_ = true;
      break;
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) eof_ = true;
    else buffer_.append(buf, static_cast<std::size_t>(n));
  }
  std::string out;
  out.swap(buffer_);
  return out;
}

std::string MonitorClient::command(const std::string& line, std::chrono::milliseconds timeout) {
  send(line + "\r\n");
  std::string out = read_until("\r\n> ", timeout);
  if (out.size() >= 2 && out.ends_with("> ")) out.resize(out.size() - 2);
  return out;
}

bool MonitorClient::wait_consumed(std::chrono::milliseconds timeout) {
  sockaddr_in me{}, server{};
  socklen_t len = sizeof me;
  if (fd_ < 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&me), &len) != 0) return false;
  len = sizeof server;
  if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&server), &len) != 0) return false;
  std::string client_side = proc_address(me), server_side = proc_address(server);
  // First everything acknowledged (it sits in the server socket), then nothing left unread there.
  return wait_until([&] { return tcp_queue(client_side, server_side, true) == 0; }, timeout) &&
         wait_until([&] { return tcp_queue(server_side, client_side, false) == 0; }, timeout);
}

void MonitorClient::shutdown_write() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

std::string MonitorClient::read_to_close(std::chrono::milliseconds timeout) {
  // A needle that never comes: read_until returns at EOF (or the timeout).
  return read_until(std::string(1, '\0') + "\xff-never-\xff", timeout);
}

}  // namespace sb::test
