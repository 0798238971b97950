// datagram_client.h: the client side of the datagram transport (sbctl, tests, benchmarks).
//
// Purpose: send one request datagram to the daemon's unix SOCK_DGRAM socket or UDP port and
// wait for the one reply datagram (spec/wire.md §4). Unix clients bind a private socket
// `<client_dir>/<prefix>_<pid>_<random>.sock` (the daemon answers to the sender's address, so a
// client must have one) and remove it on every path. The socket is connect()ed to the server, so
// only the server's datagrams are received. The client does not link the mi/ core.
// Request bytes: datagram_text_request() (SER text, `:cmd:\n` + params) or any JSON-RPC text.
// Threading: datagram_call() is self-contained and may run on many threads at once. A
// DatagramClient is for one thread at a time (a benchmark thread reusing its socket). At most one
// client at a time (the first to ask, with signal_cleanup) is recorded for
// unlink_active_client_socket(), which is async-signal-safe.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sb::client {

struct DatagramReply {
  bool ok = false;    ///< a reply datagram arrived (see `error` otherwise)
  std::string text;   ///< the reply datagram's bytes
  std::string error;  ///< why no reply came (no socket, nobody listening, timeout, …)
};

struct DatagramClientOptions {
  std::string unix_path;  ///< the daemon's unix socket; used when not empty
  std::string udp;        ///< else `host:port` (IPv4, `[IPv6]:port` or `localhost:port`)
  std::chrono::milliseconds timeout{10'000};  ///< for one call: send and wait for the reply
  std::string client_dir = "/tmp";            ///< where a unix client binds its private socket
  std::string client_prefix = "sbctl";        ///< its name: <prefix>_<pid>_<random>.sock
  /// Record this client's socket path for unlink_active_client_socket() (sbctl's signal handler).
  bool signal_cleanup = false;
};

/// SER text request bytes: `:<cmd>:\n` + one line per param. The end of the datagram ends the
/// request, so no empty line is added (an empty param would end it early: send `.`).
std::string datagram_text_request(const std::string& command, const std::vector<std::string>& params);

/// A reusable client socket: open once, call many times (one call at a time).
class DatagramClient {
 public:
  explicit DatagramClient(DatagramClientOptions options);
  ~DatagramClient();
  DatagramClient(const DatagramClient&) = delete;
  DatagramClient& operator=(const DatagramClient&) = delete;

  /// Sends `request` as one datagram and returns the next reply. Never throws for I/O failures.
  /// After a timeout the socket is replaced, so a late reply is never taken for the next one.
  DatagramReply call(std::string_view request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// One-shot: open, call, close (the client socket is always removed).
DatagramReply datagram_call(const DatagramClientOptions& options, std::string_view request);

/// Async-signal-safe: removes the socket file of the client that asked for signal_cleanup, if
/// one is open. Call it from SIGINT/SIGTERM/SIGHUP handlers before dying.
void unlink_active_client_socket() noexcept;

}  // namespace sb::client
