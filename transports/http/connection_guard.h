// connection_guard.h: slow-client defence for the HTTP transport (slowloris, idle floods).
//
// Purpose: libmicrohttpd's timeout is one of inactivity, so a client trickling one header byte
// every few seconds keeps a connection forever, and a few hundred of them (or 2 000 idle ones)
// fill the table. The guard tracks every connection's phase:
//   waiting  — accepted, or between two keep-alive requests, or reading a request: the client
//              owes us bytes. Each waiting phase has an ABSOLUTE deadline (header_timeout from
//              its start): past it the connection is closed, however slowly it keeps sending.
//   serving  — its request was read and is being answered (a command may run for long).
// When a new connection takes its address over per_ip_limit, or the server over its
// connection_limit, the OLDEST waiting connection (of that address, else of anyone) is closed
// to make room — skipping those whose bytes already wait unread in the kernel (a request that
// arrived while we were busy accepting the flood is not slow; we are), so a legitimate client always gets in at once (even from 127.0.0.1, which
// every local attacker shares), and an attacker keeps at most per_ip_limit stale connections.
// Closing = shutdown(fd) on the socket libmicrohttpd owns: it then sees EOF and cleans up as for
// any client that left (libmicrohttpd notifies CLOSED before it closes the descriptor, and the
// table's mutex orders our shutdown before that notification, so a reused fd is never hit).
// Threading: every member may be called from any libmicrohttpd thread; the sweeper runs on its
// own thread between start() and stop().
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "mi/statistics.h"

namespace sb::transports {

class ConnectionGuard {
 public:
  using Clock = std::chrono::steady_clock;

  struct Limits {
    unsigned connection_limit = 256;
    unsigned per_ip_limit = 64;
    std::chrono::seconds header_timeout{10};
  };

  ConnectionGuard(Limits limits, mi::Stat& evicted, mi::Stat& timed_out);
  ~ConnectionGuard();
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

  void start();  ///< starts the deadline sweeper
  void stop();   ///< stops it (idempotent)

  /// A new connection. Returns false when no room could be made (answer it 503 and close).
  bool opened(const void* conn, int fd, std::string ip);
  /// Its request has been read: it is being answered (no deadline while serving).
  void serving(const void* conn);
  /// Its response was sent: a keep-alive connection waits for the next request (new deadline).
  void waiting(const void* conn);
  void closed(const void* conn);

 private:
  struct Conn {
    int fd = -1;
    std::string ip;
    Clock::time_point since;  ///< start of the current phase
    bool serving = false;
    bool closing = false;     ///< shut down by us; gone once libmicrohttpd notifies CLOSED
  };
  using Table = std::map<const void*, Conn>;
  /// Closes the oldest waiting connection (of `ip` when not empty); false when there is none.
  bool evict_oldest(const std::string& ip, const void* except);
  void shut(Conn& c);
  void sweep();

  const Limits limits_;
  mi::Stat& evicted_;
  mi::Stat& timed_out_;
  std::mutex mu_;
  Table conns_;
  std::size_t live_ = 0;  ///< conns_ entries not closing
  std::map<std::string, std::size_t> per_ip_;  ///< live connections per address
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread sweeper_;
};

}  // namespace sb::transports
