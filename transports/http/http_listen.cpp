// http_listen.cpp: exposure checks, TLS files and the listening socket of the HTTP host.
#include "transports/http/http_listen.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "transports/net/errno_text.h"

namespace sb::transports {

namespace {

std::optional<std::string> read_whole_file(const std::string& path, std::string* why) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *why = errno_text(errno);
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    *why = "read error";
    return std::nullopt;
  }
  return ss.str();
}

}  // namespace

void check_exposure(const HttpConfig& cfg, const SocketAddress& addr) {
  const bool credentials = !cfg.basic.empty() || !cfg.tokens.empty();
  if (!credentials && !addr.is_loopback())
    throw HttpError(fmt::format(
        "http.listen {} is not a loopback address and no credentials are configured: anyone who "
        "can reach it could run every command. Set http.basic_auth or http.tokens, or listen on "
        "127.0.0.1",
        cfg.listen));
  const bool tls = !cfg.tls_cert.empty() || !cfg.tls_key.empty();
  if (!tls && !cfg.basic.empty() && !addr.is_loopback())
    throw HttpError(fmt::format(
        "http.listen {} is not a loopback address and http.basic_auth is set without TLS: the "
        "passwords would cross the network in clear. Set http.tls_cert and http.tls_key",
        cfg.listen));
}

TlsFiles read_tls_files(const HttpConfig& cfg) {
  if (cfg.tls_cert.empty() && cfg.tls_key.empty()) return {};
  if (cfg.tls_cert.empty() || cfg.tls_key.empty())
    throw HttpError("http.tls_cert and http.tls_key go together: set both or neither");
  std::string why;
  auto cert = read_whole_file(cfg.tls_cert, &why);
  if (!cert) throw HttpError(fmt::format("http.tls_cert: cannot read {}: {}", cfg.tls_cert, why));
  auto key = read_whole_file(cfg.tls_key, &why);
  if (!key) throw HttpError(fmt::format("http.tls_key: cannot read {}: {}", cfg.tls_key, why));
  return TlsFiles{std::move(*cert), std::move(*key)};
}

int listen_socket(const SocketAddress& addr, const std::string& what) {
  int fd = ::socket(addr.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) throw HttpError(fmt::format("http: socket: {}", errno_text(errno)));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (addr.family() == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  socklen_t len = addr.family() == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  // A full accept queue drops SYNs (the client retries after 1 s, 3 s, …): under a flood of idle
  // connections a legitimate client would wait seconds before the guard could make room for it.
  if (::bind(fd, addr.get(), len) != 0 || ::listen(fd, SOMAXCONN) != 0) {
    std::string e = errno_text(errno);
    ::close(fd);
    throw HttpError(fmt::format("http: cannot listen on {}: {}", what, e));
  }
  return fd;
}

}  // namespace sb::transports
