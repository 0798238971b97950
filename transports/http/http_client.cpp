// http_client.cpp: see http_client.h.
#include "transports/http/http_client.h"

#include "transports/net/errno_text.h"

#include "mi/strings.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sb::client {

namespace {

using Clock = std::chrono::steady_clock;

using sb::mi::lower;
using transports::errno_text;

std::string_view trim(std::string_view s) { return sb::mi::trim(s, " \t\r"); }

int ms_left(Clock::time_point deadline) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return ms < 0 ? 0 : static_cast<int>(ms);
}

/// Waits for `events` on fd until the deadline; false on timeout.
bool wait_fd(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, ms_left(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

/// Connects (non-blocking, bounded by the deadline); returns fd or -1 with `error` set.
int connect_to(const HttpClientOptions& o, Clock::time_point deadline, std::string& error) {
  std::string host = o.host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  addrinfo* res = nullptr;
  std::string port = std::to_string(o.port);
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    error = "cannot resolve " + o.host + ": " + ::gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      if (!wait_fd(fd, POLLOUT, deadline)) {
        error = "timeout connecting to " + o.host + ":" + port;
        ::close(fd);
        fd = -1;
        break;
      }
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc == 0) break;
    error = "cannot connect to " + o.host + ":" + port + ": " + errno_text(errno);
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  if (fd >= 0) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return fd;
}

/// Sends everything; false with `error` on failure/timeout.
bool send_all(int fd, std::string_view data, Clock::time_point deadline, std::string& error) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_fd(fd, POLLOUT, deadline)) {
        error = "timeout sending the request";
        return false;
      }
      continue;
    }
    error = std::string("send: ") + errno_text(errno);
    return false;
  }
  return true;
}

/// Incremental reader over a socket with a deadline.
struct Reader {
  int fd;
  Clock::time_point deadline;
  std::string buf;
  bool eof = false;
  std::string error;

  /// Reads more bytes; false on EOF, error or timeout (error set unless EOF).
  bool more() {
    char tmp[16384];
    for (;;) {
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n > 0) {
        buf.append(tmp, static_cast<std::size_t>(n));
        return true;
      }
      if (n == 0) {
        eof = true;
        return false;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!wait_fd(fd, POLLIN, deadline)) {
          error = "timeout waiting for the reply";
          return false;
        }
        continue;
      }
      error = std::string("recv: ") + errno_text(errno);
      return false;
    }
  }
  /// Ensures `n` bytes are buffered.
  bool need(std::size_t n) {
    while (buf.size() < n)
      if (!more()) return false;
    return true;
  }
  /// A CRLF-terminated line (without the CRLF); nullopt-ish via false.
  bool line(std::string& out) {
    for (;;) {
      auto pos = buf.find("\r\n");
      if (pos != std::string::npos) {
        out = buf.substr(0, pos);
        buf.erase(0, pos + 2);
        return true;
      }
      if (!more()) return false;
    }
  }
};

/// Reads one response; sets `keep_alive` to whether the connection can be reused.
HttpResponse read_response(Reader& r, std::string_view method, bool& keep_alive) {
  HttpResponse resp;
  keep_alive = false;
  auto fail = [&](std::string what) {
    resp.ok = false;
    resp.error = r.error.empty() ? std::move(what) : r.error;
    return resp;
  };
  std::string line;
  if (!r.line(line)) return fail(r.buf.empty() ? "connection closed before a reply" : "truncated reply");
  // Status line: HTTP/1.1 200 OK
  if (line.rfind("HTTP/", 0) != 0) return fail("not an HTTP reply: " + line.substr(0, 80));
  auto sp = line.find(' ');
  if (sp == std::string::npos) return fail("bad status line: " + line);
  resp.status = std::atoi(line.c_str() + sp + 1);
  bool http10 = line.rfind("HTTP/1.0", 0) == 0;
  std::string version = line.substr(0, sp);
  for (;;) {
    if (!r.line(line)) return fail("truncated headers");
    if (line.empty()) break;
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    resp.headers.emplace_back(std::string(trim(std::string_view(line).substr(0, colon))),
                              std::string(trim(std::string_view(line).substr(colon + 1))));
  }
  std::string connection = lower(resp.header("Connection"));
  keep_alive = http10 ? connection == "keep-alive" : connection != "close";
  bool no_body = method == "HEAD" || resp.status == 204 || resp.status == 304 ||
                 (resp.status >= 100 && resp.status < 200);
  std::string te = lower(resp.header("Transfer-Encoding"));
  std::string cl = resp.header("Content-Length");
  if (no_body) {
    // nothing
  } else if (te.find("chunked") != std::string::npos) {
    for (;;) {
      if (!r.line(line)) return fail("truncated chunked body");
      std::size_t size = std::strtoul(line.c_str(), nullptr, 16);
      if (size == 0) {
        do {
          if (!r.line(line)) return fail("truncated chunked trailer");
        } while (!line.empty());
        break;
      }
      if (!r.need(size + 2)) return fail("truncated chunk");
      resp.body.append(r.buf, 0, size);
      r.buf.erase(0, size + 2);
    }
  } else if (!cl.empty()) {
    std::size_t n = std::strtoull(cl.c_str(), nullptr, 10);
    if (!r.need(n)) return fail("truncated body (" + std::to_string(r.buf.size()) + " of " + cl + " bytes)");
    resp.body = r.buf.substr(0, n);
    r.buf.erase(0, n);
  } else {
    while (r.more()) {
    }
    if (!r.eof) return fail("body not terminated");
    resp.body = std::move(r.buf);
    r.buf.clear();
    keep_alive = false;
  }
  resp.ok = true;
  return resp;
}

