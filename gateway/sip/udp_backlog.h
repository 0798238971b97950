// udp_backlog.h: how far the engine is behind on its UDP listeners — the bytes of datagrams
// waiting in each socket's receive buffer (SO_MEMINFO), as a share of that buffer. sofia-sip
// does not hand out its sockets, so they are found once, after binding, among our own file
// descriptors by their bound address. Used for overload protection (sip.overload_backlog_pct):
// a request read while the backlog is high is answered 503 at once instead of being processed,
// so the queue drains instead of overflowing (the kernel would drop datagrams silently).
//
// Threading: engine thread only (find() after the listeners are bound, then over()).
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace sb::gateway {

/// Our one UDP socket bound to host:port (host as sofia names it); -1 when none or several.
int find_udp_socket(const std::string& host, const std::string& port);

class UdpBacklog {
 public:
  /// Finds our UDP sockets bound to these "host:port" listeners (host as sofia names it).
  void find(const std::vector<std::pair<std::string, std::string>>& host_ports);
  /// Watches these sockets instead (a REGISTER worker's own, register_receiver.h).
  void watch(std::vector<int> fds) { fds_ = std::move(fds); }
  /// Asks for a receive buffer of `bytes` on each socket (SO_RCVBUFFORCE when the process may,
  /// else SO_RCVBUF, which the kernel caps at net.core.rmem_max); returns the smallest buffer
  /// the kernel granted (its accounting size, about twice what was asked), 0 without sockets.
  std::size_t set_receive_buffer(std::size_t bytes);
  /// True when a socket's waiting datagrams fill more than `pct` % of its receive buffer.
  bool over(unsigned pct) const;
  std::size_t sockets() const { return fds_.size(); }

 private:
  std::vector<int> fds_;
};

}  // namespace sb::gateway
