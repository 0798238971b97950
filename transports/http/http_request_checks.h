// http_request_checks.h: what the HTTP host checks in a request before any route runs — the
// Host header (DNS rebinding), the Origin of a state-changing request (cross-site requests),
// the Authorization header against the configured credentials, the Content-Type's media type,
// and which route pattern a path matches. Pure functions of header values and the config, so
// the host (http_host.cpp) keeps only libmicrohttpd's plumbing.
// Threading: pure functions.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "transports/http/http_config.h"

struct MHD_Connection;

namespace sb::transports {

/// The media type of a Content-Type header, lower case, without parameters ("" when absent).
std::string media_type(const char* header);

/// True for an IPv4 literal, a bracketed IPv6 literal, or "localhost": names a DNS rebinding
/// attack cannot use (it needs a host name the attacker's DNS answers with our address).
bool ip_or_localhost(std::string_view host);

/// The host part of a Host header ("name:port", "[v6]:port", "name").
std::string_view host_part(std::string_view host);

/// Why the Host header is refused, or "" (no Host: HTTP/1.0, not a browser).
std::string foreign_host(const char* host, const std::vector<std::string>& allowed_hosts);

/// Why a state-changing request's Origin is refused, or "" (no Origin: not a browser's
/// cross-origin request; the host's own origin and http.allowed_origins are accepted).
std::string foreign_origin(const char* origin, const char* host, bool tls,
                           const std::vector<std::string>& allowed_origins);

/// The credential an Authorization header (Basic or Bearer) matches, or nullptr. Every
/// configured credential is compared in constant time, with no early exit, so timing does not
/// tell which one almost matched. `user` receives the Basic user name (for logs).
const HttpCredential* authenticate(const char* authorization, const HttpConfig& cfg,
                                   std::string* user);

/// The client's socket address ("192.0.2.1:40000", "[::1]:40000"), "?" when unknown.
std::string client_address(MHD_Connection* conn);
/// Its address part (what per-IP limits count by).
std::string client_ip(MHD_Connection* conn);

/// Matches `path` against a pattern ("/json/{command}"): each {name} takes one non-empty
/// segment, or, next to literal text in the segment ("{user}@{domain}"), a non-empty run up to
/// the next literal character. Fills `params` (when given) on a match.
bool match_route(std::string_view pattern, std::string_view path,
                 std::map<std::string, std::string, std::less<>>* params);

}  // namespace sb::transports
