// registration.cpp: the REGISTER client transaction, its replies (2xx, challenges, 423,
// failures with back-off and Retry-After) and its refresh/retry timer.
#include "gateway/sip/sofia.h"  // first: sofia's magic types

#include "gateway/accounts/registration.h"

#include <sofia-sip/tport_tag.h>

#include <strings.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <random>
#include <tuple>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "mi/reply_schema.h"

#include "gateway/accounts/accounts.h"
#include "gateway/engine/engine.h"
#include "gateway/sip/sip_stack.h"

namespace sb::gateway {

namespace {

/// Challenges answered in one attempt at most (a server that challenges every answer with a
/// fresh nonce would otherwise be asked forever).
constexpr int kMaxChallengesPerAttempt = 3;
/// A Retry-After is honoured up to this many seconds.
constexpr int kMaxRetryAfterS = 86400;

std::int64_t now_s() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::string random_call_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{:016x}{:08x}@switchboard.reg", rng(), static_cast<std::uint32_t>(rng()));
}

/// "[::1]:5060" → {"[::1]", "5060"}; "127.0.0.1:5060" → {"127.0.0.1", "5060"}.
std::pair<std::string, std::string> split_host_port(const std::string& hostport) {
  auto colon = hostport.rfind(':');
  auto bracket = hostport.rfind(']');
  if (colon == std::string::npos || (bracket != std::string::npos && colon < bracket)) return {hostport, ""};
  return {hostport.substr(0, colon), hostport.substr(colon + 1)};
}

}  // namespace

const char* to_string(RegState s) {
  switch (s) {
    case RegState::disabled: return "disabled";
    case RegState::registering: return "registering";
    case RegState::registered: return "registered";
    case RegState::failed: return "failed";
    case RegState::unregistering: return "unregistering";
  }
  return "?";
}

Registration::Registration(RegistrationContext& ctx, std::shared_ptr<const Account> account)
    : ctx_(ctx), account_(std::move(account)) {
  timer_ = su_timer_create(su_root_task(ctx_.root), 0);
  if (!timer_) throw std::runtime_error("cannot create a registration timer");
}

Registration::~Registration() {
  if (timer_) su_timer_destroy(timer_);
  if (orq_) nta_outgoing_destroy(orq_);
  if (leg_) nta_leg_destroy(leg_);
}

void Registration::set_state(RegState s) {
  if (s == state_) return;
  spdlog::info("accounts: {}: {} -> {}{}", account_->name, to_string(state_), to_string(s),
               s == RegState::failed && !last_error_.empty() ? " (" + last_error_ + ")" : "");
  RegState previous = state_;
  state_ = s;
  last_change_ = now_s();
  ctx_.state_changes.inc();
  if (ctx_.on_state_change) ctx_.on_state_change();
  if (ctx_.events && ctx_.reg_state_event)
    ctx_.events->raise_if(*ctx_.reg_state_event, [&] {
      return mi::Value{{"account", account_->name},
                       {"state", to_string(s)},
                       {"previous", to_string(previous)},
                       {"registrar", request_uri_},
                       {"error", s == RegState::failed ? mi::Value(last_error_) : mi::Value(nullptr)}};
    });
}

const mi::EventSpec& declare_registration_events(mi::EventRegistry& events) {
  using namespace mi::schema;
  const auto states = [](const char* help) {
    return enum_of({"disabled", "registering", "registered", "failed", "unregistering"}, help);
  };
  return events.add({.name = "E_ACCOUNT_REG_STATE", .module = "accounts",
                     .summary = "A SIP account's (trunk's) registration changed state",
                     .params = object({{"account", str("the account's name")},
                                       {"state", states("the new state")},
                                       {"previous", states("the state before")},
                                       {"registrar", str("the request URI REGISTERs go to (empty before the first)")},
                                       {"error", nullable(str("why it failed (state failed)"))}})});
}

void Registration::arm(std::int64_t delay_ms) {
  delay_ms = std::max<std::int64_t>(delay_ms, 1);
  next_action_at_ = now_s() + (delay_ms + 999) / 1000;
  su_timer_set_interval(timer_, &Registration::on_timer, this, static_cast<su_duration_t>(delay_ms));
}

