// registrar.h: the SIP registrar (RFC 3261 §10.3) — REGISTER → digest authentication against
// the subscriber table (optional) → contact processing (expires, 423, `*`, Call-ID/CSeq
// ordering, q) → usrloc (committed before the 200) → 200 OK listing every current binding.
// Stateless (see sip_stack.h): a retransmitted REGISTER (same Call-ID and CSeq) is answered with
// the current bindings and changes nothing.
//
// Digest hardening (issue #11): the digest `uri` must be the Request-URI (same text, or the same
// SIP URI by url_cmp_all) — else 400 Bad Request; every nonce's use is tracked in a bounded
// NonceTable (nc strictly increasing with qop=auth, a no-qop nonce good once; a replay gets a new
// challenge and counts registrar:auth_replays); each failure (wrong password, wrong user, uri
// mismatch, replay) is logged at WARN with the source ip:port and user and counted per source IP
// by an AuthLimiter, which bans an IP (403, registrar:auth_banned) after too many.
//
// Threading: the thread of its SipStack (the main engine's, or a REGISTER worker's, which has a
// registrar of its own: register_workers.h); usrloc is shared, and each save holds its lock.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "transports/net/auth_limiter.h"
#include "gateway/registrar/caller_auth.h"
#include "gateway/registrar/digest.h"
#include "gateway/registrar/nonce_table.h"
#include "gateway/sip/peer_address.h"
#include "mi/event_bus.h"
#include "mi/statistics.h"

struct msg_s;
struct sip_s;
struct msg_auth_s;

namespace sb::gateway {

using transports::AuthLimiter;
using transports::AuthLimits;

class Engine;
class SipReplier;
class SipStack;
class Usrloc;
class Subscribers;

struct RegistrarConfig {
  bool auth = false;
  std::string realm;                  ///< empty: the domain of the AOR being registered
  std::int64_t min_expires = 60;
  std::int64_t max_expires = 3600;
  std::int64_t default_expires = 3600;
  std::size_t max_contacts = 10;      ///< per AOR; 0 = no limit
  std::int64_t nonce_expires = 300;   ///< seconds a nonce stays fresh (then stale=true)
  std::size_t nonce_table_size = 65536;  ///< nonces tracked (nc); older ones are evicted
  AuthLimits limits;                  ///< authentication failures per source IP
};

/// The keys `reload` changes live (auth, realm, min/max/default expires, max_contacts), `from`
/// into `to`; the others (nonce table, failure limits) keep their values until a restart.
inline void copy_live_keys(const RegistrarConfig& from, RegistrarConfig& to) {
  to.auth = from.auth;
  to.realm = from.realm;
  to.min_expires = from.min_expires;
  to.max_expires = from.max_expires;
  to.default_expires = from.default_expires;
  to.max_contacts = from.max_contacts;
}

class Registrar {
 public:
  /// `sip` answers the requests: the main engine's SipStack, or a REGISTER worker's receiver.
  Registrar(RegistrarConfig config, SipReplier& sip, Usrloc& usrloc, Subscribers& subscribers,
            mi::Statistics& stats);
  /// Registers the REGISTER handler on the SIP stack.
  void attach(SipStack& stack);
  /// Handles one REGISTER (consumed: answered, possibly once its bindings are committed).
  int handle(msg_s* msg, sip_s* sip) { return on_register(msg, sip); }
  /// The engine whose thread runs this registrar (its SIP stack's): a 200 waiting for a commit
  /// is sent there. Null: on whichever thread reports the commit (the main engine).
  void set_engine(Engine* engine) { engine_ = engine; }
  const RegistrarConfig& config() const { return config_; }
  /// `reload`: the live keys (auth, realm, min/max/default expires, max_contacts) from `c`;
  /// the nonce table and the failure limiter keep their sizes until a restart.
  void set_live_config(const RegistrarConfig& c) { copy_live_keys(c, config_); }
  /// Authenticates the caller of `method` (e.g. INVITE, received as `msg`) as the subscriber in
  /// its From header, with the same realm, nonces, subscriber table and failure limits as REGISTER.
  CallerAuth authenticate_caller(msg_s* msg, const sip_s* sip, const char* method, std::int64_t now);
  /// Declares E_REGISTRAR_AUTH_FAILED (at start-up, with the commands).
  static const mi::EventSpec& declare_events(mi::EventRegistry& events);
  /// Raises E_REGISTRAR_AUTH_FAILED on `bus` from now on.
  void set_events(mi::EventBus* bus, const mi::EventSpec* auth_failed) {
    bus_ = bus;
    auth_failed_event_ = auth_failed;
  }

 private:
  struct Request;
  int on_register(msg_s* msg, sip_s* sip);
  /// 0 when the request is authorized; otherwise the status already replied (401/403).
  int authorize(Request& r);
  /// The outcome of checking the credentials in `au` (Authorization or Proxy-Authorization
  /// headers) for `user`@`domain` in `realm`.
  enum class Verdict { no_credentials, ok, stale, forged_nonce, wrong_user, failed, uri_mismatch, replay };
  struct Check {
    const std::string& realm;
    const std::string& user;
    const std::string& domain;
    const char* method;
    const sip_s* sip;        ///< the request (Request-URI, Call-ID, CSeq)
    std::int64_t now;
  };
  Verdict verify(const msg_auth_s* au, const Check& c, std::string* why);
  /// A failed authentication: WARN log (source, user, reason), counters, rate limit.
  /// `msg`/`sip`: the request, for exec subscribers of E_REGISTRAR_AUTH_FAILED.
  void failed(const PeerAddress& from, const std::string& user, const char* method, const std::string& why,
              std::int64_t now, msg_s* msg, const sip_s* sip);
  std::string challenge_params(const std::string& realm, bool stale, std::int64_t now);
  int save(Request& r);
  /// The request for exec subscribers of the E_UL_* events it causes (null when none wants it).
  std::shared_ptr<const mi::SipCause> cause_of(const Request& r) const;
  /// The 200 listing the AOR's bindings, once what is staged is committed. `changed`: this
  /// request staged a change (its reply must wait); else, with too many replies waiting, 503.
  int reply_bindings(Request& r, bool changed);
  int reject(Request& r, int status, const char* phrase);

  RegistrarConfig config_;
  SipReplier& sip_;
  Usrloc& usrloc_;
  Subscribers& subscribers_;
  Nonces nonces_;
  NonceTable nonce_table_;
  AuthLimiter limiter_;
  mi::Stat& accepted_;
  mi::Stat& rejected_;
  mi::Stat& challenges_;
  mi::Stat& auth_failures_;
  mi::Stat& auth_replays_;
  mi::Stat& auth_banned_;
  mi::Stat& auth_bans_;
  mi::EventBus* bus_ = nullptr;
  const mi::EventSpec* auth_failed_event_ = nullptr;
  Engine* engine_ = nullptr;
};

}  // namespace sb::gateway
