// registrar.cpp: REGISTER processing (RFC 3261 §10.3) with digest authentication.
#include "gateway/sip/sofia.h"  // first: sofia's magic types

#include "gateway/registrar/registrar.h"

#include <sofia-sip/auth_digest.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/su_string.h>
#include <sofia-sip/tport.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "gateway/registrar/subscribers.h"
#include "gateway/sip/sip_stack.h"
#include "gateway/store/database.h"
#include "gateway/usrloc/usrloc.h"
#include "gateway/usrloc/usrloc_events.h"
#include "gateway/sip/sip_cause.h"
#include "mi/reply_schema.h"

namespace sb::gateway {

namespace {

/// A sofia home for one request's temporary strings.
struct Home {
  su_home_t home[1] = {SU_HOME_INIT(home)};
  ~Home() { su_home_deinit(home); }
  std::string url(const url_t* u) {
    char* s = url_as_string(home, u);
    return s ? std::string(s) : std::string();
  }
};

std::string rfc1123_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::optional<std::int64_t> parse_seconds(const char* s) {
  if (!s || !*s) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (errno || *end || v > 0xFFFFFFFFull || *s == '-') return std::nullopt;
  return static_cast<std::int64_t>(v);
}

/// "0.5" → 500; "1" → 1000; nullopt when not a q-value (0 … 1, at most 3 decimals).
std::optional<int> parse_q(const char* s) {
  if (!s) return -1;
  std::string q = s;
  if (q.empty() || q.size() > 5) return std::nullopt;
  if (q[0] != '0' && q[0] != '1') return std::nullopt;
  int whole = q[0] - '0';
  int frac = 0, digits = 0;
  if (q.size() > 1) {
    if (q[1] != '.') return std::nullopt;
    for (std::size_t i = 2; i < q.size(); ++i) {
      if (q[i] < '0' || q[i] > '9') return std::nullopt;
      frac = frac * 10 + (q[i] - '0');
      ++digits;
    }
  }
  while (digits < 3) frac *= 10, ++digits;
  int v = whole * 1000 + frac;
  if (v > 1000) return std::nullopt;
  return v;
}

std::string unquote(const char* s) {
  if (!s) return {};
  std::string v = s;
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  return v;
}

}  // namespace

struct Registrar::Request {
  msg_t* msg;  ///< consumed by the reply
  sip_t* sip;
  std::int64_t now;
  std::string aor;
  std::string user;
  std::string domain;
  Home home;
  std::unique_lock<std::recursive_mutex> lock;  ///< usrloc's, while the bindings are saved
};

Registrar::Registrar(RegistrarConfig config, SipReplier& sip, Usrloc& usrloc, Subscribers& subscribers,
                     mi::Statistics& stats)
    : config_(std::move(config)), sip_(sip), usrloc_(usrloc), subscribers_(subscribers),
      nonces_(config_.nonce_expires),
      nonce_table_(config_.nonce_table_size),
      limiter_(config_.limits),
      accepted_(stats.counter("registrar", "accepted_regs")),
      rejected_(stats.counter("registrar", "rejected_regs")),
      challenges_(stats.counter("registrar", "auth_challenges")),
      auth_failures_(stats.counter("registrar", "auth_failures")),
      auth_replays_(stats.counter("registrar", "auth_replays")),
      auth_banned_(stats.counter("registrar", "auth_banned")),
      auth_bans_(stats.counter("registrar", "auth_bans")) {
  stats.gauge("registrar", "max_expires").set(config_.max_expires);
  stats.gauge("registrar", "default_expire").set(config_.default_expires);
}

void Registrar::attach(SipStack& stack) {
  stack.on_method("REGISTER", [this](msg_t* msg, sip_t* sip) { return on_register(msg, sip); });
}

int Registrar::reject(Request& r, int status, const char* phrase) {
  rejected_.inc();
  return sip_.reply(r.msg, status, phrase);
}

int Registrar::on_register(msg_t* msg, sip_t* sip) {
  Request r{msg, sip, static_cast<std::int64_t>(std::time(nullptr)), {}, {}, {}, {}, {}};
  if (sip->sip_error) {
    std::string what = fmt::format("Bad header {}", sip->sip_error->er_name ? sip->sip_error->er_name : "");
    return reject(r, 400, what.c_str());
  }
  if (!sip->sip_to || !sip->sip_from || !sip->sip_call_id || !sip->sip_cseq)
    return reject(r, 400, "Missing To, From, Call-ID or CSeq");
  const url_t* to = sip->sip_to->a_url;
  if (!to->url_user || !*to->url_user || !to->url_host || !*to->url_host)
    return reject(r, 400, "Missing user or domain in To");
  auto aor = normalize_aor(fmt::format("{}@{}", to->url_user, to->url_host));
  if (!aor) return reject(r, 400, "Bad AOR in To");
  r.aor = *aor;
  r.user = to->url_user;
  r.domain = r.aor.substr(r.aor.rfind('@') + 1);
  try {
    if (config_.auth) {
      if (int status = authorize(r); status != 0) return status;
    }
    return save(r);
  } catch (const StoreError& e) {
    spdlog::error("registrar: {}: cannot store the bindings: {}", r.aor, e.what());
    return reject(r, 500, "Server Internal Error (database)");
  } catch (const std::exception& e) {  // before the reply (the reply is the last step): answer
    spdlog::error("registrar: {}: {}", r.aor, e.what());
    return reject(r, 500, "Server Internal Error");
  }
}

std::string Registrar::challenge_params(const std::string& realm, bool stale, std::int64_t now) {
  return fmt::format(R"(Digest realm="{}", nonce="{}", qop="auth", algorithm=MD5{})", realm,
                     nonces_.make(now, nonce_table_.issue()), stale ? ", stale=true" : "");
}

namespace {
/// The digest `uri` names the Request-URI: the same text, or the same SIP URI (url_cmp_all:
/// scheme, user, host, port, parameters and headers).
bool same_request_uri(const std::string& digest_uri, const url_t* ruri) {
  if (!ruri) return false;
  Home home;
  if (digest_uri == home.url(ruri)) return true;
  url_t* u = url_make(home.home, digest_uri.c_str());
  return u && u->url_type == ruri->url_type && url_cmp_all(u, ruri) == 0;
}
}  // namespace

Registrar::Verdict Registrar::verify(const msg_auth_t* au, const Check& c, std::string* why) {
  // The credentials for our realm, if the client sent any.
  Home home;
  auth_response_t ar[1] = {};
  ar->ar_size = sizeof ar[0];
  bool found = false;
  for (; au; au = au->au_next) {
    if (!au->au_scheme || !su_casematch(au->au_scheme, "Digest") || !au->au_params) continue;
    auth_response_t tmp[1] = {};
    tmp->ar_size = sizeof tmp[0];
    if (auth_digest_response_get(home.home, tmp, au->au_params) < 0) continue;
    if (tmp->ar_realm && unquote(tmp->ar_realm) == c.realm) {
      *ar = *tmp;
      found = true;
      break;
    }
  }
  if (!found) return Verdict::no_credentials;

  DigestCredentials cred{unquote(ar->ar_username), unquote(ar->ar_realm), unquote(ar->ar_nonce),
                         unquote(ar->ar_uri), unquote(ar->ar_response), unquote(ar->ar_algorithm),
                         unquote(ar->ar_cnonce), unquote(ar->ar_qop), unquote(ar->ar_nc)};
  // The authentication user must be the user named in To (REGISTER) or From (other requests),
  // as OpenSIPS's check_to()/check_from().
  bool user_at_domain = cred.username == c.user + "@" + c.domain;
  if (cred.username != c.user && !user_at_domain) {
    *why = fmt::format("authentication user '{}' is not '{}'", printable(cred.username), printable(c.user));
    return Verdict::wrong_user;
  }
  std::uint64_t seq = 0;
  auto nonce = nonces_.check(cred.nonce, c.now, &seq);
  if (nonce == Nonces::Check::forged) {
    *why = "a nonce we did not issue";
    return Verdict::forged_nonce;
  }
  // The credentials are for this request only: a digest computed for another Request-URI (e.g.
  // captured from a call to another number) is refused.
  const url_t* ruri = c.sip && c.sip->sip_request ? c.sip->sip_request->rq_url : nullptr;
  if (!same_request_uri(cred.uri, ruri)) {
    *why = fmt::format("digest uri '{}' is not the Request-URI '{}'", printable(cred.uri), printable(home.url(ruri)));
    return Verdict::uri_mismatch;
  }
  std::uint32_t nc = 0;
  if (!cred.qop.empty()) {
    auto parsed = parse_nc(cred.nc);
    if (!parsed) {
      *why = fmt::format("malformed nc '{}'", printable(cred.nc));
      return Verdict::failed;
    }
    nc = *parsed;
  }
  // Only a REGISTER may be an exact retransmission (the registrar is stateless); an INVITE's
  // retransmissions are absorbed by its server transaction.
  std::string key;
  if (std::string_view(c.method) == "REGISTER" && c.sip->sip_call_id && c.sip->sip_cseq)
    key = fmt::format("{} {}", c.sip->sip_call_id->i_id ? c.sip->sip_call_id->i_id : "", c.sip->sip_cseq->cs_seq);
  auto use = nonce_table_.use(seq, nc, key, false);
  if (use == NonceTable::Use::unknown) return Verdict::stale;  // evicted: a fresh nonce, silently
  if (use == NonceTable::Use::replay) {
    *why = nc == 0 ? std::string("a nonce without qop used again") : fmt::format("nc {:08x} replayed", nc);
    return Verdict::replay;
  }
  auto sub = subscribers_.find(c.user, c.realm);
  if (!sub || !digest_response_ok(cred, user_at_domain ? sub->ha1b : sub->ha1, c.method)) {
    *why = sub ? "wrong password" : "no such subscriber";
    return Verdict::failed;
  }
  if (nonce == Nonces::Check::stale) return Verdict::stale;
  nonce_table_.use(seq, nc, key, true);
  return Verdict::ok;
}

void Registrar::failed(const PeerAddress& from, const std::string& user, const char* method, const std::string& why,
                       std::int64_t now, msg_t* msg, const sip_t* sip) {
  auth_failures_.inc();
  // One line per failure with the source address and port, for fail2ban and the like.
  spdlog::warn("registrar: digest authentication failed for user '{}' from {} ({}): {}", printable(user),
               from.host_port(), method, why);
  bool banned = limiter_.failed(from.ip, now);
  if (banned) {
    auth_bans_.inc();
    spdlog::warn("registrar: {} banned for {} s after {} authentication failures within {} s", from.ip,
                 config_.limits.ban_s, config_.limits.limit, config_.limits.window_s);
  }
  if (bus_ && auth_failed_event_ && bus_->wanted(*auth_failed_event_))
    bus_->raise(*auth_failed_event_,
                mi::Value{{"source", from.ip}, {"port", from.port}, {"user", user}, {"method", method},
                          {"reason", why}, {"banned", banned}},
                bus_->wants_cause(*auth_failed_event_) ? sip_cause(msg, sip) : nullptr);
}

const mi::EventSpec& Registrar::declare_events(mi::EventRegistry& events) {
  using namespace mi::schema;
  return events.add(
      {.name = "E_REGISTRAR_AUTH_FAILED", .module = "registrar",
       .summary = "A digest authentication failed (REGISTER or a call): what a ban list or fail2ban needs",
       .params = object({{"source", str("the client's IP address")},
                         {"port", uint("the client's source port")},
                         {"user", str("the user name it claimed")},
                         {"method", str("REGISTER, INVITE …")},
                         {"reason", str("why: wrong password, unknown user, nonce replay …")},
                         {"banned", boolean("this failure got the address banned (registrar.auth_fail_limit)")}}),
       .from_sip_request = true});
}

int Registrar::authorize(Request& r) {
  std::string realm = config_.realm.empty() ? r.domain : config_.realm;
  PeerAddress from = peer_address(r.msg);
  if (limiter_.banned(from.ip, r.now)) {
    auth_banned_.inc();
    spdlog::debug("registrar: {}: REGISTER from banned {} refused", r.aor, from.host_port());
    return reject(r, 403, "Forbidden (too many authentication failures)");
  }
  auto challenge = [&](bool stale) {
    challenges_.inc();
    return sip_.reply(r.msg, SIP_401_UNAUTHORIZED, "WWW-Authenticate: " + challenge_params(realm, stale, r.now));
  };
  std::string why;
  switch (verify(r.sip->sip_authorization, Check{realm, r.user, r.domain, "REGISTER", r.sip, r.now}, &why)) {
    case Verdict::ok: return 0;
    case Verdict::no_credentials:
    case Verdict::forged_nonce: return challenge(false);
    case Verdict::stale: return challenge(true);
    case Verdict::wrong_user:
      failed(from, r.user, "REGISTER", why, r.now, r.msg, r.sip);
      return reject(r, 403, "Forbidden auth ID");
    case Verdict::uri_mismatch:
      failed(from, r.user, "REGISTER", why, r.now, r.msg, r.sip);
      return reject(r, 400, "Bad Request (digest uri is not the Request-URI)");
    case Verdict::replay:
      auth_replays_.inc();
      failed(from, r.user, "REGISTER", why, r.now, r.msg, r.sip);
      rejected_.inc();
      return challenge(false);
    case Verdict::failed:
      failed(from, r.user, "REGISTER", why, r.now, r.msg, r.sip);
      rejected_.inc();
      return challenge(false);
  }
  return challenge(false);
}

CallerAuth Registrar::authenticate_caller(msg_t* msg, const sip_t* sip, const char* method, std::int64_t now) {
  CallerAuth out;
  const url_t* from = sip->sip_from ? sip->sip_from->a_url : nullptr;
  if (!from || !from->url_user || !*from->url_user || !from->url_host || !*from->url_host) return out;
  auto aor = normalize_aor(fmt::format("{}@{}", from->url_user, from->url_host));
  if (!aor) return out;
  out.aor = *aor;
  std::string user = from->url_user;
  std::string domain = out.aor.substr(out.aor.rfind('@') + 1);
  std::string realm = config_.realm.empty() ? domain : config_.realm;
  auto challenge = [&](bool stale) {
    out.kind = CallerAuth::Kind::challenge;
    out.header = "Proxy-Authenticate: " + challenge_params(realm, stale, now);
    return out;
  };
  const msg_auth_t* credentials = sip->sip_proxy_authorization;
  PeerAddress source = peer_address(msg);
  const bool subscriber = static_cast<bool>(subscribers_.find(user, realm));
  if ((credentials || subscriber) && limiter_.banned(source.ip, now)) {
    auth_banned_.inc();
    out.kind = CallerAuth::Kind::banned;
    out.why = fmt::format("{} is banned after too many authentication failures", source.host_port());
    return out;
  }
  switch (verify(credentials, Check{realm, user, domain, method, sip, now}, &out.why)) {
    case Verdict::ok:
      out.kind = CallerAuth::Kind::authenticated;
      return out;
    case Verdict::stale: return challenge(true);
    case Verdict::forged_nonce: return challenge(false);
    case Verdict::wrong_user:
      failed(source, user, method, out.why, now, msg, sip);
      out.kind = CallerAuth::Kind::forbidden;
      return out;
    case Verdict::uri_mismatch:
      failed(source, user, method, out.why, now, msg, sip);
      out.kind = CallerAuth::Kind::bad_request;
      return out;
    case Verdict::replay:
      auth_replays_.inc();
      failed(source, user, method, out.why, now, msg, sip);
      out.failed = true;
      return challenge(false);
    case Verdict::failed:
      failed(source, user, method, out.why, now, msg, sip);
      out.failed = true;
      return challenge(false);
    case Verdict::no_credentials:
      // Only callers claiming to be one of our subscribers are asked for credentials; others
      // (trunks, unknown callers) are judged by the caller.
      if (subscriber) return challenge(false);
      out.kind = CallerAuth::Kind::not_a_subscriber;
      return out;
  }
  return out;
}

std::shared_ptr<const mi::SipCause> Registrar::cause_of(const Request& r) const {
  const UsrlocEvents* ev = usrloc_.events();
  return ev && ev->wants_cause() ? sip_cause(r.msg, r.sip) : nullptr;
}

int Registrar::save(Request& r) {
  // Read, change and stage the AOR's bindings as one step: another engine (a REGISTER worker)
  // may be saving the same AOR (reply_bindings lets go before sending).
  r.lock = usrloc_.lock();
  const sip_t* sip = r.sip;
  const std::string callid = sip->sip_call_id->i_id ? sip->sip_call_id->i_id : "";
  const std::uint32_t cseq = sip->sip_cseq->cs_seq;
  std::vector<Contact> next = usrloc_.find(r.aor).value_or(std::vector<Contact>{});

  if (!sip->sip_contact) return reply_bindings(r, false);  // a query

  // Same Call-ID: a lower CSeq is out of order (400); the same CSeq is a retransmission of a
  // REGISTER already saved (requests are handled statelessly), answered with the bindings.
  auto out_of_order = [&](const Contact& c) { return c.callid == callid && cseq < c.cseq; };
  for (const Contact& c : next)
    if (c.callid == callid && cseq == c.cseq) return reply_bindings(r, false);

  if (sip->sip_contact->m_url->url_type == url_any) {
    if (sip->sip_contact->m_next || !sip->sip_expires || sip->sip_expires->ex_delta != 0)
      return reject(r, 400, "Invalid Contact * usage (needs Expires: 0 and no other contact)");
    for (const Contact& c : next)
      if (out_of_order(c)) return reject(r, 400, "Invalid CSeq number");
    usrloc_.stage(r.aor, {}, "unregistered", cause_of(r));
    accepted_.inc();
    spdlog::debug("registrar: {}: every binding removed", r.aor);
    return reply_bindings(r, true);
  }

  // Where the request came from and what it arrived on.
  std::string received, socket;
  {
    msg_t* msg = r.msg;
    if (su_addrinfo_t* ai = msg_addrinfo(msg); ai && ai->ai_addr) {
      char host[INET6_ADDRSTRLEN] = "";
      int port = 0;
      if (ai->ai_family == AF_INET) {
        auto* in = reinterpret_cast<sockaddr_in*>(ai->ai_addr);
        ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
        received = fmt::format("sip:{}:{}", host, port);
      } else if (ai->ai_family == AF_INET6) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(ai->ai_addr);
        ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        port = ntohs(in6->sin6_port);
        received = fmt::format("sip:[{}]:{}", host, port);
      }
      if (!received.empty() && ai->ai_protocol == IPPROTO_TCP) received += ";transport=tcp";
    }
    socket = sip_.arrival_socket(msg);
  }
  std::string ua = sip->sip_user_agent && sip->sip_user_agent->g_string ? sip->sip_user_agent->g_string : "";