void Registration::disarm() {
  su_timer_reset(timer_);
  next_action_at_ = 0;
}

void Registration::release_transaction() {
  if (orq_) nta_outgoing_destroy(orq_);  // not inside its callback: handle() clears orq_ first
  orq_ = nullptr;
}

void Registration::begin_attempt() {
  answered_nonces_.clear();
  challenges_answered_ = 0;
  interval_raised_ = false;
}

bool Registration::prepare(std::string* why) {
  const Account& a = *account_;
  if (!ctx_.sip.agent()) {
    *why = "SIP engine not running";
    return false;
  }
  std::string listener;
  for (const auto& l : ctx_.sip.listening())
    if (l.rfind(a.transport + ":", 0) == 0) {
      listener = l;
      break;
    }
  if (listener.empty()) {
    *why = fmt::format("no {} listener in sip.listen", a.transport);
    return false;
  }
  ident_ = ctx_.sip.ident_of(listener);
  std::string hostport = listener.substr(a.transport.size() + 1);
  std::tie(contact_host_, contact_port_) = split_host_port(hostport);
  contact_user_ = a.username;
  contact_ = fmt::format("<sip:{}@{}{}>", a.username, hostport, a.transport == "tcp" ? ";transport=tcp" : "");
  std::string domain = a.effective_domain();
  request_uri_ = "sip:" + domain;
  next_hop_ = fmt::format("sip:{};transport={}", a.address, a.transport);
  std::string aor = fmt::format("sip:{}@{}", a.username, domain);
  std::string from = a.displayname.empty() ? "<" + aor + ">" : fmt::format("\"{}\" <{}>", a.displayname, aor);
  if (leg_ && from != from_) {  // a new identity: a new Call-ID too
    nta_leg_destroy(leg_);
    leg_ = nullptr;
  }
  if (!leg_) {
    std::string to = "<" + aor + ">";
    std::string call_id = random_call_id();
    leg_ = nta_leg_tcreate(ctx_.sip.agent(), nullptr, nullptr, SIPTAG_FROM_STR(from.c_str()),
                           SIPTAG_TO_STR(to.c_str()), SIPTAG_CALL_ID_STR(call_id.c_str()), TAG_END());
    if (!leg_ || !nta_leg_tag(leg_, nullptr)) {
      *why = "cannot create the registration's dialog state (nta leg)";
      return false;
    }
    from_ = from;
  }
  return true;
}

void Registration::start() {
  disarm();
  release_transaction();
  begin_attempt();
  auth_.clear();
  failures_ = 0;
  unregister_done_ = nullptr;
  if (!account_->do_register) {
    last_error_.clear();
    granted_expires_ = 0;
    registered_until_ = 0;
    set_state(RegState::disabled);
    return;
  }
  std::string why;
  if (!prepare(&why)) {
    last_error_ = why;  // a configuration problem: retrying would not help
    set_state(RegState::failed);
    return;
  }
  set_state(RegState::registering);
  send(account_->expires);
}

void Registration::replace(std::shared_ptr<const Account> account) {
  account_ = std::move(account);
  start();
}

void Registration::unregister(std::function<void()> done) {
  disarm();
  unregister_done_ = std::move(done);
  begin_attempt();
  bool may_exist = state_ == RegState::registered || state_ == RegState::unregistering || orq_ != nullptr ||
                   registered_until_ > now_s();
  if (may_exist && leg_) {
    set_state(RegState::unregistering);
    send(0);
  } else {
    finish_unregister();
  }
}

