// http_request_checks.cpp: Host, Origin, Authorization, Content-Type and route matching.
#include "transports/http/http_request_checks.h"

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "mi/strings.h"
#include "transports/net/printable.h"
#include "transports/net/secret_compare.h"

namespace sb::transports {

namespace {

using mi::lower;
using mi::trim;

/// Standard base64 (RFC 4648 alphabet, padding optional, nothing else: no blanks, no '-'),
/// decoded by GnuTLS; nullopt when it is not base64.
std::optional<std::string> base64_decode(std::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  auto alphabet = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
  };
  if (in.size() % 4 == 1 || !std::all_of(in.begin(), in.end(), alphabet)) return std::nullopt;
  std::string padded(in);
  padded.append((4 - padded.size() % 4) % 4, '=');
  gnutls_datum_t text{reinterpret_cast<unsigned char*>(padded.data()),
                      static_cast<unsigned>(padded.size())};
  gnutls_datum_t out{};
  if (gnutls_base64_decode2(&text, &out) != 0) return std::nullopt;
  std::string decoded(reinterpret_cast<const char*>(out.data), out.size);
  gnutls_free(out.data);
  return decoded;
}

}  // namespace

std::string media_type(const char* header) {
  if (!header) return {};
  std::string_view v(header);
  return lower(trim(v.substr(0, v.find(';'))));
}

bool ip_or_localhost(std::string_view host) {
  if (lower(host) == "localhost") return true;
  std::string h(host);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') {
    in6_addr a6;
    return ::inet_pton(AF_INET6, h.substr(1, h.size() - 2).c_str(), &a6) == 1;
  }
  in_addr a4;
  return ::inet_pton(AF_INET, h.c_str(), &a4) == 1;
}

std::string_view host_part(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  return host.substr(0, host.find(':'));
}

std::string foreign_host(const char* header, const std::vector<std::string>& allowed_hosts) {
  if (!header) return {};
  std::string_view host = host_part(trim(header));
  if (ip_or_localhost(host)) return {};
  for (const std::string& allowed : allowed_hosts)
    if (lower(allowed) == lower(host)) return {};
  return fmt::format("Host '{}' is not accepted: use an IP address or localhost, or add the name "
                     "to http.allowed_hosts", printable(host, 100));
}

std::string foreign_origin(const char* origin_header, const char* host, bool tls,
                           const std::vector<std::string>& allowed_origins) {
  if (!origin_header) return {};
  std::string origin = lower(trim(origin_header));
  if (host && origin == lower(fmt::format("{}://{}", tls ? "https" : "http", trim(host)))) return {};
  for (const std::string& allowed : allowed_origins)
    if (lower(allowed) == origin) return {};
  return fmt::format("cross-origin request from '{}' refused: add it to http.allowed_origins",
                     printable(origin_header, 100));
}

const HttpCredential* authenticate(const char* authorization, const HttpConfig& cfg,
                                   std::string* user_out) {
  if (!authorization) return nullptr;
  std::string_view v = trim(authorization);
  auto sp = v.find(' ');
  if (sp == std::string_view::npos) return nullptr;
  std::string scheme = lower(v.substr(0, sp));
  std::string_view arg = trim(v.substr(sp + 1));
  const HttpCredential* found = nullptr;
  if (scheme == "basic") {
    auto decoded = base64_decode(arg);
    if (!decoded) return nullptr;
    auto colon = decoded->find(':');
    if (colon == std::string::npos) return nullptr;
    std::string_view user = std::string_view(*decoded).substr(0, colon);
    if (user_out) *user_out = std::string(user);
    std::string_view pass = std::string_view(*decoded).substr(colon + 1);
    for (const HttpCredential& c : cfg.basic) {
      bool u = constant_time_equal(user, c.name);
      bool p = constant_time_equal(pass, c.secret);
      if (u && p && !found) found = &c;
    }
  } else if (scheme == "bearer") {
    if (user_out) *user_out = "(bearer token)";
    for (const HttpCredential& c : cfg.tokens)
      if (constant_time_equal(arg, c.secret) && !found) found = &c;
  }
  return found;
}

namespace {

/// One path segment against its pattern: literal text, and {name}s each taking a non-empty
/// run up to the next literal character of the pattern ("{user}@{domain}": user stops at the
/// first '@', domain takes the rest).
bool match_segment(std::string_view p, std::string_view v,
                   std::map<std::string, std::string, std::less<>>* params) {
  while (!p.empty()) {
    if (p.front() != '{') {
      if (v.empty() || v.front() != p.front()) return false;
      p.remove_prefix(1);
      v.remove_prefix(1);
      continue;
    }
    auto close = p.find('}');
    if (close == std::string_view::npos) return false;
    std::string_view name = p.substr(1, close - 1);
    p.remove_prefix(close + 1);
    std::size_t end = p.empty() ? v.size() : v.find(p.front());
    if (end == 0 || end == std::string_view::npos) return false;
    if (params) (*params)[std::string(name)] = std::string(v.substr(0, end));
    v.remove_prefix(end);
  }
  return v.empty();
}

}  // namespace

bool match_route(std::string_view pattern, std::string_view path,
                 std::map<std::string, std::string, std::less<>>* params) {
  while (!pattern.empty() || !path.empty()) {
    if (pattern.empty() || path.empty() || pattern.front() != '/' || path.front() != '/') return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    std::string_view p = pattern.substr(0, pattern.find('/'));
    std::string_view v = path.substr(0, path.find('/'));
    if (p.find('{') != std::string_view::npos) {
      if (!match_segment(p, v, params)) return false;
    } else if (p != v) {
      return false;
    }
    pattern.remove_prefix(p.size());
    path.remove_prefix(v.size());
  }
  return true;
}

}  // namespace sb::transports
