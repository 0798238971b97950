// webhook_delivery.cpp: `http://…` and `https://…` event sockets — each event POSTed as the
// JSON-RPC 2.0 notification (Content-Type: application/json) with Boost.Beast, over TLS with
// Boost.Asio's OpenSSL binding for https (the peer is verified against events.webhook_ca_file
// or the system's CA store, and its name against the URL's host).
// Headers: X-Switchboard-Event (the name), X-Switchboard-Delivery (the event's seq) and, when
// the subscription has a secret, X-Switchboard-Signature: sha256=<hex HMAC-SHA256 of the body
// keyed with the secret> (as GitHub's webhooks), so the receiver can trust the sender.
// A 2xx is delivered; a 5xx, 408, 429, a timeout (events.webhook_timeout_ms per attempt) or a
// connection failure is retried with exponential back-off (500 ms doubling up to
// events.backoff_max_ms) up to events.webhook_retries times; any other status fails at once.
// The connection is kept between POSTs (HTTP/1.1 keep-alive) until the receiver closes it or an
// exchange fails; a POST on a kept connection the receiver had closed meanwhile is sent again
// at once on a new one.
#include <openssl/hmac.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>

#include <fmt/format.h>

#include "gateway/events/delivery.h"

namespace sb::gateway::events {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

struct Url {
  bool tls = false;
  std::string host, port, target;
};

std::variant<Url, std::string> parse_url(const std::string& url) {
  Url u;
  std::string rest;
  if (url.rfind("http://", 0) == 0) rest = url.substr(7);
  else if (url.rfind("https://", 0) == 0) {
    u.tls = true;
    rest = url.substr(8);
  } else {
    return "a webhook URL starts with http:// or https://";
  }
  std::size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (authority.find('@') != std::string::npos)
    return "credentials in a webhook URL are not supported (use the HMAC secret)";
  if (authority.empty()) return "the webhook URL has no host";
  if (authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string::npos) return "unterminated [IPv6] host";
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return "bad text after the [IPv6] host";
      u.port = authority.substr(close + 2);
    }
  } else {
    std::size_t colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) u.port = authority.substr(colon + 1);
  }
  if (u.port.empty()) u.port = u.tls ? "443" : "80";
  if (u.port.find_first_not_of("0123456789") != std::string::npos || u.port.size() > 5)
    return fmt::format("bad port '{}'", u.port);
  for (char c : u.target)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return "the webhook URL's path has spaces or controls";
  return u;
}

std::string hmac_sha256_hex(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) hex += fmt::format("{:02x}", out[i]);
  return hex;
}

class WebhookDelivery : public Delivery {
 public:
  WebhookDelivery(Url url, std::string secret, DeliveryLimits limits)
      : url_(std::move(url)), secret_(std::move(secret)), limits_(std::move(limits)),
        tls_(ssl::context::tls_client) {
    if (url_.tls) {
      tls_.set_verify_mode(ssl::verify_peer);
      if (limits_.webhook_ca_file.empty()) tls_.set_default_verify_paths();
      else tls_.load_verify_file(limits_.webhook_ca_file);
    }
  }

  std::string kind() const override { return url_.tls ? "https" : "http"; }

  std::string send(const mi::Event& e, std::uint64_t dropped, const std::atomic<bool>& stop) override {
    std::string body = e.jsonrpc(dropped);
    std::chrono::milliseconds backoff(500);
    std::string why;
    for (int attempt = 0; attempt <= limits_.webhook_retries; ++attempt) {
      if (attempt > 0) {
        ++retries_;
        wait_unless_stopped(backoff, stop);
        backoff = std::min(backoff * 2, limits_.backoff_max);
      }
      if (stop.load() && attempt > 0) break;
      auto [status, error] = post(e, body);
      last_status_ = status;
      if (status >= 200 && status < 300) return {};
      why = error.empty() ? fmt::format("{} answered {}", kind(), status) : error;
      bool retry = status == 0 || status >= 500 || status == 408 || status == 429;
      if (!retry) break;
    }
    return why;
  }

  mi::Value state() const override {
    return mi::Value{{"last_status", last_status_.load()}, {"retries", retries_.load()}, {"signed", !secret_.empty()}};
  }

