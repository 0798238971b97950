// tm.cpp: t_uac_dlg request building and validation (SER/OpenSIPS error texts), the client
// transaction callbacks, t_uac_cancel.
#include "gateway/sip/sofia.h"  // first: sofia's magic types

#include "gateway/tm/tm.h"

#include "mi/strings.h"

#include <sofia-sip/nta_stateless.h>
#include <sofia-sip/tport_tag.h>

#include <algorithm>
#include <cctype>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "gateway/engine/engine.h"
#include "gateway/sip/sip_stack.h"

namespace sb::gateway {

using mi::Error;
using mi::Value;

namespace {

struct Home {
  su_home_t home[1] = {SU_HOME_INIT(home)};
  ~Home() { su_home_deinit(home); }
};

bool is_token(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("-.!%*_+`'~").find(c) != std::string_view::npos;
  });
}

bool is_sip_url(su_home_t* home, const std::string& text) {
  url_t* u = url_make(home, text.c_str());
  return u && (u->url_type == url_sip || u->url_type == url_sips) && u->url_host && *u->url_host;
}

using mi::lower;

std::string random_call_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{:016x}{:08x}@switchboard", rng(), static_cast<std::uint32_t>(rng()));
}

/// Header lines (CRLF or LF separated, blank lines dropped).
std::vector<std::string> header_lines(const std::string& headers) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < headers.size()) {
    auto nl = headers.find('\n', start);
    std::string line = headers.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty() && line.find_first_not_of(" \t") != std::string::npos) out.push_back(line);
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

}  // namespace

struct Tm::Pending {
  Tm* tm;
  mi::Completion done;
  std::string callid;
  std::uint32_t cseq = 0;
  bool invite = false;
  bool finished = false;
  nta_outgoing_t* orq = nullptr;
  nta_outgoing_t* cancel = nullptr;
};

Tm::Tm(SipStack& sip, Engine& engine, mi::Statistics& stats, std::size_t max_transactions)
    : sip_(sip), engine_(engine), max_transactions_(max_transactions),
      rejected_(stats.counter("tm", "rejected_transactions")),
      uac_(stats.counter("tm", "UAC_transactions")),
      inuse_(stats.gauge("tm", "inuse_transactions")),
      local_replies_(stats.counter("tm", "local_replies")) {
  for (int c = 1; c <= 6; ++c) by_class_[c] = &stats.counter("tm", fmt::format("{}xx_transactions", c));
}

Tm::~Tm() { abort_all(); }

