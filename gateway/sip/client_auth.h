// client_auth.h: the client side of SIP digest authentication (RFC 2617 / RFC 3261 §22) —
// answering the WWW-Authenticate (401) and Proxy-Authenticate (407) challenges of a reply with
// Authorization / Proxy-Authorization headers. Built on sofia-sip's auth_client (iptsec), which
// computes the response (MD5 and MD5-sess, qop auth / auth-int / none), makes the cnonce and
// counts nc; this file picks the challenges it can answer and explains the ones it cannot.
// When a challenge offers qop "auth,auth-int", auth is answered; auth-int alone is answered over
// an empty body (we pass none: right for REGISTER, not for an INVITE with SDP).
//
// Used by the outbound registrations (gateway/accounts) and by the B2BUA for outbound INVITEs.
// Threading: a ClientAuth belongs to one thread (the engine thread in the daemon); the free
// functions are pure.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

struct sip_s;
struct su_home_s;
struct auth_client_s;

namespace sb::gateway {

/// One challenge as a 401/407 carries it (values unquoted; absent params are empty).
struct Challenge {
  bool proxy = false;  ///< from Proxy-Authenticate (answered with Proxy-Authorization)
  std::string scheme, realm, nonce, algorithm, qop, opaque;
  bool stale = false;
};

/// Every challenge of `reply` (WWW-Authenticate first, then Proxy-Authenticate), in order.
std::vector<Challenge> challenges_of(const sip_s* reply);

/// Empty when we can answer `c`, otherwise why not (e.g. "unsupported digest algorithm 'SHA-256'").
std::string unanswerable(const Challenge& c);

/// A header to add to the request: {"Authorization" | "Proxy-Authorization", value}.
using AuthHeader = std::pair<std::string, std::string>;

/// Credentials for the challenges of one peer, kept across requests so that nc counts up while
/// the server's nonce stays the same (pre-emptive authorization of refreshes).
class ClientAuth {
 public:
  ClientAuth();
  ~ClientAuth();
  ClientAuth(const ClientAuth&) = delete;
  ClientAuth& operator=(const ClientAuth&) = delete;

  /// Takes in the challenges of `reply` (a 401 or 407) that can be answered, with `user` and
  /// `password` for all of them. False (and `*why`) when none of them can be answered.
  bool challenge(const sip_s* reply, const std::string& user, const std::string& password,
                 std::string* why);
  /// The credential headers for a request `method request_uri` answering every challenge taken
  /// in so far (each call counts nc up); empty when there is none. False + `*why` on failure.
  bool headers(const std::string& method, const std::string& request_uri, std::vector<AuthHeader>* out,
               std::string* why);
  /// True when a challenge has been taken in (headers() will produce something).
  bool has_credentials() const;
  /// Forgets every challenge and credential.
  void clear();

 private:
  su_home_s* home_ = nullptr;
  auth_client_s* list_ = nullptr;
};

/// The header answering the digest challenge(s) in `reply` (a 401 or 407) to a request `method`
/// `request_uri`: {"Authorization" | "Proxy-Authorization", value}; nullopt + *why when it cannot
/// be answered. A 401 is answered with Authorization, a 407 with Proxy-Authorization (the first
/// answerable challenge of that kind).
std::optional<AuthHeader> answer_challenge(const sip_s* reply, const std::string& method,
                                           const std::string& request_uri, const std::string& user,
                                           const std::string& password, std::string* why);

}  // namespace sb::gateway
