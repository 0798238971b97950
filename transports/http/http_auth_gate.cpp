// http_auth_gate.cpp: credentials → role, with the throttle.
#include "transports/http/http_auth_gate.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "transports/http/http_request_checks.h"
#include "transports/net/printable.h"

namespace sb::transports {

HttpAuthGate::HttpAuthGate(const HttpConfig& cfg, mi::Statistics& stats)
    : cfg_(cfg), throttle_(cfg.auth_fail_limit, cfg.auth_fail_window),
      failures_(stats.counter("http", "auth_failures")),
      throttled_(stats.counter("http", "auth_throttled")) {}

HttpReply HttpAuthGate::unauthorized(bool scripted) {
  HttpReply r = text_reply(401, "authentication required");
  if (!scripted) r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"switchboard\"");
  r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"switchboard\"");
  return r;
}

std::variant<HttpAuthGate::Admitted, HttpReply> HttpAuthGate::admit(const char* authorization,
                                                                    bool scripted, std::string peer,
                                                                    std::string_view method,
                                                                    std::string_view url) {
  // Without credentials configured (or only the generated admin token), a request without any
  // gets the anonymous role; one that sends a credential must send a valid one (a refused token
  // is a 401, not a silent read-only session).
  if (!authorization && ((cfg_.basic.empty() && cfg_.tokens.empty()) || cfg_.anonymous_with_token))
    return Admitted{cfg_.anonymous_role, std::move(peer)};
  const std::string ip = address_of(peer);
  if (auto wait = throttle_.blocked_for(ip); wait.count() > 0) {
    throttled_.inc();
    HttpReply r = text_reply(429, fmt::format("too many failed logins from {}: try again in {} s "
                                              "(http.auth_fail_limit)", ip, wait.count()));
    r.headers.emplace_back("Retry-After", std::to_string(wait.count()));
    return r;
  }
  std::string user;
  const HttpCredential* c = authenticate(authorization, cfg_, &user);
  if (c) return Admitted{c->role, c->name + "@" + peer};
  failures_.inc();
  // fail2ban: "authentication failed for user '<u>' from <ip>:<port>". A request with no
  // credentials at all (a browser's first try) is not a guess: not counted against the IP.
  if (authorization) {
    unsigned n = throttle_.failed(ip);
    spdlog::warn("http: {} {}: authentication failed for user '{}' from {} ({} of {} allowed per {} s)",
                 printable(method, 16), printable(url, 100), printable(user, 64), peer, n,
                 cfg_.auth_fail_limit, cfg_.auth_fail_window.count());
  } else {
    spdlog::debug("http: {} {} from {}: no credentials (401)", printable(method, 16),
                  printable(url, 100), peer);
  }
  return unauthorized(scripted);
}

}  // namespace sb::transports
