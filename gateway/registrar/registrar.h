// registrar.h: the SIP registrar (RFC 3261 §10.3) — REGISTER → digest authentication against
// the subscriber table (optional) → contact processing (expires, 423, `*`, Call-ID/CSeq
// ordering, q) → usrloc (committed before the 200) → 200 OK listing every current binding.
// Stateless (see sip_stack.h): a retransmitted REGISTER (same Call-ID and CSeq) is answered with
// the current bindings and changes nothing.
//
// Threading: engine thread only (it is a SipStack handler).
#pragma once

#include <cstdint>
#include <string>

#include "gateway/registrar/caller_auth.h"
#include "gateway/registrar/digest.h"
#include "mi/statistics.h"

struct msg_s;
struct sip_s;
struct msg_auth_s;

namespace sb::gateway {

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
};

class Registrar {
 public:
  Registrar(RegistrarConfig config, SipStack& sip, Usrloc& usrloc, Subscribers& subscribers,
            mi::Statistics& stats);
  /// Registers the REGISTER handler on the SIP stack.
  void attach();
  const RegistrarConfig& config() const { return config_; }
  /// Authenticates the caller of `method` (e.g. INVITE) as the subscriber in its From header,
  /// with the same realm, nonces and subscriber table as REGISTER.
  CallerAuth authenticate_caller(const sip_s* sip, const char* method, std::int64_t now);

 private:
  struct Request;
  int on_register(msg_s* msg, sip_s* sip);
  /// 0 when the request is authorized; otherwise the status already replied (401/403).
  int authorize(Request& r);
  /// The outcome of checking the credentials in `au` (Authorization or Proxy-Authorization
  /// headers) for `user`@`domain` in `realm`.
  enum class Verdict { no_credentials, ok, stale, forged_nonce, wrong_user, failed };
  Verdict verify(const msg_auth_s* au, const std::string& realm, const std::string& user,
                 const std::string& domain, const char* method, std::int64_t now, std::string* why);
  std::string challenge_params(const std::string& realm, bool stale, std::int64_t now);
  int save(Request& r);
  int reply_bindings(Request& r, const char* phrase = nullptr);
  int reject(Request& r, int status, const char* phrase);

  RegistrarConfig config_;
  SipStack& sip_;
  Usrloc& usrloc_;
  Subscribers& subscribers_;
  Nonces nonces_;
  mi::Stat& accepted_;
  mi::Stat& rejected_;
  mi::Stat& challenges_;
};

}  // namespace sb::gateway
