// caller_auth.h: the registrar's verdict on the caller of a request other than REGISTER (an
// INVITE from a subscriber, authenticated with Proxy-Authorization, RFC 3261 §22.3). A plain value
// so that the call engine can use it without depending on the registrar.
//
// Threading: a value; no shared state.
#pragma once

#include <string>

namespace sb::gateway {

/// What digest authentication says about the caller of a request other than REGISTER (an INVITE
/// from a subscriber: Proxy-Authorization, RFC 3261 §22.3).
struct CallerAuth {
  enum class Kind {
    not_a_subscriber,  ///< From is no local subscriber and carries no credentials: not ours to judge
    authenticated,     ///< valid credentials of the From subscriber: `aor`
    challenge,         ///< answer 407 with `header` (no credentials, stale nonce, or wrong ones)
    forbidden,         ///< credentials of another user than From: 403
    bad_request,       ///< the digest uri is not the Request-URI: 400
    banned,            ///< the source IP failed authentication too often: 403
  };
  Kind kind = Kind::not_a_subscriber;
  std::string aor;     ///< user@domain of the From subscriber
  std::string header;  ///< challenge: "Proxy-Authenticate: Digest …"
  std::string why;     ///< for the log (challenge after wrong credentials, forbidden)
  bool failed = false; ///< challenge: credentials were sent and were wrong
};

}  // namespace sb::gateway
