// http_auth_gate.h: who an HTTP request is — the host's authentication step, with the
// per-address failed-login throttle and the fail2ban log line.
//
// Purpose: when credentials are configured (http.basic_auth, http.tokens), every request must
// carry valid ones: a wrong one is logged at warn ("authentication failed for user '<u>' from
// <ip>:<port>") and counted against the address; past http.auth_fail_limit within
// http.auth_fail_window_s the address gets 429 with Retry-After, even with the right password.
// Without credentials configured, every request has http.anonymous_role (loopback only).
// Threading: admit() may run on any MHD thread concurrently (the throttle locks itself).
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "mi/command.h"
#include "mi/statistics.h"
#include "transports/http/http_host.h"
#include "transports/net/auth_throttle.h"

namespace sb::transports {

class HttpAuthGate {
 public:
  struct Admitted {
    mi::Role role;
    std::string peer;  ///< "<user>@<address>" (or the address alone without credentials)
  };

  HttpAuthGate(const HttpConfig& cfg, mi::Statistics& stats);

  /// The caller's role, or the answer that refuses it (401, 429). `peer` is the client's
  /// socket address; method and url are for the log.
  /// `scripted`: the request says it comes from a script (X-Requested-With): its 401 has no
  /// Basic challenge, so a browser shows the page's own log-in instead of its dialog.
  std::variant<Admitted, HttpReply> admit(const char* authorization, bool scripted, std::string peer,
                                          std::string_view method, std::string_view url);

  /// 401 with the WWW-Authenticate challenges of both schemes.
  static HttpReply unauthorized(bool scripted = false);

 private:
  const HttpConfig& cfg_;
  AuthThrottle throttle_;
  mi::Stat& failures_;   ///< http:auth_failures
  mi::Stat& throttled_;  ///< http:auth_throttled: requests answered 429
};

}  // namespace sb::transports