void Registration::send(int expires) {
  release_transaction();  // a REGISTER still in flight is superseded (CSeq grows)
  sent_expires_ = expires;
  std::vector<AuthHeader> auth;
  std::string why;
  if (auth_.has_credentials() && !auth_.headers("REGISTER", request_uri_, &auth, &why))
    spdlog::warn("accounts: {}: credentials not sent: {}", account_->name, why);
  std::string extra;
  for (const auto& [name, value] : auth) extra += (extra.empty() ? "" : "\r\n") + name + ": " + value;
  std::string expires_text = std::to_string(expires);
  in_create_ = true;
  answered_in_create_ = false;
  ctx_.sent.inc();
  nta_outgoing_t* orq = nta_outgoing_tcreate(
      leg_, &Registration::on_response, this, URL_STRING_MAKE(next_hop_.c_str()), SIP_METHOD_REGISTER,
      URL_STRING_MAKE(request_uri_.c_str()), SIPTAG_CONTACT_STR(contact_.c_str()),
      SIPTAG_EXPIRES_STR(expires_text.c_str()), SIPTAG_USER_AGENT_STR(ctx_.sip.server_name().c_str()),
      TAG_IF(!extra.empty(), SIPTAG_HEADER_STR(extra.c_str())),
      TAG_IF(!ident_.empty(), TPTAG_IDENT(ident_.c_str())), TAG_END());
  in_create_ = false;
  if (!orq) return fail(fmt::format("REGISTER could not be sent to {}", next_hop_), 0);
  if (!answered_in_create_) orq_ = orq;  // otherwise handle() already ran and released it
}

int Registration::on_response(void* magic, nta_outgoing_t* orq, const sip_t* sip) {
  static_cast<Registration*>(magic)->handle(orq, sip);
  return 0;
}

void Registration::on_timer(void* /*root magic*/, su_timer_t* /*timer*/, void* arg) {
  auto* r = static_cast<Registration*>(arg);
  r->next_action_at_ = 0;
  r->begin_attempt();
  if (r->state_ == RegState::failed) r->set_state(RegState::registering);
  r->send(r->account_->expires);  // a refresh keeps the state `registered`
}

void Registration::handle(nta_outgoing_t* orq, const sip_t* sip) {
  int status = sip && sip->sip_status ? sip->sip_status->st_status : nta_outgoing_status(orq);
  if (status < 200) return;
  bool internal = !sip || nta_sip_is_internal(sip);
  if (!internal) ctx_.sip.count_reply();
  const char* phrase_c = sip && sip->sip_status && sip->sip_status->st_phrase ? sip->sip_status->st_phrase
                                                                            : sip_status_phrase(status);
  std::string phrase = phrase_c ? phrase_c : "";
  // The transaction is done: destroyed on a later turn, never inside its own callback.
  if (orq_ == orq) orq_ = nullptr;
  else if (in_create_) answered_in_create_ = true;
  ctx_.engine.defer([orq] { nta_outgoing_destroy(orq); });

  if (status < 300) return handle_success(sip);
  if ((status == 401 || status == 407) && !internal) return handle_challenge(status, phrase, sip);
  if (status == 423 && !internal && sip->sip_min_expires && !interval_raised_ && sent_expires_ > 0) {
    auto min = static_cast<long long>(sip->sip_min_expires->me_delta);
    if (min > sent_expires_ && min <= kMaxAccountExpires) {
      interval_raised_ = true;
      spdlog::info("accounts: {}: 423 Interval Too Brief, registering again with Expires {}", account_->name, min);
      return send(static_cast<int>(min));
    }
  }
  std::string error = fmt::format("{} {}", status, phrase);
  if (internal && status == 408) error += fmt::format(" (no response from {})", next_hop_);
  else if (internal) error += fmt::format(" (local: {} could not be reached)", next_hop_);
  int retry_after = sip && sip->sip_retry_after ? static_cast<int>(std::min<unsigned long>(
                                                      sip->sip_retry_after->af_delta, kMaxRetryAfterS))
                                                : 0;
  fail(error, retry_after);
}

