// websocket_stream.cpp: see websocket_stream.h.
#include "transports/http/websocket_stream.h"

#include <deque>
#include <mutex>
#include <optional>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "transports/http/handed_over_socket.h"

namespace sb::transports {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using detail::HandedOverSocket;

struct WebSocketStream::Impl {
  Options opt;
  net::io_context io;
  websocket::stream<HandedOverSocket> ws;
  beast::flat_buffer in;
  using Text = std::shared_ptr<const std::string>;
  std::deque<Text> out;  ///< io thread only: being written
  std::mutex incoming_mu;
  std::deque<Text> incoming;    ///< from send(), any thread
  bool drain_posted = false;    ///< under incoming_mu: a drain() is on its way to the io thread
  bool writing = false;
  bool close_started = false;
  std::optional<websocket::close_reason> close_pending;
  std::atomic<std::size_t> queued{0};
  std::atomic<bool> closing{false};
  std::atomic<bool> too_slow{false};  ///< closed because it fell behind (kTooSlow)
  net::steady_timer every_timer{io};
  net::steady_timer grace_timer{io};
  std::chrono::seconds every_interval{0};
  std::function<void()> every_fn;
  std::function<void(std::string)>* on_message = nullptr;
  mutable std::mutex ended_mu;
  std::string ended;

  Impl(int fd, Options o) : opt(o), ws(io, ::dup(fd)) {}

  /// The connection is over: nothing more is read or written; run() returns (Beast's own
  /// timers would otherwise keep the loop, the thread and the stream's slot for seconds).
  void end(std::string why) {
    {
      std::lock_guard lk(ended_mu);
      if (ended.empty()) ended = std::move(why);
    }
    closing = true;
    every_timer.cancel();
    grace_timer.cancel();
    io.stop();
  }

  void read() {
    ws.async_read(in, [this](beast::error_code ec, std::size_t) {
      if (ec) {
        // The close we started (or a peer's) is done once the read ends; nothing else may wait.
        detail::beast_close_socket(ws.next_layer());
        end(ec == websocket::error::closed ? "peer closed" : ec.message());
        return;
      }
      std::string text = beast::buffers_to_string(in.data());
      in.consume(in.size());
      if (on_message && *on_message && !closing) (*on_message)(std::move(text));
      read();
    });
  }

  void write() {
    if (out.empty() || writing || close_started) return;
    writing = true;
    ws.text(true);
    ws.async_write(net::buffer(*out.front()), [this](beast::error_code ec, std::size_t) {
      writing = false;
      out.pop_front();
      queued.fetch_sub(1);
      if (ec) {
        detail::beast_close_socket(ws.next_layer());
        end(ec.message());
        return;
      }
      if (close_pending) return start_close();
      write();
    });
  }

  /// io thread: takes what send() queued (one wake-up of the loop for a whole burst).
  void drain() {
    std::deque<Text> got;
    {
      std::lock_guard lk(incoming_mu);
      got.swap(incoming);
      drain_posted = false;
    }
    if (close_pending) {
      queued.fetch_sub(got.size());
      return;
    }
    for (auto& t : got) out.push_back(std::move(t));
    write();
  }

  void start_close() {
    if (close_started) return;
    if (writing) return;  // the write's completion starts it
    close_started = true;
    queued.fetch_sub(out.size());
    out.clear();
    ws.async_close(*close_pending, [](beast::error_code) {});
  }

  /// Called on the io thread: close now (or after the write in progress), and cut the
  /// connection if the closing handshake has not ended within the grace period.
  void begin_close(websocket::close_reason reason) {
    if (close_pending) return;
    close_pending = std::move(reason);
    closing = true;
    start_close();
    grace_timer.expires_after(opt.close_grace);
    grace_timer.async_wait([this](beast::error_code ec) {
      if (ec) return;
      detail::beast_close_socket(ws.next_layer());
      end(close_pending && close_pending->code == kTooSlow ? "too slow (connection cut)" : "close timed out");
    });
  }

  void arm_every() {
    if (every_interval.count() <= 0 || !every_fn) return;
    every_timer.expires_after(every_interval);
    every_timer.async_wait([this](beast::error_code ec) {
      if (ec || closing) return;
      every_fn();
      arm_every();
    });
  }
};

WebSocketStream::WebSocketStream(int socket, std::string_view already_read, Options options)
    : impl_(std::make_unique<Impl>(socket, options)) {
  detail::accept_handed_over(impl_->ws, already_read);
}

WebSocketStream::~WebSocketStream() = default;

bool WebSocketStream::send(std::string text) {
  return send_shared(std::make_shared<const std::string>(std::move(text)));
}

bool WebSocketStream::send_shared(std::shared_ptr<const std::string> text) {
  Impl* i = impl_.get();
  if (i->closing.load()) return false;
  if (i->queued.fetch_add(1) + 1 > i->opt.max_queued) {
    i->queued.fetch_sub(1);
    i->too_slow = true;
    close(kTooSlow, "consumer too slow: more than " + std::to_string(i->opt.max_queued) + " messages queued");
    return false;
  }
  bool post = false;
  {
    std::lock_guard lk(i->incoming_mu);
    i->incoming.push_back(std::move(text));
    if (!i->drain_posted) post = i->drain_posted = true;
  }
  if (post) net::post(i->io, [i] { i->drain(); });
  return true;
}

void WebSocketStream::close(std::uint16_t code, std::string reason) {
  Impl* i = impl_.get();
  i->closing = true;
  net::post(i->io, [i, code, reason = std::move(reason)] {
    websocket::close_reason r(code);
    r.reason = reason.substr(0, 120);  // a close frame's payload is at most 125 bytes
    i->begin_close(std::move(r));
  });
}

void WebSocketStream::every(std::chrono::seconds interval, std::function<void()> fn) {
  Impl* i = impl_.get();
  net::post(i->io, [i, interval, fn = std::move(fn)]() mutable {
    i->every_interval = interval;
    i->every_fn = std::move(fn);
    i->every_timer.cancel();
    i->arm_every();
  });
}

void WebSocketStream::run() {
  Impl* i = impl_.get();
  websocket::stream_base::timeout t{};
  t.handshake_timeout = std::chrono::seconds(5);
  t.idle_timeout = i->opt.ping_interval * 2;
  t.keep_alive_pings = true;
  i->ws.set_option(t);
  i->ws.read_message_max(i->opt.max_message);
  i->on_message = &on_message;
  i->read();
  i->io.run();
  i->end("ended");
}

std::size_t WebSocketStream::queued() const { return impl_->queued.load(); }

bool WebSocketStream::fell_behind() const { return impl_->too_slow.load(); }

std::string WebSocketStream::ended_because() const {
  std::lock_guard lk(impl_->ended_mu);
  return impl_->ended;
}

}  // namespace sb::transports