  // Validate every contact before changing anything (RFC 3261 §10.3 steps 6-7).
  struct Wanted {
    std::string uri;
    std::int64_t expires;
    int q;
    std::string instance;
  };
  std::vector<Wanted> wanted;
  for (const sip_contact_t* m = sip->sip_contact; m; m = m->m_next) {
    if (m->m_url->url_type == url_any) return reject(r, 400, "Invalid Contact * usage (mixed with contacts)");
    auto type = m->m_url->url_type;
    if ((type != url_sip && type != url_sips && type != url_tel) || !m->m_url->url_host)
      return reject(r, 400, "Bad Contact URI");
    std::optional<std::int64_t> exp;
    if (m->m_expires) {
      exp = parse_seconds(m->m_expires);
      if (!exp) return reject(r, 400, "Invalid expires value in Contact");
    } else if (sip->sip_expires) {
      exp = static_cast<std::int64_t>(sip->sip_expires->ex_delta);
    } else {
      exp = config_.default_expires;
    }
    if (*exp != 0 && *exp < config_.min_expires) {
      rejected_.inc();
      return sip_.reply(r.msg, SIP_423_INTERVAL_TOO_BRIEF, fmt::format("Min-Expires: {}", config_.min_expires));
    }
    *exp = std::min(*exp, config_.max_expires);
    auto q = parse_q(m->m_q);
    if (!q) return reject(r, 400, "Invalid q value in Contact");
    const char* inst = msg_params_find(m->m_params, "+sip.instance=");
    wanted.push_back({r.home.url(m->m_url), *exp, *q, unquote(inst)});
  }

