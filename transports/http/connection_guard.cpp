// connection_guard.cpp: phase tracking, eviction of the oldest waiting connection, and the
// absolute request deadline.
#include "transports/http/connection_guard.h"

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <vector>

#include <spdlog/spdlog.h>

#include "mi/threads.h"

namespace sb::transports {

namespace {
constexpr std::chrono::milliseconds kSweepEvery{250};
}

ConnectionGuard::ConnectionGuard(Limits limits, mi::Stat& evicted, mi::Stat& timed_out)
    : limits_(limits), evicted_(evicted), timed_out_(timed_out) {}

ConnectionGuard::~ConnectionGuard() { stop(); }

void ConnectionGuard::start() {
  std::lock_guard lk(mu_);
  if (sweeper_.joinable()) return;
  stopping_ = false;
  sweeper_ = std::thread([this] {
    mi::ThreadTag tag("HTTP deadlines");
    std::unique_lock lk(mu_);
    while (!stopping_) {
      cv_.wait_for(lk, kSweepEvery);
      if (stopping_) break;
      lk.unlock();
      sweep();
      lk.lock();
    }
  });
}

void ConnectionGuard::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
}

void ConnectionGuard::shut(Conn& c) {
  if (c.closing) return;
  c.closing = true;
  --live_;
  if (auto it = per_ip_.find(c.ip); it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
  ::shutdown(c.fd, SHUT_RDWR);
}

namespace {
/// Bytes the client sent that libmicrohttpd has not read yet: such a connection is not slow,
/// the server is (it is still accepting the flood), so it is the last one to evict.
bool has_unread_bytes(int fd) {
  int pending = 0;
  return ::ioctl(fd, FIONREAD, &pending) == 0 && pending > 0;
}
}  // namespace

bool ConnectionGuard::evict_oldest(const std::string& ip, const void* except) {
  std::vector<Conn*> candidates;
  for (auto& [key, c] : conns_) {
    if (key == except || c.closing || c.serving || (!ip.empty() && c.ip != ip)) continue;
    candidates.push_back(&c);
  }
  if (candidates.empty()) return false;
  std::sort(candidates.begin(), candidates.end(),
            [](const Conn* a, const Conn* b) { return a->since < b->since; });
  // Oldest first among those that owe us bytes; only when every one has bytes waiting in the
  // kernel (all requests stuck behind our own backlog) the oldest of all.
  Conn* victim = candidates.front();
  for (Conn* c : candidates)
    if (!has_unread_bytes(c->fd)) {
      victim = c;
      break;
    }
  spdlog::debug("http: closing a connection from {} that has not sent a whole request for {} ms "
               "to make room ({})", victim->ip,
               std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - victim->since).count(),
               ip.empty() ? "http.connection_limit" : "http.per_ip_limit");
  shut(*victim);
  evicted_.inc();
  return true;
}

bool ConnectionGuard::opened(const void* conn, int fd, std::string ip) {
  std::lock_guard lk(mu_);
  Conn& c = conns_[conn];
  c = Conn{fd, ip, Clock::now(), false, false};
  ++live_;
  // No room made: this connection is answered 503 and closed by the caller; until then it
  // counts (and is evictable, and has the same deadline) like any other.
  const std::size_t from_ip = ++per_ip_[ip];
  if (from_ip > limits_.per_ip_limit && !evict_oldest(ip, conn)) return false;
  if (live_ > limits_.connection_limit && !evict_oldest({}, conn)) return false;
  return true;
}

void ConnectionGuard::serving(const void* conn) {
  std::lock_guard lk(mu_);
  if (auto it = conns_.find(conn); it != conns_.end()) it->second.serving = true;
}

void ConnectionGuard::waiting(const void* conn) {
  std::lock_guard lk(mu_);
  if (auto it = conns_.find(conn); it != conns_.end()) {
    it->second.serving = false;
    it->second.since = Clock::now();
  }
}

void ConnectionGuard::closed(const void* conn) {
  std::lock_guard lk(mu_);
  auto it = conns_.find(conn);
  if (it == conns_.end()) return;
  if (!it->second.closing) {
    --live_;
    if (auto ip = per_ip_.find(it->second.ip); ip != per_ip_.end() && --ip->second == 0)
      per_ip_.erase(ip);
  }
  conns_.erase(it);
}

void ConnectionGuard::sweep() {
  std::lock_guard lk(mu_);
  const auto now = Clock::now();
  for (auto& [key, c] : conns_) {
    if (c.closing || c.serving || now - c.since < limits_.header_timeout) continue;
    spdlog::debug("http: closing a connection from {}: no whole request within {} s "
                 "(http.header_timeout_s)", c.ip, limits_.header_timeout.count());
    shut(c);
    timed_out_.inc();
  }
}

}  // namespace sb::transports
