// monitor_client.cpp: raw TCP client for the monitor tests.
#include "support/monitor_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sb::test {

namespace {
using Clock = std::chrono::steady_clock;
}

MonitorClient::MonitorClient(int port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) close();
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

void MonitorClient::shutdown_write() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

std::string MonitorClient::read_to_close(std::chrono::milliseconds timeout) {
  // A needle that never comes: read_until returns at EOF (or the timeout).
  return read_until(std::string(1, '\0') + "\xff-never-\xff", timeout);
}

}  // namespace sb::test