  for (const Wanted& w : wanted) {
    auto it = std::find_if(next.begin(), next.end(), [&](const Contact& c) { return c.uri == w.uri; });
    if (it != next.end() && out_of_order(*it)) return reject(r, 400, "Invalid CSeq number");
    if (w.expires == 0) {
      if (it != next.end()) next.erase(it);
      continue;
    }
    Contact c = it != next.end() ? *it : Contact{};
    c.uri = w.uri;
    c.expires = r.now + w.expires;
    c.q = w.q;
    c.callid = callid;
    c.cseq = cseq;
    c.user_agent = ua;
    c.received = received;
    c.socket = socket;
    c.instance = w.instance;
    c.last_modified = r.now;
    if (it != next.end()) *it = std::move(c);
    else next.push_back(std::move(c));
  }
  if (config_.max_contacts != 0 && next.size() > config_.max_contacts)
    return reject(r, 403, "Too many registered contacts");
  usrloc_.stage(r.aor, std::move(next), "unregistered", cause_of(r));  // the 200 waits for the commit
  accepted_.inc();
  return reply_bindings(r, true);
}

int Registrar::reply_bindings(Request& r, bool changed) {
  // A query or a retransmission waits for the changes staged before it too, but holds no place
  // among usrloc.max_pending_writes: past that many waiting replies it is refused at once
  // instead of queueing its request without bound behind a slow disk.
  if (!changed && !usrloc_.all_durable() && !usrloc_.reply_can_wait()) {
    if (r.lock.owns_lock()) r.lock.unlock();
    rejected_.inc();
    return sip_.reply(r.msg, SIP_503_SERVICE_UNAVAILABLE, "Retry-After: 1");
  }
  std::string contacts;
  if (auto list = usrloc_.find(r.aor)) {
    for (const Contact& c : *list) {
      if (!contacts.empty()) contacts += ", ";
      contacts += fmt::format("<{}>;expires={}", c.uri, c.expires == 0 ? 0 : std::max<std::int64_t>(0, c.expires - r.now));
      if (c.q >= 0) contacts += fmt::format(";q={:g}", c.q / 1000.0);
    }
  }
  std::string extra = "Date: " + rfc1123_now();
  if (!contacts.empty()) extra += "\r\nContact: " + contacts;
  // Sent once every binding change staged so far is committed (group commit): also a query or a
  // retransmission, which must not report a binding that is not yet durable.
  auto reply = [&sip = sip_, &rejected = rejected_, msg = r.msg, extra = std::move(extra)](bool ok) {
    if (ok) {
      sip.reply(msg, 200, "OK", extra);
    } else {
      rejected.inc();
      sip.reply(msg, 500, "Server Internal Error (database)");
    }
  };
  if (usrloc_.all_durable()) {
    if (r.lock.owns_lock()) r.lock.unlock();  // not sending while other engines wait for usrloc
    reply(true);
  } else {
    usrloc_.when_durable(std::move(reply), engine_);
  }
  return 200;
}

}  // namespace sb::gateway
