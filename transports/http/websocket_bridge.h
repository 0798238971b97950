// websocket_bridge.h: serving a WebSocket on a socket libmicrohttpd has upgraded, with
// Boost.Beast.
//
// How (decided for issue #12, used by the event stream of #14): the HTTP host matches the
// route, authenticates and checks Host/Origin like any request, then answers the upgrade itself
// through libmicrohttpd (websocket_upgrade.h, MHD_create_response_for_upgrade: 101 Switching Protocols with the
// Sec-WebSocket-Accept computed by websocket_accept_key()) and hands the socket over. Beast
// cannot adopt a connection whose handshake someone else answered, so WebSocketSession replays
// the upgrade request into Beast's accept() over a next layer that swallows Beast's own 101
// (already sent), then speaks plain RFC 6455 frames (masking, fragmentation, ping/pong, close)
// through Beast. Same port and origin as the rest of the HTTP API (the panel needs one origin);
// TLS works too, as libmicrohttpd then hands over one end of a socket pair it encrypts.
// Threading: a session is used by one thread (the route's WebSocket thread).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_set>
#include <optional>
#include <string>
#include <string_view>

namespace sb::transports {

/// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key (RFC 6455 §4.2.2), or nullopt when
/// the key is missing or not the base64 of 16 bytes.
std::optional<std::string> websocket_accept_key(const char* key);

class WebSocketSession {
 public:
  /// Takes over `socket` (closed by the destructor's owner, libmicrohttpd); `already_read` are
  /// bytes the client sent after its upgrade request.
  WebSocketSession(int socket, std::string_view already_read);
  ~WebSocketSession();
  WebSocketSession(const WebSocketSession&) = delete;
  WebSocketSession& operator=(const WebSocketSession&) = delete;

  /// The next message (text or binary), or nullopt once the client closed or the connection
  /// failed. Messages larger than `max_message` bytes close the connection (1009).
  std::optional<std::string> read(std::size_t max_message = 1 << 20);
  /// Sends a text message; false when the connection is gone.
  bool write(std::string_view text);
  /// Sends a close frame (1000) and waits for the client's.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The sockets of upgraded connections, each served by its own thread until it ends. At
/// shutdown close_all() shuts them down (their reads fail, their sessions end) and waits for
/// their threads, since libmicrohttpd must outlive them.
/// Threading: any thread.
class UpgradedSockets {
 public:
  /// Tracks `fd`; false once closing (the caller drops the upgrade at once).
  bool adopt(int fd);
  /// The session on `fd` ended: `close_upgrade` (libmicrohttpd's close of the upgrade handle)
  /// runs under the lock, so close_all() never shuts down a descriptor already reused.
  void release(int fd, const std::function<void()>& close_upgrade);
  /// Shuts every socket down and waits up to `wait` for the sessions to end.
  void close_all(std::chrono::milliseconds wait);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_set<int> sockets_;
  bool closing_ = false;
};

}  // namespace sb::transports
