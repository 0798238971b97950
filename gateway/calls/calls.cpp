// calls.cpp: the B2BUA — classify, route, bridge, fail over, end, account (see calls.h).
#include "gateway/sip/sofia.h"  // first: sofia's magic types

#include "gateway/calls/calls.h"

#include "mi/strings.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "gateway/calls/call.h"
#include "gateway/calls/call_events.h"
#include "gateway/sip/sip_cause.h"
#include "gateway/calls/sip_legs.h"
#include "gateway/ports/port_driver.h"
#include "gateway/ports/ports.h"
#include "gateway/ports/virtual_line.h"
#include "gateway/registrar/digest.h"
#include "gateway/sip/peer_address.h"
#include "gateway/sip/sip_stack.h"
#include "gateway/store/database.h"
#include "gateway/usrloc/usrloc.h"

namespace sb::gateway {

using mi::Error;
using mi::Result;
using mi::Value;

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

using mi::lower;

/// "sip:1.2.3.4:5060;transport=udp" or "sip:host:port" → "host:port" (port 5060 when absent).
std::string hostport_of(const std::string& uri) {
  std::string s = uri;
  if (s.rfind("sip:", 0) == 0) s = s.substr(4);
  else if (s.rfind("sips:", 0) == 0) s = s.substr(5);
  if (auto at = s.find('@'); at != std::string::npos) s = s.substr(at + 1);
  if (auto semi = s.find(';'); semi != std::string::npos) s = s.substr(0, semi);
  if (auto q = s.find('?'); q != std::string::npos) s = s.substr(0, q);
  bool has_port = s.empty() || s[0] != '[' ? s.find(':') != std::string::npos : s.find("]:") != std::string::npos;
  return has_port ? s : s + ":5060";
}

bool contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

/// The binding to call for an AOR: highest q, then the most recently refreshed.
const Contact* best_contact(const std::vector<Contact>& contacts) {
  const Contact* best = nullptr;
  for (const auto& c : contacts) {
    if (!best || c.q > best->q || (c.q == best->q && c.last_modified > best->last_modified)) best = &c;
  }
  return best;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

Calls::Calls(CallsConfig config, SipStack& sip, Engine& engine, su_root_t* root, Usrloc& usrloc, Ports& ports,
             Database& db, mi::Statistics& stats)
    : config_(std::move(config)),
      sip_(sip),
      engine_(engine),
      root_(root),
      usrloc_(usrloc),
      ports_(ports),
      db_(db),
      causes_(config_.q850_to_sip, config_.sip_to_q850),
      total_stat_(stats.counter("calls", "total_calls")),
      answered_stat_(stats.counter("calls", "answered_calls")),
      failed_stat_(stats.counter("calls", "failed_calls")),
      active_stat_(stats.gauge("calls", "active_calls")),
      connected_stat_(stats.gauge("calls", "connected_calls")),
      cdrs_stat_(stats.counter("calls", "cdrs_written")),
      auth_challenges_stat_(stats.counter("calls", "auth_challenges")),
      auth_failures_stat_(stats.counter("calls", "auth_failures")) {
  counters_.since = static_cast<std::int64_t>(std::time(nullptr));
  auto st = db_.prepare("SELECT COALESCE(MAX(call_id), 0) FROM cdr");
  if (st.step()) next_id_ = static_cast<std::uint64_t>(st.integer(0)) + 1;
  close_abandoned_cdrs();
}

Calls::~Calls() { calls_.clear(); }

void Calls::attach() {
  sip_.on_method("INVITE", [this](msg_t* msg, sip_t* sip) { return on_invite(msg, sip); });
  // In-dialog requests reach their dialog's leg first; one that arrives here has no dialog.
  sip_.on_method("BYE", [this](msg_t* msg, sip_t*) {
    return sip_.reply(msg, 481, "Call/Transaction Does Not Exist");
  });
}

void Calls::end_all() {
  std::vector<std::uint64_t> ids;
  for (auto& [id, c] : calls_) ids.push_back(id);
  for (auto id : ids) {
    auto it = calls_.find(id);
    if (it == calls_.end()) continue;
    Call& call = *it->second;
    if (call.b) call.b->hangup(41);
    if (call.a) {
      if (call.state == "answered") call.a->hangup(41);
      else call.a->send_reject(503, "Service Unavailable", 41);
    }
    end_call(call, call.state == "answered" ? 200 : 503, 41, "gateway shutting down");
  }
}

std::optional<CallOrigin> Calls::classify(const sip_t* sip, const PeerAddress& peer, std::string* why) {
  std::string from_user = sip->sip_from->a_url->url_user ? sip->sip_from->a_url->url_user : "";
  std::string to_user = sip->sip_to->a_url->url_user ? sip->sip_to->a_url->url_user : "";
  std::string from_host = sip->sip_from->a_url->url_host ? sip->sip_from->a_url->url_host : "";
  std::string aor = lower(from_user + "@" + from_host);
  std::optional<std::vector<Contact>> contacts;
  if (!from_user.empty()) contacts = usrloc_.find(aor);
  bool registered = contacts && !contacts->empty();
  // 1. A subscriber calling from the very address its binding registered from: the strongest
  //    evidence (several callers and a trunk may share one IP, e.g. behind a NAT or on loopback).
  std::string source = peer.host_port();
  const bool by_address = !config_.authenticate_subscribers;  // else on_invite authenticated them
  if (by_address && registered && std::any_of(contacts->begin(), contacts->end(), [&](const Contact& c) {
        return hostport_of(c.received.empty() ? c.uri : c.received) == source;
      }))
    return CallOrigin{"subscriber", aor, {}};
  // 2. A SIP account, by its matchtype.
  if (hooks_.match_trunk) {
    if (auto account = hooks_.match_trunk(peer.ip, peer.port, peer.tcp, from_user, to_user))
      return CallOrigin{"account", *account, {}};
  }
  // 3. Without registrar authentication, a registered From AOR is enough.
  if (registered && by_address) return CallOrigin{"subscriber", aor, {}};
  *why = fmt::format("caller {} is neither a SIP account nor a {}subscriber", printable(aor),
                     by_address ? "registered " : "");
  return std::nullopt;
}

int Calls::authenticate(msg_t* msg, const sip_t* sip, const std::string& called, std::optional<CallOrigin>* origin) {
  if (!config_.authenticate_subscribers || !hooks_.authenticate_caller) return 0;
  CallerAuth auth;
  try {
    auth = hooks_.authenticate_caller(msg, sip);
  } catch (const std::exception& e) {  // the subscriber table could not be read
    spdlog::error("calls: INVITE to {}: cannot authenticate the caller: {}", called, e.what());
    return sip_.reply(msg, 500, "Server Internal Error");
  }
  switch (auth.kind) {
    case CallerAuth::Kind::authenticated:
      *origin = CallOrigin{"subscriber", auth.aor, {}};
      return 0;
    case CallerAuth::Kind::challenge:
      if (auth.failed) {
        auth_failures_stat_.inc();
        spdlog::warn("calls: INVITE from {} to {}: authentication failed ({})", auth.aor, called, auth.why);
      }
      auth_challenges_stat_.inc();
      return sip_.reply(msg, 407, "Proxy Authentication Required", auth.header);
    case CallerAuth::Kind::forbidden:
      spdlog::warn("calls: INVITE from {} to {} refused: {}", auth.aor, called, auth.why);
      auth_failures_stat_.inc();
      counters_.rejected++;
      return sip_.reply(msg, 403, "Forbidden", "Warning: 399 switchboard \"authentication user is not the caller\"");
    case CallerAuth::Kind::bad_request:
      spdlog::warn("calls: INVITE from {} to {} refused: {}", auth.aor, called, auth.why);
      auth_failures_stat_.inc();
      counters_.rejected++;
      return sip_.reply(msg, 400, "Bad Request (digest uri is not the Request-URI)");
    case CallerAuth::Kind::banned:
      counters_.rejected++;
      return sip_.reply(msg, 403, "Forbidden (too many authentication failures)");
    case CallerAuth::Kind::not_a_subscriber: return 0;
  }
  return 0;
}

int Calls::on_invite(msg_t* msg, sip_t* sip) {
  if (sip->sip_to && sip->sip_to->a_tag) return sip_.reply(msg, 481, "Call/Transaction Does Not Exist");
  if (!sip->sip_from || !sip->sip_to || !sip->sip_call_id ||
      !sip->sip_cseq || !sip->sip_via)
    return sip_.reply(msg, 400, "Missing From, To, Call-ID, CSeq or Via");
  if (calls_.size() >= config_.max_calls) {
    spdlog::warn("calls: {} calls up (calls.max_calls): INVITE refused", calls_.size());
    return sip_.reply(msg, 503, "Too Many Calls", "Retry-After: 5");
  }
  std::string called = sip->sip_request->rq_url->url_user ? sip->sip_request->rq_url->url_user : "";
  if (called.empty()) return sip_.reply(msg, 484, "Address Incomplete");
  if (called.size() > 128) return sip_.reply(msg, 414, "Request-URI Too Long");
  // Where the packet really came from: the Via sent-by is the sender's word, not evidence.
  const PeerAddress source = peer_address(msg);
  std::optional<CallOrigin> origin;
  if (int status = authenticate(msg, sip, called, &origin); status != 0) return status;
  std::string why;
  if (!origin) origin = classify(sip, source, &why);
  if (!origin) {
    spdlog::warn("calls: INVITE from {} to {} refused: {}", source.host_port(), printable(called), why);
    counters_.rejected++;
    return sip_.reply(msg, 403, "Forbidden", "Warning: 399 switchboard \"unknown caller\"");
  }
  auto call = std::make_unique<Call>(*this, next_id_++, root_);
  Call& c = *call;
  c.origin = *origin;
  c.called = called;
  c.caller = sip->sip_from->a_url->url_user ? sip->sip_from->a_url->url_user : "";
  c.caller_display = sip->sip_from->a_display ? sip->sip_from->a_display : "";
  c.caller_host = sip->sip_from->a_url->url_host ? sip->sip_from->a_url->url_host : "";
  c.offer = sdp_of(sip);
  c.start_ms = unix_ms();
  std::shared_ptr<const mi::SipCause> cause =
      events_ && events_->wants_cause() ? sip_cause(msg, sip) : nullptr;  // before the leg takes msg
  c.a = SipInboundLeg::create(sip_, engine_, c, msg, sip);  // takes msg
  if (!c.a) return 500;
  open_cdr(c);
  if (events_) events_->state(c, std::move(cause));
  calls_.emplace(c.id, std::move(call));
  counters_.total++;
  total_stat_.inc();
  active_stat_.set(static_cast<std::int64_t>(calls_.size()));
  spdlog::info("calls: #{} from {}:{} {} → {}", c.id, c.origin.kind, c.origin.id, c.caller, c.called);
  c.a->send_progress(100, "Trying", {});
  route_next(c);
  return 100;
}

void Calls::route_next(Call& call) {
  while (true) {
    std::optional<CallRoute> r;
    if (hooks_.route) r = hooks_.route(call.origin, call.called, call.caller, call.next_index);
    if (!r) {
      if (call.attempts.empty()) {
        spdlog::info("calls: #{} no dialplan rule for {} from {}:{}", call.id, call.called, call.origin.kind,
                     call.origin.id);
        call.a->send_reject(404, "No Route", 3);
        return end_call(call, 404, 3, "no matching dialplan rule");
      }
      call.a->send_reject(call.last_status, call.last_phrase, call.last_cause);
      return end_call(call, call.last_status, call.last_cause, call.last_phrase);
    }
    call.next_index = r->index + 1;
    call.route = *r;
    call.target_failover.clear();
    int status = 0, cause = 0;
    std::string phrase;
    if (try_target(call, *r, &status, &phrase, &cause)) return;
    // The target could not even be tried: count it as a failed attempt and maybe go on.
    call.attempts.push_back(Value{{"rule", r->rule_id}, {"target", r->target_kind + ":" + r->target_id},
                                  {"status", status}, {"cause", cause}, {"reason", phrase}});
    call.last_status = status;
    call.last_phrase = phrase;
    call.last_cause = cause;
    if (!contains(r->failover_causes, status)) {
      call.a->send_reject(status, phrase, cause);
      return end_call(call, status, cause, phrase);
    }
    spdlog::info("calls: #{} {} ({}), failing over", call.id, status, phrase);
  }
}

bool Calls::try_target(Call& call, const CallRoute& r, int* status, std::string* phrase, int* cause) {
  const std::string caller = r.clir ? "anonymous" : r.caller;
  const std::string display = r.clir ? "Anonymous" : (call.caller_display.empty() ? r.caller : call.caller_display);
  auto from_header = [&](const std::string& user, const std::string& host) {
    if (r.clir) return std::string("\"Anonymous\" <sip:anonymous@anonymous.invalid>");
    return fmt::format("\"{}\" <sip:{}@{}>", display, user, host);
  };
  auto trunk_target = [&](const CallTrunk& t, const std::string& description) {
    SipDialTarget d;
    d.ruri = fmt::format("sip:{}@{}", r.called, t.host);
    d.next_hop = t.next_hop;
    d.transport = t.transport.empty() ? "udp" : t.transport;
    d.from = from_header(caller.empty() ? t.from_user : caller, t.from_domain);
    d.to = fmt::format("<sip:{}@{}>", r.called, t.host);
    d.description = description;
    if (!t.secret.empty() && hooks_.answer_challenge) {
      auto answer = hooks_.answer_challenge;
      std::string user = t.auth_user.empty() ? t.from_user : t.auth_user, secret = t.secret;
      d.authorizer = [answer, user, secret](const sip_t* reply, const std::string& method, const std::string& uri) {
        return answer(reply, method, uri, user, secret);
      };
    }
    return d;
  };

  if (r.target_kind == "user") {
    std::string id = lower(r.target_id);
    std::optional<std::vector<Contact>> contacts;
    std::string aor;
    if (id.find('@') != std::string::npos) {
      aor = id;
      contacts = usrloc_.find(aor);
    } else {  // the first AOR of this user in any domain
      usrloc_.visit(id + "@", false, [&](std::string_view a, std::vector<Contact>& list) {
        if (!a.starts_with(id + "@")) return false;
        if (list.empty()) return true;
        aor = a;
        contacts = std::move(list);
        return false;
      });
    }
    const Contact* c = contacts ? best_contact(*contacts) : nullptr;
    if (!c) {
      *status = 480, *phrase = "Temporarily Unavailable", *cause = 20;
      return false;
    }
    SipDialTarget d;
    d.ruri = c->uri;
    d.next_hop = c->received;
    d.transport = c->uri.find("transport=tcp") != std::string::npos || c->received.find("transport=tcp") != std::string::npos
                      ? "tcp" : "udp";
    d.from = from_header(caller, call.caller_host.empty() ? aor.substr(aor.find('@') + 1) : call.caller_host);
    d.to = fmt::format("<sip:{}>", aor);
    d.description = "user " + aor;
    call.target = "user:" + aor;
    start_leg(call, std::make_unique<SipOutboundLeg>(sip_, engine_, call, std::move(d)), r);
    return true;
  }
  if (r.target_kind == "account") {
    std::optional<CallTrunk> t = hooks_.trunk ? hooks_.trunk(r.target_id) : std::nullopt;
    if (!t) {
      *status = 503, *phrase = "No Such Account", *cause = 34;
      return false;
    }
    call.target = "account:" + t->name;
    call.target_failover = t->failover_causes;
    start_leg(call, std::make_unique<SipOutboundLeg>(sip_, engine_, call, trunk_target(*t, "account " + t->name)), r);
    return true;
  }
  if (r.target_kind == "group") {
    std::string why;
    Port* p = ports_.hunt(r.target_id, &why);
    if (!p) {
      spdlog::info("calls: #{} {}", call.id, why);
      *status = 503, *phrase = "No Circuit Available", *cause = 34;
      return false;
    }
    const PortDriver* driver = find_port_driver(p->driver);
    DialContext ctx{engine_, root_, call, causes_, r.called,
                    [&](const std::string& account, std::string* no) -> std::unique_ptr<Leg> {
                      std::optional<CallTrunk> t = hooks_.trunk ? hooks_.trunk(account) : std::nullopt;
                      if (!t) {
                        *no = fmt::format("no SIP account '{}'", account);
                        return nullptr;
                      }
                      call.target_failover = t->failover_causes;
                      return std::make_unique<SipOutboundLeg>(
                          sip_, engine_, call, trunk_target(*t, fmt::format("port {} (account {})", p->number, t->name)));
                    }};
    std::string no;
    std::unique_ptr<Leg> leg = driver ? driver->dial(*p, ctx, &no) : nullptr;
    if (!leg) {
      spdlog::info("calls: #{} port {} cannot take the call: {}", call.id, p->number, no);
      *status = 503, *phrase = "No Circuit Available", *cause = 34;
      return false;
    }
    p->in_use++;
    p->counters.calls++;
    ports_.states_changed();
    call.port = p->number;
    call.target = fmt::format("port:{}", p->number);
    start_leg(call, std::move(leg), r);
    return true;
  }
  *status = 500, *phrase = "Bad Dialplan Target", *cause = 111;
  return false;
}

void Calls::start_leg(Call& call, std::unique_ptr<Leg> leg, const CallRoute& r) {
  if (call.b) call.retire(std::move(call.b));
  call.b = std::move(leg);
  int timeout = r.timeout_s > 0 ? r.timeout_s : config_.ring_timeout_s;
  call.ring_timer.start(static_cast<unsigned>(timeout) * 1000u, [this, &call] { on_ring_timeout(call); });
  spdlog::info("calls: #{} rule {} → {} (called {}, caller {})", call.id, r.rule_id, call.target, r.called, r.caller);
  call.b->dial(call.offer);
}

void Calls::on_progress(Call& call, int status, const std::string& phrase, const std::string& sdp) {
  if (call.state == "routing" || call.state == "ringing" || call.state == "early") {
    if (call.ring_ms == 0) call.ring_ms = unix_ms();
    std::string before = call.state;
    call.state = status == 180 && sdp.empty() ? "ringing" : "early";
    call.a->send_progress(status, phrase, sdp);
    if (events_ && call.state != before) events_->state(call);
  }
}

void Calls::on_answered(Call& call, const std::string& sdp) {
  call.ring_timer.cancel();
  call.answer_ms = unix_ms();
  cdr_answered(call);
  call.state = "answered";
  call.a->send_answer(sdp);
  if (events_) events_->state(call);
  counters_.answered++;
  answered_stat_.inc();
  if (Port* p = call.port ? ports_.find(call.port) : nullptr) p->counters.answered++;
  std::size_t connected = std::count_if(calls_.begin(), calls_.end(), [](const auto& kv) { return kv.second->state == "answered"; });
  connected_stat_.set(static_cast<std::int64_t>(connected));
  spdlog::info("calls: #{} answered by {}", call.id, call.target);
}

void Calls::release_port(Call& call) {
  if (!call.port) return;
  if (Port* p = ports_.find(call.port); p && p->in_use > 0) {
    p->in_use--;
    ports_.states_changed();
  }
}

Result Calls::originate(int port_number, const std::string& number, const std::string& caller) {
  Port* p = ports_.find(port_number);
  if (!p) return Error::failure(404, fmt::format("Port {} not found", port_number));
  if (const PortDriver* d = find_port_driver(p->driver); !d || !d->can_originate())
    return Error::bad_param("port", fmt::format("a {} port does not place calls (its calls arrive over SIP)", p->driver));
  auto valid = [](const std::string& s) {
    return !s.empty() && s.size() <= 128 && std::all_of(s.begin(), s.end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || std::strchr("+*#._-", ch);
    });
  };
  if (!valid(number)) return Error::bad_param("number", "1..128 of 0-9 A-Z a-z + * # . _ -");
  if (!caller.empty() && !valid(caller)) return Error::bad_param("caller", "1..128 of 0-9 A-Z a-z + * # . _ -");
  if (!ports_.usable(*p)) {
    std::string why;
    std::string st = ports_.state(*p, &why);
    return Error::failure(503, fmt::format("Port {} cannot place a call", port_number),
                          st == "up" ? "all its channels are in use" : "it is " + st + (why.empty() ? "" : ": " + why));
  }
  if (calls_.size() >= config_.max_calls) return Error::failure(503, "Too Many Calls", "calls.max_calls reached");
  auto call = std::make_unique<Call>(*this, next_id_++, root_);
  Call& c = *call;
  c.origin = CallOrigin{"port", std::to_string(port_number), ports_.groups_of(port_number)};
  c.called = number;
  c.caller = caller.empty() ? std::to_string(port_number) : caller;
  c.caller_host = "127.0.0.1";
  c.start_ms = unix_ms();
  auto leg = std::make_unique<VirtualCallerLeg>(engine_, root_, c, *p, number);
  c.offer = leg->offer();
  c.a = std::move(leg);
  c.from_port = port_number;
  p->in_use++;
  p->counters.calls++;
  ports_.states_changed();
  open_cdr(c);
  if (events_) events_->state(c);
  calls_.emplace(c.id, std::move(call));
  counters_.total++;
  total_stat_.inc();
  active_stat_.set(static_cast<std::int64_t>(calls_.size()));
  spdlog::info("calls: #{} from port {} {} → {}", c.id, port_number, c.caller, number);
  route_next(c);  // may end the call at once (no rule): `c` lives until a later loop turn
  Value v{{"id", c.id}, {"state", c.state}};
  if (c.state == "ended") v["status"] = c.final_status, v["reason"] = c.reason;
  return v;
}

void Calls::on_failed(Call& call, int status, const std::string& phrase, int q850) {
  call.ring_timer.cancel();
  int cause = q850 ? q850 : causes_.cause_for_status(status);
  call.attempts.push_back(Value{{"rule", call.route ? call.route->rule_id : 0}, {"target", call.target},
                                {"status", status}, {"cause", cause}, {"reason", phrase}});
  call.last_status = status, call.last_phrase = phrase, call.last_cause = cause;
  if (Port* p = call.port ? ports_.find(call.port) : nullptr) p->counters.failed++;
  release_port(call);
  call.port = 0;
  spdlog::info("calls: #{} {} answered {} {} (cause {})", call.id, call.target, status, phrase, cause);
  if ((call.route && contains(call.route->failover_causes, status)) || contains(call.target_failover, status)) {
    call.retire(std::move(call.b));
    return route_next(call);
  }
  call.a->send_reject(status, phrase, cause);
  end_call(call, status, cause, phrase);
}

void Calls::on_ring_timeout(Call& call) {
  if (call.state == "answered" || call.state == "ended") return;
  spdlog::info("calls: #{} no answer from {} in time", call.id, call.target);
  if (call.b) call.b->cancel();
  on_failed(call, 480, "No Answer", 19);
}

void Calls::end_call(Call& call, int status, int q850, const std::string& reason) {
  if (call.state == "ended") return;
  call.ring_timer.cancel();
  bool answered = call.answer_ms != 0;
  call.state = "ended";
  call.end_ms = unix_ms();
  call.final_status = status;
  call.cause = q850;
  call.reason = reason;
  release_port(call);
  if (call.from_port) {
    if (Port* p = ports_.find(call.from_port); p && p->in_use > 0) {
      p->in_use--;
      ports_.states_changed();
    }
    if (Port* p = ports_.find(call.from_port); p && answered) p->counters.answered++;
  }
  if (answered) {
    std::int64_t ms = call.end_ms - call.answer_ms;
    counters_.connected_ms += ms;
    if (Port* p = call.port ? ports_.find(call.port) : nullptr) p->counters.connected_ms += ms;
  } else {
    counters_.failed++;
    failed_stat_.inc();
    if (status == 486 || q850 == 17) counters_.busy++;
    if (q850 == 19 || status == 480) counters_.no_answer++;
    if (status == 487) counters_.cancelled++;
  }
  if (events_) events_->state(call);
  try {
    std::int64_t row = write_cdr(call);
    if (events_) events_->cdr(call, row);
  } catch (const StoreError& e) {
    spdlog::error("calls: #{}: the CDR could not be written: {}", call.id, e.what());
  }
  spdlog::info("calls: #{} ended: {} cause {} ({})", call.id, status, q850, reason);
  std::uint64_t id = call.id;
  // The legs may be inside a callback right now: the call is destroyed on a later loop turn.
  auto it = calls_.find(id);
  if (it != calls_.end()) {
    std::shared_ptr<Call> dead(std::move(it->second));
    calls_.erase(it);
    engine_.defer([dead] {});
  }
  active_stat_.set(static_cast<std::int64_t>(calls_.size()));
  std::size_t connected = std::count_if(calls_.begin(), calls_.end(), [](const auto& kv) { return kv.second->state == "answered"; });
  connected_stat_.set(static_cast<std::int64_t>(connected));
}


std::size_t Calls::drop_port(int port) {
  std::vector<std::uint64_t> ids;
  for (auto& [id, c] : calls_)
    if (c->port == port || c->from_port == port) ids.push_back(id);
  for (auto id : ids) {
    auto it = calls_.find(id);
    if (it == calls_.end()) continue;
    Call& call = *it->second;
    if (call.b) call.b->hangup(41);
    if (call.state == "answered") {
      call.a->hangup(41);
      end_call(call, 200, 41, fmt::format("port {} restarted", port));
    } else {
      call.a->send_reject(503, "Service Unavailable", 41);
      end_call(call, 503, 41, fmt::format("port {} restarted", port));
    }
  }
  return ids.size();
}

}  // namespace sb::gateway
