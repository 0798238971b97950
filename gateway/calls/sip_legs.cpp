// sip_legs.cpp: SIP call legs on nta (see sip_legs.h).
#include "gateway/sip/sofia.h"  // first: sofia's magic types

#include "gateway/calls/sip_legs.h"

#include <sofia-sip/su_string.h>

#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "gateway/calls/cause_map.h"
#include "gateway/engine/engine.h"
#include "gateway/sip/sip_stack.h"

namespace sb::gateway {

using mi::Value;

namespace {

std::string reason_header(int q850) {
  return fmt::format("Q.850;cause={};text=\"{}\"", q850, CauseMap::q850_name(q850));
}

std::string header_text(const sip_header_t* h) {
  if (!h) return {};
  char buf[1024];
  issize_t n = sip_header_e(buf, sizeof buf, h, 0);
  return n > 0 && static_cast<std::size_t>(n) < sizeof buf ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

int status_of(nta_outgoing_t* orq, const sip_t* sip) {
  return sip && sip->sip_status ? sip->sip_status->st_status : nta_outgoing_status(orq);
}

std::string phrase_of(int status, const sip_t* sip) {
  if (sip && sip->sip_status && sip->sip_status->st_phrase) return sip->sip_status->st_phrase;
  const char* p = sip_status_phrase(status);
  return p ? p : "";
}

/// Destroys a finished client transaction on a later loop turn (never inside its callback).
void retire(Engine& engine, nta_outgoing_t* orq) {
  if (orq) engine.defer([orq] { nta_outgoing_destroy(orq); });
}

int on_cancel_done(void* /*magic*/, nta_outgoing_t* orq, const sip_t* sip) {
  if (status_of(orq, sip) >= 200) nta_outgoing_destroy(orq);
  return 0;
}

}  // namespace

std::string sdp_of(const sip_t* sip) {
  if (!sip || !sip->sip_payload || !sip->sip_payload->pl_data || sip->sip_payload->pl_len == 0) return {};
  if (sip->sip_content_type && sip->sip_content_type->c_type &&
      !su_casematch(sip->sip_content_type->c_type, "application/sdp"))
    return {};
  return std::string(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
}

int reason_cause(const sip_t* sip) {
  if (!sip) return 0;
  for (const sip_reason_t* r = sip->sip_reason; r; r = r->re_next) {
    if (!r->re_protocol || !su_casematch(r->re_protocol, "Q.850") || !r->re_cause) continue;
    int c = std::atoi(r->re_cause);
    if (c >= 1 && c <= 127) return c;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Both: the established dialog

SipDialogLeg::~SipDialogLeg() {
  if (reinvite_) {
    nta_incoming_treply(reinvite_, 500, "Internal Server Error", TAG_END());
    nta_incoming_destroy(reinvite_);
  }
  if (out_) nta_outgoing_destroy(out_);
  if (leg_) nta_leg_destroy(leg_);
}

void SipDialogLeg::send_bye(int q850) {
  if (state_ == "bye sent") return;
  std::string reason = reason_header(q850);
  if (out_) nta_outgoing_destroy(out_);
  out_is_invite_ = false;
  out_ = nta_outgoing_tcreate(leg_, &SipDialogLeg::on_out_response, this, nullptr, SIP_METHOD_BYE, nullptr,
                              SIPTAG_REASON_STR(reason.c_str()), SIPTAG_USER_AGENT_STR(stack_.server_name().c_str()),
                              TAG_END());
  state_ = "bye sent";
}

void SipDialogLeg::reoffer(const std::string& sdp, std::function<void(int, const std::string&)> done) {
  if (out_ || !established()) return done(491, {});
  out_is_invite_ = true;
  reoffer_done_ = std::move(done);
  out_ = nta_outgoing_tcreate(leg_, &SipDialogLeg::on_out_response, this, nullptr, SIP_METHOD_INVITE, nullptr,
                              SIPTAG_CONTACT_STR(contact_.c_str()), SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                              SIPTAG_PAYLOAD_STR(sdp.c_str()), TAG_END());
  if (!out_) {
    auto cb = std::move(reoffer_done_);
    cb(500, {});
  }
}

int SipDialogLeg::on_out_response(void* magic, nta_outgoing_t* orq, const sip_t* sip) {
  auto* self = static_cast<SipDialogLeg*>(magic);
  int status = status_of(orq, sip);
  if (status < 200) return 0;
  if (self->out_is_invite_ && self->reoffer_done_) {
    if (status < 300 && sip && sip->sip_cseq) {  // our re-INVITE was answered: ACK it
      std::string cseq = fmt::format("{} ACK", sip->sip_cseq->cs_seq);
      nta_outgoing_t* ack = nta_outgoing_tcreate(self->leg_, nullptr, nullptr, nullptr, SIP_METHOD_ACK, nullptr,
                                                 SIPTAG_CSEQ_STR(cseq.c_str()), TAG_END());
      retire(self->engine_, ack);
    }
    auto cb = std::move(self->reoffer_done_);
    cb(status, sdp_of(sip));
  }
  if (self->out_ == orq) self->out_ = nullptr;
  retire(self->engine_, orq);
  return 0;
}

int SipDialogLeg::on_request(void* magic, nta_leg_t* /*leg*/, nta_incoming_t* irq, const sip_t* sip) {
  return static_cast<SipDialogLeg*>(magic)->handle_request(irq, sip);
}

int SipDialogLeg::handle_request(nta_incoming_t* irq, const sip_t* sip) {
  stack_.count_request();
  sip_method_t method = sip->sip_request->rq_method;
  if (method == sip_method_ack) {
    if (reinvite_ == irq) reinvite_ = nullptr;
    if (state_ == "answered") state_ = "confirmed";
    nta_incoming_destroy(irq);
    return 0;
  }
  if (method == sip_method_bye) {
    state_ = "hung up";
    if (!detached_) {
      detached_ = true;
      int cause = reason_cause(sip);
      observer_.leg_hungup(*this, cause ? cause : 16);
    }
    return 200;
  }
  if (method == sip_method_invite) {
    if (!established()) return 481;
    if (reinvite_ || out_) return 491;
    reinvite_ = irq;
    observer_.leg_reoffer(*this, sdp_of(sip), [this, irq](int status, const std::string& sdp) {
      if (reinvite_ != irq) return;
      nta_incoming_treply(irq, status, phrase_of(status, nullptr).c_str(), SIPTAG_CONTACT_STR(contact_.c_str()),
                          TAG_IF(status < 300 && !sdp.empty(), SIPTAG_CONTENT_TYPE_STR("application/sdp")),
                          TAG_IF(status < 300 && !sdp.empty(), SIPTAG_PAYLOAD_STR(sdp.c_str())), TAG_END());
      if (status >= 300) {
        nta_incoming_destroy(irq);
        reinvite_ = nullptr;
      }
    });
    return 0;
  }
  if (method == sip_method_options || method == sip_method_info || method == sip_method_update) return 200;
  return 501;
}

// ---------------------------------------------------------------------------------------------
// Inbound

std::unique_ptr<SipInboundLeg> SipInboundLeg::create(SipStack& stack, Engine& engine, LegObserver& observer,
                                                     msg_t* msg, sip_t* sip) {
  std::unique_ptr<SipInboundLeg> self(new SipInboundLeg(stack, engine, observer));
  nta_agent_t* agent = stack.agent();
  self->leg_ = nta_leg_tcreate(agent, &SipDialogLeg::on_request, static_cast<SipDialogLeg*>(self.get()), SIPTAG_CALL_ID(sip->sip_call_id),
                               SIPTAG_FROM(sip->sip_to), SIPTAG_TO(sip->sip_from),
                               NTATAG_REMOTE_CSEQ(sip->sip_cseq->cs_seq), TAG_END());
  if (!self->leg_ || !nta_leg_tag(self->leg_, nullptr)) {
    stack.reply(msg, 500, "Internal Server Error");
    return nullptr;
  }
  nta_leg_server_route(self->leg_, sip->sip_record_route, sip->sip_contact);
  const sip_via_t* via = sip->sip_via;
  std::string host = via->v_received ? via->v_received : (via->v_host ? via->v_host : "");
  std::string port = via->v_rport && *via->v_rport ? via->v_rport : (via->v_port ? via->v_port : "5060");
  self->source_ = host + ":" + port;
  std::string proto = via->v_protocol && su_casematch(via->v_protocol, "SIP/2.0/TCP") ? "tcp" : "udp";
  self->contact_ = "<" + stack.contact_for(proto) + ">";
  self->call_id_ = sip->sip_call_id->i_id ? sip->sip_call_id->i_id : "";
  self->from_ = header_text(reinterpret_cast<const sip_header_t*>(sip->sip_from));
  self->to_ = header_text(reinterpret_cast<const sip_header_t*>(sip->sip_to));
  self->invite_ = nta_incoming_create(agent, self->leg_, msg, sip, TAG_END());
  if (!self->invite_) {
    spdlog::error("calls: cannot create a server transaction for INVITE {}", self->call_id_);
    return nullptr;
  }
  nta_incoming_tag(self->invite_, nta_leg_get_tag(self->leg_));
  nta_incoming_bind(self->invite_, &SipInboundLeg::on_ack_cancel, self.get());
  return self;
}

SipInboundLeg::~SipInboundLeg() {
  if (invite_) {
    if (nta_incoming_status(invite_) < 200) nta_incoming_treply(invite_, 500, "Internal Server Error", TAG_END());
    nta_incoming_destroy(invite_);
  }
}

Value SipInboundLeg::describe() const {
  return Value{{"type", "sip"}, {"direction", "in"}, {"state", state_}, {"call_id", call_id_},
               {"from", from_}, {"to", to_}, {"source", source_}};
}

void SipInboundLeg::send_progress(int status, const std::string& phrase, const std::string& sdp) {
  if (!invite_ || nta_incoming_status(invite_) >= 200) return;
  nta_incoming_treply(invite_, status, phrase.c_str(), SIPTAG_CONTACT_STR(contact_.c_str()),
                      TAG_IF(!sdp.empty(), SIPTAG_CONTENT_TYPE_STR("application/sdp")),
                      TAG_IF(!sdp.empty(), SIPTAG_PAYLOAD_STR(sdp.c_str())), TAG_END());
  state_ = status == 180 ? "ringing" : "early";
}

void SipInboundLeg::send_answer(const std::string& sdp) {
  if (!invite_ || nta_incoming_status(invite_) >= 200) return;
  nta_incoming_treply(invite_, 200, "OK", SIPTAG_CONTACT_STR(contact_.c_str()),
                      TAG_IF(!sdp.empty(), SIPTAG_CONTENT_TYPE_STR("application/sdp")),
                      TAG_IF(!sdp.empty(), SIPTAG_PAYLOAD_STR(sdp.c_str())),
                      SIPTAG_ALLOW_STR("INVITE, ACK, BYE, CANCEL, OPTIONS"), TAG_END());
  state_ = "answered";
}

void SipInboundLeg::send_reject(int status, const std::string& phrase, int q850) {
  detached_ = true;
  if (!invite_ || nta_incoming_status(invite_) >= 200) return;
  std::string reason = q850 > 0 ? reason_header(q850) : std::string();
  nta_incoming_treply(invite_, status, phrase.c_str(), TAG_IF(!reason.empty(), SIPTAG_REASON_STR(reason.c_str())),
                      TAG_END());
  state_ = fmt::format("rejected {}", status);
}

void SipInboundLeg::hangup(int q850) {
  if (detached_) return;
  detached_ = true;
  if (state_ != "answered" && state_ != "confirmed") return send_reject(480, "Temporarily Unavailable", q850);
  send_bye(q850);
}

int SipInboundLeg::on_ack_cancel(void* magic, nta_incoming_t* /*irq*/, const sip_t* sip) {
  auto* self = static_cast<SipInboundLeg*>(magic);
  if (sip && sip->sip_request && sip->sip_request->rq_method == sip_method_cancel) {
    self->state_ = "cancelled";
    if (!self->detached_) {
      self->detached_ = true;
      self->observer_.leg_cancelled(*self);
    }
  } else if (sip && sip->sip_request && sip->sip_request->rq_method == sip_method_ack) {
    if (self->state_ == "answered") self->state_ = "confirmed";
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Outbound

SipOutboundLeg::SipOutboundLeg(SipStack& stack, Engine& engine, LegObserver& observer, SipDialTarget target)
    : SipDialogLeg(stack, engine, observer), target_(std::move(target)) {
  state_ = "new";
}

SipOutboundLeg::~SipOutboundLeg() {
  if (invite_) nta_outgoing_destroy(invite_);
}

Value SipOutboundLeg::describe() const {
  Value v{{"type", "sip"}, {"direction", "out"}, {"state", state_}, {"call_id", call_id_},
          {"target", target_.description}, {"ruri", target_.ruri}, {"from", target_.from}, {"to", target_.to}};
  if (!target_.next_hop.empty()) v["next_hop"] = target_.next_hop;
  if (last_status_) v["last_status"] = last_status_;
  return v;
}

void SipOutboundLeg::dial(const std::string& sdp_offer) {
  sdp_ = sdp_offer;
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  call_id_ = fmt::format("sb-{:016x}{:016x}", rng(), rng());
  contact_ = "<" + stack_.contact_for(target_.transport) + ">";
  leg_ = nta_leg_tcreate(stack_.agent(), &SipDialogLeg::on_request, static_cast<SipDialogLeg*>(this), SIPTAG_FROM_STR(target_.from.c_str()),
                         SIPTAG_TO_STR(target_.to.c_str()), SIPTAG_CALL_ID_STR(call_id_.c_str()), TAG_END());
  if (!leg_ || !nta_leg_tag(leg_, nullptr)) {
    state_ = "failed";
    fail_later(500, "Cannot create the dialog");
    return;
  }
  send_invite({});
}

void SipOutboundLeg::send_invite(const std::string& auth_header) {
  state_ = "calling";
  const std::string& hop = target_.next_hop;
  invite_ = nta_outgoing_tcreate(
      leg_, &SipOutboundLeg::on_response, this, hop.empty() ? nullptr : URL_STRING_MAKE(hop.c_str()),
      SIP_METHOD_INVITE, URL_STRING_MAKE(target_.ruri.c_str()), SIPTAG_CONTACT_STR(contact_.c_str()),
      TAG_IF(!sdp_.empty(), SIPTAG_CONTENT_TYPE_STR("application/sdp")),
      TAG_IF(!sdp_.empty(), SIPTAG_PAYLOAD_STR(sdp_.c_str())),
      SIPTAG_ALLOW_STR("INVITE, ACK, BYE, CANCEL, OPTIONS"), SIPTAG_USER_AGENT_STR(stack_.server_name().c_str()),
      TAG_IF(!auth_header.empty(), SIPTAG_HEADER_STR(auth_header.c_str())), TAG_END());
  if (!invite_) {
    state_ = "failed";
    fail_later(503, "Cannot send the INVITE");
  }
}

void SipOutboundLeg::fail_later(int status, const char* phrase) {
  engine_.defer([life = std::weak_ptr<const int>(life_), this, status, phrase] {
    if (life.expired() || detached_) return;  // the leg is gone, or its call no longer listens
    observer_.leg_failed(*this, status, phrase, 41);
  });
}

int SipOutboundLeg::on_response(void* magic, nta_outgoing_t* orq, const sip_t* sip) {
  auto* self = static_cast<SipOutboundLeg*>(magic);
  if (sip && !nta_sip_is_internal(sip)) self->stack_.count_reply();
  int status = status_of(orq, sip);
  self->last_status_ = status;
  if (status < 200) {
    if (status == 100) return 0;
    if (sip && sip->sip_to && sip->sip_to->a_tag) {
      nta_leg_rtag(self->leg_, sip->sip_to->a_tag);
      nta_leg_client_reroute(self->leg_, sip->sip_record_route, sip->sip_contact, 0);
    }
    if (self->detached_) return 0;
    self->state_ = status == 180 ? "ringing" : "early";
    self->observer_.leg_progress(*self, status, phrase_of(status, sip), sdp_of(sip));
    return 0;
  }
  if (status < 300) {
    if (sip && sip->sip_to && sip->sip_to->a_tag) nta_leg_rtag(self->leg_, sip->sip_to->a_tag);
    if (sip) nta_leg_client_route(self->leg_, sip->sip_record_route, sip->sip_contact);
    if (sip) self->ack(sip);
    if (self->answered_) return 0;  // a retransmitted or forked 2xx
    self->answered_ = true;
    if (self->detached_) {  // cancelled, but the answer crossed the CANCEL: end that dialog
      self->send_bye(16);
      return 0;
    }
    self->state_ = "answered";
    self->observer_.leg_answered(*self, sdp_of(sip));
    return 0;
  }
  // A final failure.
  if ((status == 401 || status == 407) && sip && self->target_.authorizer && self->auth_attempts_ < 2 &&
      !self->detached_) {
    auto header = self->target_.authorizer(sip, "INVITE", self->target_.ruri);
    if (header) {
      ++self->auth_attempts_;
      retire(self->engine_, orq);
      self->invite_ = nullptr;
      self->send_invite(header->first + ": " + header->second);
      return 0;
    }
  }
  self->state_ = fmt::format("failed {}", status);
  if (self->invite_ == orq) self->invite_ = nullptr;
  retire(self->engine_, orq);
  if (self->detached_) return 0;
  self->detached_ = true;
  self->observer_.leg_failed(*self, status, phrase_of(status, sip), reason_cause(sip));
  return 0;
}

void SipOutboundLeg::ack(const sip_t* sip) {
  if (!sip->sip_cseq) return;
  std::string cseq = fmt::format("{} ACK", sip->sip_cseq->cs_seq);
  const url_t* target = sip->sip_contact ? sip->sip_contact->m_url : nullptr;
  nta_outgoing_t* ack = nta_outgoing_tcreate(
      leg_, nullptr, nullptr, nullptr, SIP_METHOD_ACK,
      target ? reinterpret_cast<const url_string_t*>(target) : nullptr, SIPTAG_CSEQ_STR(cseq.c_str()),
      SIPTAG_USER_AGENT_STR(stack_.server_name().c_str()), TAG_END());
  if (!ack) spdlog::warn("calls: could not send the ACK for a 2xx (Call-ID {})", call_id_);
  retire(engine_, ack);
}

void SipOutboundLeg::cancel() {
  if (detached_) return;
  detached_ = true;
  cancelled_ = true;
  if (answered_) return send_bye(16);
  if (invite_) {
    nta_outgoing_tcancel(invite_, &on_cancel_done, nullptr, TAG_END());
    state_ = "cancelling";
  }
}

void SipOutboundLeg::hangup(int q850) {
  if (detached_ && !answered_) return;
  detached_ = true;
  if (!answered_) return cancel();
  send_bye(q850);
}

}  // namespace sb::gateway
