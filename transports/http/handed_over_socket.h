// handed_over_socket.h: the next layer of a Boost.Beast websocket stream on a connection
// libmicrohttpd upgraded (see websocket_bridge.h): its first writes — Beast's own 101 response,
// which libmicrohttpd already sent — go nowhere; afterwards it is the socket, for synchronous
// (WebSocketSession) and asynchronous (WebSocketStream) use. The descriptor it gets is a dup():
// asio closes its copy, libmicrohttpd the original.
// Threading: as the asio socket it wraps (one strand/thread).
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/system/error_code.hpp>

#include <string>
#include <string_view>

namespace sb::transports::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

/// A socket whose first writes (Beast's own 101 response, which libmicrohttpd already sent)
/// go nowhere; afterwards it is the socket.
class HandedOverSocket {
 public:
  using executor_type = tcp::socket::executor_type;
  HandedOverSocket(net::io_context& io, int fd) : socket_(io, tcp::v4(), fd) {}
  executor_type get_executor() { return socket_.get_executor(); }
  tcp::socket& socket() { return socket_; }
  void swallow_writes(bool on) { swallow_ = on; }

  template <class Buffers>
  std::size_t read_some(const Buffers& b) { return socket_.read_some(b); }
  template <class Buffers>
  std::size_t read_some(const Buffers& b, boost::system::error_code& ec) { return socket_.read_some(b, ec); }
  template <class Buffers>
  std::size_t write_some(const Buffers& b) {
    return swallow_ ? net::buffer_size(b) : socket_.write_some(b);
  }
  template <class Buffers, class Handler>
  void async_read_some(const Buffers& b, Handler&& h) { socket_.async_read_some(b, std::forward<Handler>(h)); }
  template <class Buffers, class Handler>
  void async_write_some(const Buffers& b, Handler&& h) {
    if (!swallow_) return socket_.async_write_some(b, std::forward<Handler>(h));
    std::size_t n = net::buffer_size(b);
    net::post(get_executor(), [h = std::forward<Handler>(h), n]() mutable { h(boost::system::error_code{}, n); });
  }
  template <class Buffers>
  std::size_t write_some(const Buffers& b, boost::system::error_code& ec) {
    ec = {};
    return swallow_ ? net::buffer_size(b) : socket_.write_some(b, ec);
  }

 private:
  tcp::socket socket_;
  bool swallow_ = true;
};

// Beast's closing handshake ends with a teardown of the next layer (found by ADL). The socket
// itself belongs to libmicrohttpd, which closes it: only stop sending here.
[[maybe_unused]] inline void teardown(beast::role_type, HandedOverSocket& s, boost::system::error_code& ec) {
  s.socket().shutdown(tcp::socket::shutdown_send, ec);
}

template <class Handler>
void async_teardown(beast::role_type, HandedOverSocket& s, Handler&& handler) {
  boost::system::error_code ec;
  s.socket().shutdown(tcp::socket::shutdown_send, ec);
  net::post(s.get_executor(), [h = std::forward<Handler>(handler), ec]() mutable { h(ec); });
}

/// Completes Beast's side of the handshake libmicrohttpd already answered: the upgrade request
/// as Beast expects to read it (libmicrohttpd parsed the real one and checked its key and
/// version), then what the client sent after it; Beast's own 101 is swallowed.
template <class WebSocket>
void accept_handed_over(WebSocket& ws, std::string_view already_read) {
  std::string replay =
      "GET / HTTP/1.1\r\nHost: switchboard\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  replay.append(already_read);
  ws.next_layer().swallow_writes(true);
  ws.accept(net::buffer(replay));
  ws.next_layer().swallow_writes(false);
}

// Beast's timeouts close the lowest layer (found by ADL): shut the connection down, then close
// this dup of the descriptor.
inline void beast_close_socket(HandedOverSocket& s) {
  boost::system::error_code ec;
  s.socket().shutdown(tcp::socket::shutdown_both, ec);
  s.socket().close(ec);
}

}  // namespace sb::transports::detail