 private:
  /// One POST on the kept connection (made, or made again, when needed): {status, ""} or
  /// {0, why}. A reused connection the receiver had closed is retried once on a new one.
  std::pair<int, std::string> post(const mi::Event& e, const std::string& body) {
    http::request<http::string_body> req{http::verb::post, url_.target, 11};
    req.set(http::field::host, url_.host.find(':') != std::string::npos ? "[" + url_.host + "]" : url_.host);
    req.set(http::field::user_agent, "switchboard/" SB_VERSION);
    req.set(http::field::content_type, "application/json");
    req.set("X-Switchboard-Event", e.spec->name);
    req.set("X-Switchboard-Delivery", std::to_string(e.seq));
    if (!secret_.empty()) req.set("X-Switchboard-Signature", "sha256=" + hmac_sha256_hex(secret_, body));
    req.keep_alive(true);
    req.body() = body;
    req.prepare_payload();
    for (int attempt = 0;; ++attempt) {
      bool reused = connected_;
      auto [status, error] = exchange(req);
      if (status != 0 || !reused || attempt > 0) return {status, error};
    }
  }

  std::pair<int, std::string> exchange(http::request<http::string_body>& req) {
    int status = 0;
    std::string error;
    auto run = [&]() -> net::awaitable<void> {
      try {
        if (!connected_) co_await connect();
        http::response_parser<http::string_body> parser;
        parser.body_limit(64 * 1024);  // a receiver's answer is not read beyond this
        beast::get_lowest_layer(*stream_).expires_after(limits_.webhook_timeout);
        if (url_.tls) {
          co_await http::async_write(*tls_stream_, req, net::use_awaitable);
          co_await http::async_read(*tls_stream_, buffer_, parser, net::use_awaitable);
        } else {
          co_await http::async_write(*stream_, req, net::use_awaitable);
          co_await http::async_read(*stream_, buffer_, parser, net::use_awaitable);
        }
        status = static_cast<int>(parser.get().result_int());
        if (!parser.get().keep_alive()) disconnect();
      } catch (const boost::system::system_error& ex) {
        disconnect();
        error = ex.code() == beast::error::timeout
                    ? fmt::format("{}: no answer within {} ms", kind(), limits_.webhook_timeout.count())
                    : fmt::format("{}: {}", kind(), ex.code().message());
      } catch (const std::exception& ex) {
        disconnect();
        error = fmt::format("{}: {}", kind(), ex.what());
      }
    };
    io_.restart();
    net::co_spawn(io_, run(), net::detached);
    io_.run();
    return {status, error};
  }

  net::awaitable<void> connect() {
    tcp::resolver resolver(io_);
    auto results = co_await resolver.async_resolve(url_.host, url_.port, net::use_awaitable);
    buffer_.clear();
    if (url_.tls) {
      tls_stream_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io_, tls_);
      if (!SSL_set_tlsext_host_name(tls_stream_->native_handle(), url_.host.c_str()))
        throw std::runtime_error("TLS: cannot set the server name");
      tls_stream_->set_verify_callback(ssl::host_name_verification(url_.host));
      stream_ = &beast::get_lowest_layer(*tls_stream_);
      stream_->expires_after(limits_.webhook_timeout);
      co_await stream_->async_connect(results, net::use_awaitable);
      co_await tls_stream_->async_handshake(ssl::stream_base::client, net::use_awaitable);
    } else {
      plain_ = std::make_unique<beast::tcp_stream>(io_);
      stream_ = plain_.get();
      stream_->expires_after(limits_.webhook_timeout);
      co_await stream_->async_connect(results, net::use_awaitable);
    }
    connected_ = true;
  }

  void disconnect() {
    if (stream_) {
      beast::error_code ignored;
      stream_->socket().shutdown(tcp::socket::shutdown_both, ignored);
    }
    connected_ = false;
    stream_ = nullptr;
    tls_stream_.reset();
    plain_.reset();
  }

  Url url_;
  std::string secret_;
  DeliveryLimits limits_;
  ssl::context tls_;
  // The kept connection (the subscription's thread only).
  net::io_context io_;
  std::unique_ptr<beast::tcp_stream> plain_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls_stream_;
  beast::tcp_stream* stream_ = nullptr;  ///< the TCP layer of whichever is open
  beast::flat_buffer buffer_;
  bool connected_ = false;
  std::atomic<int> last_status_{0};
  std::atomic<std::uint64_t> retries_{0};
};

}  // namespace

std::variant<std::unique_ptr<Delivery>, std::string> make_webhook_delivery(const std::string& url,
                                                                           const std::string& secret,
                                                                           const DeliveryLimits& limits) {
  auto parsed = parse_url(url);
  if (auto* why = std::get_if<std::string>(&parsed)) return *why;
  try {
    return std::unique_ptr<Delivery>(std::make_unique<WebhookDelivery>(std::get<Url>(parsed), secret, limits));
  } catch (const boost::system::system_error& e) {
    return fmt::format("webhook TLS set-up: {} ({})", e.code().message(), limits.webhook_ca_file);
  }
}

}  // namespace sb::gateway::events