std::string build_request(const HttpClientOptions& o, std::string_view method, std::string_view target,
                          std::string_view body, std::string_view content_type,
                          const std::vector<std::pair<std::string, std::string>>& extra, bool close) {
  std::string req;
  req.reserve(256 + body.size());
  req.append(method).append(" ").append(target.empty() ? "/" : target).append(" HTTP/1.1\r\n");
  std::string host = o.host.find(':') != std::string::npos && o.host.front() != '['
                         ? "[" + o.host + "]" : o.host;
  req.append("Host: ").append(host).append(":").append(std::to_string(o.port)).append("\r\n");
  req.append("User-Agent: switchboard-client\r\n");
  if (!o.basic_user.empty())
    req.append("Authorization: Basic ")
        .append(base64_encode(o.basic_user + ":" + o.basic_password))
        .append("\r\n");
  else if (!o.bearer_token.empty())
    req.append("Authorization: Bearer ").append(o.bearer_token).append("\r\n");
  if (!content_type.empty()) req.append("Content-Type: ").append(content_type).append("\r\n");
  bool with_body = !body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
  if (with_body) req.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  for (const auto& [k, v] : extra) req.append(k).append(": ").append(v).append("\r\n");
  if (close) req.append("Connection: close\r\n");
  req.append("\r\n");
  req.append(body);
  return req;
}

/// One client connection (keep-alive when the server allows it).
struct Conn {
  HttpClientOptions o;
  int fd = -1;
  std::string leftover;  // bytes read past the previous response (should stay empty)

  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
    leftover.clear();
  }

  HttpResponse once(std::string_view method, std::string_view target, std::string_view body,
                    std::string_view content_type,
                    const std::vector<std::pair<std::string, std::string>>& extra, bool close_after,
                    bool& reused_and_failed_early) {
    reused_and_failed_early = false;
    auto deadline = Clock::now() + o.timeout;
    HttpResponse resp;
    bool reused = fd >= 0;
    if (fd < 0) {
      fd = connect_to(o, deadline, resp.error);
      if (fd < 0) return resp;
    }
    std::string bytes = build_request(o, method, target, body, content_type, extra, close_after);
    std::string send_error;
    bool sent = send_all(fd, bytes, deadline, send_error);
    // Even when sending failed (the server answered early, e.g. 413, and closed), a reply may be
    // waiting: read it.
    Reader r{fd, deadline, std::move(leftover), false, {}};
    leftover.clear();
    bool keep = false;
    resp = read_response(r, method, keep);
    if (!resp.ok) {
      if (reused && r.buf.empty() && (r.eof || !sent)) reused_and_failed_early = true;
      if (!sent && resp.error.find("timeout") == std::string::npos) resp.error = send_error + "; " + resp.error;
      close();
      return resp;
    }
    if (!keep || close_after || !sent) {
      close();
    } else {
      leftover = std::move(r.buf);
    }
    return resp;
  }

  HttpResponse request(std::string_view method, std::string_view target, std::string_view body,
                       std::string_view content_type,
                       const std::vector<std::pair<std::string, std::string>>& extra, bool close_after) {
    bool retry = false;
    HttpResponse resp = once(method, target, body, content_type, extra, close_after, retry);
    // The server may close an idle keep-alive connection just before we reuse it: one retry.
    if (retry) resp = once(method, target, body, content_type, extra, close_after, retry);
    return resp;
  }
};

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  std::string want = lower(name);
  for (const auto& [k, v] : headers)
    if (lower(k) == want) return v;
  return {};
}

struct HttpConnection::Impl : Conn {};

HttpConnection::HttpConnection(HttpClientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->o = std::move(options);
}
HttpConnection::~HttpConnection() { impl_->close(); }

HttpResponse HttpConnection::request(std::string_view method, std::string_view target,
                                     std::string_view body, std::string_view content_type,
                                     const std::vector<std::pair<std::string, std::string>>& extra) {
  return impl_->request(method, target, body, content_type, extra, false);
}

void HttpConnection::close() { impl_->close(); }

HttpResponse http_request(const HttpClientOptions& options, std::string_view method,
                          std::string_view target, std::string_view body, std::string_view content_type,
                          const std::vector<std::pair<std::string, std::string>>& extra) {
  Conn c;
  c.o = options;
  bool retry = false;
  HttpResponse r = c.once(method, target, body, content_type, extra, true, retry);
  c.close();
  return r;
}

std::string base64_encode(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(data[i]) << 16) |
                 (static_cast<unsigned char>(data[i + 1]) << 8) | static_cast<unsigned char>(data[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < data.size()) {
    unsigned v = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) v |= static_cast<unsigned char>(data[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < data.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace sb::client
