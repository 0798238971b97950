// datagram_transport.h: the datagram management transport (spec/wire.md §4): a unix
// SOCK_DGRAM socket and a UDP socket, each request one datagram in the SER text dialect
// (`:cmd:\n` + params) or bare JSON-RPC (`{`/`[` first), each reply one datagram to the sender.
//
// Purpose: framing and codecs only — requests go to the Dispatcher, replies are rendered by the
// shared renderers. A reply larger than `max_size` is never dropped silently: it becomes the
// 413 text line or a JSON-RPC error with code 413. See transports/datagram/README.md.
// Threading: `workers` threads per socket receive and dispatch; replies are sent from whichever
// thread completes the call (sendto on a datagram socket does not block on a slow peer).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include "mi/dispatcher.h"

namespace sb::transports {

struct DatagramConfig {
  std::string unix_path = "./var/run/switchboard.sock";  ///< empty: no unix socket
  mode_t unix_mode = 0660;
  std::string udp;                     ///< host:port (IPv4, or [IPv6]:port); empty: no UDP
  mi::Role udp_role = mi::Role::read_only;  ///< the role of every UDP request (unauthenticated)
  bool udp_allow_remote = false;       ///< bind a non-loopback UDP address (refused otherwise)
  std::size_t workers = 4;             ///< receiving threads per socket
  std::size_t max_size = 65457;        ///< largest request and reply datagram, bytes
};

class DatagramError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class DatagramTransport {
 public:
  DatagramTransport(DatagramConfig config, mi::Dispatcher& dispatcher);
  ~DatagramTransport();
  DatagramTransport(const DatagramTransport&) = delete;
  DatagramTransport& operator=(const DatagramTransport&) = delete;

  /// Binds the sockets and starts the workers; throws DatagramError with a clear message.
  void start();
  /// Stops receiving and removes the unix socket file; in-flight replies still go out.
  void stop_accepting();
  /// Waits up to `deadline` for in-flight replies, then closes the sockets.
  void finish(std::chrono::milliseconds deadline);
  /// The bound UDP port (useful with port 0); 0 when UDP is disabled.
  int udp_port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sb::transports
