// websocket_stream.h: an asynchronous WebSocket on a connection libmicrohttpd upgraded (see
// websocket_bridge.h for the hand-over), for servers that push: the event stream.
//
// Purpose: Boost.Beast does the framing on the connection's own io_context (run() blocks the
// route's WebSocket thread until the connection ends). Any thread may send(): the text is
// queued and written one frame at a time; at most `max_queued` messages may wait — beyond, the
// stream is closed with close code 4008 ("consumer too slow"), and if even that cannot be
// written (a peer that reads nothing) the connection is cut after `close_grace`. The bound
// counts messages not yet handed to the kernel: a burst larger than it closes even a reader
// that keeps up on average, so size it for the bursts a consumer must take. Idle
// connections are pinged (Beast's keep-alive pings); a peer silent for two ping intervals is
// dropped. Messages from the peer (at most `max_message` bytes, else 1009) go to on_message.
// Threading: on_message and timers run on run()'s thread; send(), close() and every() may be
// called from any thread until the owner destroys the stream (stop every caller first: detach
// the event sink), which happens on run()'s thread after run() returned.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace sb::transports {

class WebSocketStream {
 public:
  struct Options {
    std::size_t max_message = 64 * 1024;
    std::size_t max_queued = 1000;
    std::chrono::seconds ping_interval{20};
    std::chrono::milliseconds close_grace{2000};
  };
  /// The close code sent to a consumer that fell behind by more than max_queued messages.
  static constexpr std::uint16_t kTooSlow = 4008;

  WebSocketStream(int socket, std::string_view already_read, Options options);
  ~WebSocketStream();
  WebSocketStream(const WebSocketStream&) = delete;
  WebSocketStream& operator=(const WebSocketStream&) = delete;

  /// A text message from the peer (run()'s thread). Set before run().
  std::function<void(std::string)> on_message;

  /// Queues a text message; false once closing (or when this one overflowed the queue, which
  /// starts the close with kTooSlow).
  bool send(std::string text);
  /// The same for a text shared with other streams (an event's message, rendered once).
  bool send_shared(std::shared_ptr<const std::string> text);
  /// Starts the closing handshake with `code` and `reason`.
  void close(std::uint16_t code, std::string reason);
  /// Runs `fn` on run()'s thread every `interval` (replacing an earlier one); 0 stops it.
  void every(std::chrono::seconds interval, std::function<void()> fn);
  /// Serves the connection until it ends (the peer closed, an error, a close completed).
  void run();
  /// Messages waiting to be written.
  std::size_t queued() const;
  /// It was closed (or cut) because more than max_queued messages waited.
  bool fell_behind() const;
  /// Why it ended ("peer closed", "too slow", …), after run() returned.
  std::string ended_because() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sb::transports
