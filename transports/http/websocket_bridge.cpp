// websocket_bridge.cpp: see websocket_bridge.h.
#include "transports/http/websocket_bridge.h"
#include "transports/http/handed_over_socket.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include <spdlog/spdlog.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket.hpp>

namespace sb::transports {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

std::optional<std::string> websocket_accept_key(const char* key) {
  if (!key) return std::nullopt;
  std::string_view k(key);
  while (!k.empty() && k.back() == ' ') k.remove_suffix(1);
  while (!k.empty() && k.front() == ' ') k.remove_prefix(1);
  // The base64 of 16 random bytes: 22 characters and "==".
  if (k.size() != 24 || k.substr(22) != "==") return std::nullopt;
  std::string text = std::string(k) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[20];
  if (gnutls_hash_fast(GNUTLS_DIG_SHA1, text.data(), text.size(), digest) != 0) return std::nullopt;
  gnutls_datum_t in{digest, sizeof digest};
  gnutls_datum_t out{};
  if (gnutls_base64_encode2(&in, &out) != 0) return std::nullopt;
  std::string accept(reinterpret_cast<const char*>(out.data), out.size);
  gnutls_free(out.data);
  return accept;
}


using detail::HandedOverSocket;

struct WebSocketSession::Impl {
  net::io_context io;
  websocket::stream<HandedOverSocket> ws;
  beast::flat_buffer buffer;
  bool open = false;

  // The socket is dup()ed: asio closes its copy, libmicrohttpd closes the original.
  Impl(int fd) : ws(io, ::dup(fd)) {}
};

WebSocketSession::WebSocketSession(int socket, std::string_view already_read)
    : impl_(std::make_unique<Impl>(socket)) {
  detail::accept_handed_over(impl_->ws, already_read);
  impl_->open = true;
}

WebSocketSession::~WebSocketSession() = default;

std::optional<std::string> WebSocketSession::read(std::size_t max_message) {
  if (!impl_->open) return std::nullopt;
  impl_->ws.read_message_max(max_message);
  boost::system::error_code ec;
  impl_->buffer.clear();
  impl_->ws.read(impl_->buffer, ec);
  if (ec) {
    impl_->open = false;
    return std::nullopt;
  }
  return beast::buffers_to_string(impl_->buffer.data());
}

bool WebSocketSession::write(std::string_view text) {
  if (!impl_->open) return false;
  boost::system::error_code ec;
  impl_->ws.text(true);
  impl_->ws.write(net::buffer(text.data(), text.size()), ec);
  if (ec) impl_->open = false;
  return !ec;
}

void WebSocketSession::close() {
  if (!impl_->open) return;
  boost::system::error_code ec;
  impl_->ws.close(websocket::close_code::normal, ec);
  impl_->open = false;
}

bool UpgradedSockets::adopt(int fd) {
  std::lock_guard lk(mu_);
  if (closing_) return false;
  sockets_.insert(fd);
  return true;
}

void UpgradedSockets::release(int fd, const std::function<void()>& close_upgrade) {
  std::lock_guard lk(mu_);
  close_upgrade();
  sockets_.erase(fd);
  cv_.notify_all();
}

void UpgradedSockets::close_all(std::chrono::milliseconds wait) {
  std::unique_lock lk(mu_);
  closing_ = true;
  for (int fd : sockets_) ::shutdown(fd, SHUT_RDWR);
  if (!cv_.wait_for(lk, wait, [&] { return sockets_.empty(); }))
    spdlog::warn("http: {} WebSocket connections did not end; stopping anyway", sockets_.size());
}

}  // namespace sb::transports