void Registration::handle_success(const sip_t* sip) {
  if (sent_expires_ == 0) return finish_unregister();
  long long granted = -1;
  for (const sip_contact_t* m = sip ? sip->sip_contact : nullptr; m; m = m->m_next) {
    const url_t* u = m->m_url;
    if (!u->url_user || contact_user_ != u->url_user || !u->url_host) continue;
    std::string host = u->url_host;
    if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
    if (strcasecmp(host.c_str(), contact_host_.c_str()) != 0) continue;
    if ((u->url_port ? std::string(u->url_port) : std::string()) != contact_port_) continue;
    granted = m->m_expires ? std::atoll(m->m_expires) : -1;
    break;
  }
  if (granted < 0 && sip && sip->sip_expires) granted = static_cast<long long>(sip->sip_expires->ex_delta);
  if (granted < 0) granted = sent_expires_;
  if (granted == 0) return fail("200 OK without our binding (it expires at once)", 0);
  granted_expires_ = static_cast<int>(std::min<long long>(granted, 0x7fffffff));
  registered_until_ = now_s() + granted_expires_;
  failures_ = 0;
  last_error_.clear();
  set_state(RegState::registered);
  arm(static_cast<std::int64_t>(granted_expires_) * 900);  // refresh at 90 % of the granted expiry
}

void Registration::handle_challenge(int status, const std::string& phrase, const sip_t* sip) {
  std::vector<Challenge> challenges = challenges_of(sip);
  bool repeated = challenges_answered_ >= kMaxChallengesPerAttempt;
  for (const Challenge& c : challenges)
    if (!c.stale && answered_nonces_.count(c.nonce)) repeated = true;
  if (repeated) {
    auth_.clear();  // do not offer the refused credentials again
    return fail(fmt::format("{} {} (wrong credentials?)", status, phrase), 0);
  }
  std::string why;
  if (!auth_.challenge(sip, account_->digest_user(), account_->secret, &why))
    return fail(fmt::format("{} {} ({})", status, phrase, why), 0);
  for (const Challenge& c : challenges) answered_nonces_.insert(c.nonce);
  ++challenges_answered_;
  ctx_.challenges.inc();
  send(sent_expires_);
}

void Registration::fail(const std::string& error, int retry_after_s) {
  last_error_ = error;
  if (sent_expires_ == 0 && state_ == RegState::unregistering) {
    spdlog::warn("accounts: {}: unregistration failed: {}", account_->name, error);
    return finish_unregister();
  }
  ctx_.failures.inc();
  ++failures_;
  set_state(RegState::failed);
  std::int64_t delay_s = retry_after_s;
  if (delay_s <= 0) {
    int doublings = std::min(failures_ - 1, 20);
    delay_s = std::min<std::int64_t>(static_cast<std::int64_t>(ctx_.retry_min_s) << doublings, ctx_.retry_max_s);
  }
  spdlog::warn("accounts: {}: registration failed: {}; next attempt in {} s", account_->name, error, delay_s);
  arm(delay_s * 1000);
}

void Registration::finish_unregister() {
  disarm();
  granted_expires_ = 0;
  registered_until_ = 0;
  set_state(RegState::disabled);
  if (!unregister_done_) return;
  std::function<void()> done = std::move(unregister_done_);
  unregister_done_ = nullptr;
  std::weak_ptr<int> alive = alive_;
  ctx_.engine.defer([alive, done] {
    if (alive.lock()) done();
  });
}

mi::Value Registration::status(std::int64_t now) const {
  mi::Value v = mi::Value::object();
  v["name"] = account_->name;
  v["state"] = to_string(state_);
  v["registrar"] = request_uri_.empty() ? "sip:" + account_->effective_domain() : request_uri_;
  v["next_hop"] = next_hop_.empty() ? fmt::format("sip:{};transport={}", account_->address, account_->transport)
                                    : next_hop_;
  v["contact"] = contact_;
  bool bound = state_ == RegState::registered || registered_until_ > now;
  v["expires"] = bound ? granted_expires_ : 0;
  v["expires_in"] = bound ? std::max<std::int64_t>(registered_until_ - now, 0) : 0;
  v["last_error"] = last_error_;
  v["last_change"] = last_change_;
  v["failures"] = failures_;
  v["next_retry_in"] = state_ == RegState::failed && next_action_at_ ? std::max<std::int64_t>(next_action_at_ - now, 0)
                                                                     : 0;
  v["refresh_in"] = state_ == RegState::registered && next_action_at_
                        ? std::max<std::int64_t>(next_action_at_ - now, 0)
                        : 0;
  return v;
}

}  // namespace sb::gateway