void Tm::uac(const UacRequest& rq, mi::Completion done) {
  auto fail = [&](int code, const std::string& reason) { done(Error::failure(code, reason)); };
  Home h;
  if (!is_token(rq.method)) return fail(400, "Invalid method");
  if (!is_sip_url(h.home, rq.ruri)) return fail(400, "Invalid ruri");
  std::string next_hop = rq.next_hop == "." ? std::string() : rq.next_hop;
  if (!next_hop.empty() && !is_sip_url(h.home, next_hop)) return fail(400, "Invalid next_hop");
  std::string ident;
  if (!rq.socket.empty() && rq.socket != ".") {
    ident = sip_.ident_of(rq.socket);
    if (ident.empty()) return fail(404, "Local socket not found");
  }
  if (!sip_.agent()) return fail(503, "SIP engine not running");
  if (pending_.size() >= max_transactions_) {
    rejected_.inc();
    return fail(503, fmt::format("too many transactions in flight (tm.max_transactions = {})", max_transactions_));
  }

  // `!!` in a header stands for our own address (SER), e.g. Contact: <sip:daemon@!!>.
  std::string self;
  if (!sip_.listening().empty()) {
    const std::string& l = sip_.listening().front();
    self = l.substr(l.find(':') + 1);
  }
  std::string raw = fmt::format("{} {} SIP/2.0\r\n", rq.method, rq.ruri);
  for (std::string line : header_lines(rq.headers)) {
    std::string name = lower(line.substr(0, line.find(':')));
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
    if (name == "content-length" || name == "l") return fail(400, "Content-Length disallowed");
    for (std::size_t at; (at = line.find("!!")) != std::string::npos;) line.replace(at, 2, self);
    raw += line + "\r\n";
  }
  raw += "\r\n";
  msg_t* msg = msg_make(sip_default_mclass(), 0, raw.data(), static_cast<ssize_t>(raw.size()));
  if (!msg) return fail(400, "Bad headers");
  sip_t* sip = sip_object(msg);
  auto reject = [&](const char* reason) {
    msg_destroy(msg);
    fail(400, reason);
  };
  for (msg_error_t* e = sip ? sip->sip_error : nullptr; e; e = e->er_next) {
    std::string bad = lower(e->er_name ? e->er_name : "");
    if (bad == "cseq") return reject("Bad CSeq number");
    if (bad == "from") return reject("Error in From");
    if (bad == "to") return reject("Bad To");
    return reject("Bad headers");
  }
  if (!sip || !sip->sip_request) return reject("Bad headers");
  if (!sip->sip_from) return reject("From missing");
  if (!sip->sip_to) return reject("To missing");
  auto uri_ok = [](const url_t* u) {
    return u && (u->url_type == url_sip || u->url_type == url_sips || u->url_type == url_tel) &&
           ((u->url_host && *u->url_host) || u->url_type == url_tel);
  };
  if (!uri_ok(sip->sip_from->a_url)) return reject("Error in From");
  if (!uri_ok(sip->sip_to->a_url)) return reject("Bad To");
  if (sip->sip_call_id && (!sip->sip_call_id->i_id || !*sip->sip_call_id->i_id)) return reject("Bad Call-ID");
  if (!rq.body.empty() && !sip->sip_content_type) return reject("Content-Type missing");
  if (sip->sip_cseq && sip->sip_cseq->cs_method_name &&
      std::string(sip->sip_cseq->cs_method_name) != rq.method)
    return reject("CSeq method mismatch");

  std::string cseq = fmt::format("1 {}", rq.method);
  std::string call_id = random_call_id();
  if (!sip->sip_from->a_tag) {
    char const* tag = nta_agent_newtag(msg_home(msg), "%s", sip_.agent());
    sip_from_tag(msg_home(msg), sip->sip_from, tag);
  }
  if (sip_add_tl(msg, sip,
                 TAG_IF(!sip->sip_cseq, SIPTAG_CSEQ_STR(cseq.c_str())),
                 TAG_IF(!sip->sip_call_id, SIPTAG_CALL_ID_STR(call_id.c_str())),
                 TAG_IF(!sip->sip_max_forwards, SIPTAG_MAX_FORWARDS_STR("70")),
                 TAG_IF(!sip->sip_user_agent, SIPTAG_USER_AGENT_STR(sip_.server_name().c_str())),
                 TAG_IF(!rq.body.empty(), SIPTAG_PAYLOAD_STR(rq.body.c_str())),
                 TAG_END()) < 0)
    return reject("Bad headers");

  if (sip->sip_request->rq_method == sip_method_ack) {
    // An ACK gets no response: send it statelessly and answer at once.
    if (nta_msg_tsend(sip_.agent(), msg, next_hop.empty() ? nullptr : URL_STRING_MAKE(next_hop.c_str()),
                      TAG_END()) < 0)
      return fail(500, "MI/UAC failed");
    uac_.inc();
    return void(done(Value{{"Status", "202 Accepted"}, {"Message", "ACK sent (an ACK gets no response)"}}));
  }
  auto owned = std::make_unique<Pending>(Pending{this, done, sip->sip_call_id->i_id, sip->sip_cseq->cs_seq,
                                                 sip->sip_request->rq_method == sip_method_invite});
  Pending* p = owned.get();
  pending_.emplace(p, std::move(owned));
  inuse_.set(static_cast<std::int64_t>(pending_.size()));
  uac_.inc();
  // nta may call on_response before this returns (e.g. 503 No transport): `p` is ready.
  nta_outgoing_t* orq = nta_outgoing_mcreate(
      sip_.agent(), &Tm::on_response, p,
      next_hop.empty() ? nullptr : URL_STRING_MAKE(next_hop.c_str()), msg,
      TAG_IF(!ident.empty(), TPTAG_IDENT(ident.c_str())), TAG_END());
  if (!orq) {
    msg_destroy(msg);
    pending_.erase(p);
    inuse_.set(static_cast<std::int64_t>(pending_.size()));
    return fail(500, "MI/UAC failed");
  }
  p->orq = orq;
  spdlog::debug("tm: t_uac_dlg {} {} sent (Call-ID {}, CSeq {})", rq.method, rq.ruri, p->callid, p->cseq);
}

int Tm::on_response(void* magic, nta_outgoing_t* orq, const sip_t* sip) {
  auto* p = static_cast<Pending*>(magic);
  p->tm->finish(p, orq, sip);
  return 0;
}

void Tm::finish(Pending* p, nta_outgoing_t* orq, const sip_t* sip) {
  bool internal = !sip || nta_sip_is_internal(sip);
  if (!internal) sip_.count_reply();
  int status = sip && sip->sip_status ? sip->sip_status->st_status : nta_outgoing_status(orq);
  if (status < 200 || p->finished) return;
  p->finished = true;
  const char* phrase = sip && sip->sip_status && sip->sip_status->st_phrase ? sip->sip_status->st_phrase
                                                                          : sip_status_phrase(status);
  Value v = Value::object();
  v["Status"] = fmt::format("{} {}", status, phrase ? phrase : "");
  if (internal) {
    local_replies_.inc();
  } else if (msg_t* msg = nta_outgoing_getresponse(orq)) {
    Home h;
    std::size_t len = 0;
    if (char* text = msg_as_string(h.home, msg, nullptr, 0, &len)) {
      std::string whole(text, len);
      auto eol = whole.find("\r\n");
      v["Message"] = eol == std::string::npos ? whole : whole.substr(eol + 2);  // from the first header
    }
    msg_destroy(msg);
  }
  if (status / 100 >= 1 && status / 100 <= 6) by_class_[status / 100]->inc();
  if (p->invite && status < 300 && !internal) ack_2xx(sip);
  spdlog::debug("tm: Call-ID {} CSeq {} completed: {}", p->callid, p->cseq, v["Status"].get<std::string>());
  p->done(std::move(v));
  // Not inside nta's callback (it may still be inside nta_outgoing_mcreate): a later turn.
  engine_.defer([this, p, orq] {
    nta_outgoing_destroy(orq);
    pending_.erase(p);
    inuse_.set(static_cast<std::int64_t>(pending_.size()));
  });
}

void Tm::ack_2xx(const sip_t* sip) {
  // RFC 3261 §13.2.2.4: the ACK for a 2xx is a transaction of its own, sent to the remote target
  // (the 2xx's Contact) along its Record-Route, with the INVITE's CSeq number.
  if (!sip->sip_call_id || !sip->sip_from || !sip->sip_to || !sip->sip_cseq) return;
  nta_leg_t* leg = nta_leg_tcreate(sip_.agent(), nullptr, nullptr, SIPTAG_CALL_ID(sip->sip_call_id),
                                   SIPTAG_FROM(sip->sip_from), SIPTAG_TO(sip->sip_to), TAG_END());
  if (!leg) return;
  nta_leg_client_route(leg, sip->sip_record_route, sip->sip_contact);
  std::string cseq = fmt::format("{} ACK", sip->sip_cseq->cs_seq);
  const url_t* target = sip->sip_contact ? sip->sip_contact->m_url : nullptr;
  nta_outgoing_t* ack = nta_outgoing_tcreate(
      leg, nullptr, nullptr, nullptr, SIP_METHOD_ACK,
      target ? reinterpret_cast<const url_string_t*>(target) : nullptr, SIPTAG_CSEQ_STR(cseq.c_str()),
      SIPTAG_USER_AGENT_STR(sip_.server_name().c_str()), TAG_END());
  if (!ack) spdlog::warn("tm: could not send the ACK for a 2xx (Call-ID {})", sip->sip_call_id->i_id);
  engine_.defer([ack, leg] {
    if (ack) nta_outgoing_destroy(ack);
    nta_leg_destroy(leg);
  });
}

namespace {
int on_cancel_response(void* /*magic*/, nta_outgoing_t* orq, const sip_t* sip) {
  int status = sip && sip->sip_status ? sip->sip_status->st_status : nta_outgoing_status(orq);
  if (status >= 200) nta_outgoing_destroy(orq);
  return 0;
}
}  // namespace

mi::Result Tm::cancel(const std::string& callid, std::uint32_t cseq) {
  for (auto& [key, p] : pending_) {
    if (p->finished || !p->invite || p->callid != callid || p->cseq != cseq || !p->orq) continue;
    if (!p->cancel) p->cancel = nta_outgoing_tcancel(p->orq, &on_cancel_response, nullptr, TAG_END());
    if (!p->cancel) return Error::failure(500, "CANCEL could not be sent");
    return Value("OK");
  }
  return Error::failure(481, "No such transaction");
}

void Tm::abort_all() {
  for (auto& [key, p] : pending_) {
    if (p->finished) continue;  // its deferred job destroys the transaction
    p->done(Error::failure(503, "Service Unavailable", "the server is shutting down"));
    p->finished = true;
    if (p->orq) nta_outgoing_destroy(p->orq);
  }
  pending_.clear();
  inuse_.set(0);
}

}  // namespace sb::gateway
