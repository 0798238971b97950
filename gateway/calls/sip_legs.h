// sip_legs.h: the SIP sides of a call on nta (sofia-sip's transaction layer): a server dialog
// for the caller's INVITE (SipInboundLeg) and a client dialog we dial (SipOutboundLeg).
//
// The inbound leg turns the stateless agent callback's INVITE into a server transaction on a
// dialog leg of ours (nta_incoming_create); later requests of that dialog (ACK, BYE, re-INVITE)
// reach the leg's callback because nta matches dialogs before the agent callback. CANCEL is
// answered by nta (200, and 487 for the INVITE), which tells us through the transaction callback.
// The outbound leg sends the INVITE, answers 401/407 once per challenge through the Authorizer,
// ACKs the 2xx on its dialog, and BYEs a 2xx that arrives after it was cancelled.
//
// Threading: engine thread only. Destroying a leg destroys its nta objects: no callback reaches
// it afterwards. Never destroy a leg from inside one of its callbacks (the Call defers it).
// Work a leg defers to a later loop turn holds a weak_ptr to the leg's life token, never a bare
// `this`: if the leg was destroyed (or detached) in between, the job does nothing.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "gateway/calls/leg.h"

struct msg_s;
struct sip_s;
struct nta_leg_s;
struct nta_incoming_s;
struct nta_outgoing_s;

namespace sb::gateway {

class SipStack;
class Engine;

/// Answers a digest challenge (a 401/407 `reply`) to `method` `uri`: {header name, value}, or
/// nullopt when it cannot (no credentials, unsupported scheme).
using Authorizer =
    std::function<std::optional<std::pair<std::string, std::string>>(const sip_s* reply, const std::string& method,
                                                                       const std::string& uri)>;

/// What both SIP legs share once a dialog exists: in-dialog requests from the far end (ACK, BYE,
/// re-INVITE relayed to the observer, OPTIONS/INFO/UPDATE answered 200), our BYE, and our
/// re-INVITE with its ACK.
class SipDialogLeg : public Leg {
 public:
  ~SipDialogLeg() override;
  std::string kind() const override { return "sip"; }
  void reoffer(const std::string& sdp, std::function<void(int, const std::string&)> done) override;

 protected:
  SipDialogLeg(SipStack& stack, Engine& engine, LegObserver& observer)
      : stack_(stack), engine_(engine), observer_(observer) {}
  /// True once the dialog is confirmed enough to take a re-INVITE.
  virtual bool established() const = 0;
  static int on_request(void* magic, nta_leg_s* leg, nta_incoming_s* irq, const sip_s* sip);
  static int on_out_response(void* magic, nta_outgoing_s* orq, const sip_s* sip);
  int handle_request(nta_incoming_s* irq, const sip_s* sip);
  void send_bye(int q850);

  SipStack& stack_;
  Engine& engine_;
  LegObserver& observer_;
  nta_leg_s* leg_ = nullptr;
  nta_outgoing_s* out_ = nullptr;       ///< our BYE or re-INVITE
  nta_incoming_s* reinvite_ = nullptr;  ///< the far end's re-INVITE waiting for the other side
  std::function<void(int, const std::string&)> reoffer_done_;
  std::string call_id_, contact_, state_;
  bool detached_ = false;  ///< the Call hung up / cancelled: report nothing more
  bool out_is_invite_ = false;
};

class SipInboundLeg : public SipDialogLeg {
 public:
  /// Takes `msg` (an initial INVITE) over: on failure (nullptr from create()) it was answered 500.
  static std::unique_ptr<SipInboundLeg> create(SipStack& stack, Engine& engine, LegObserver& observer,
                                               msg_s* msg, sip_s* sip);
  ~SipInboundLeg() override;

  mi::Value describe() const override;
  void send_progress(int status, const std::string& phrase, const std::string& sdp) override;
  void send_answer(const std::string& sdp) override;
  void send_reject(int status, const std::string& phrase, int q850) override;
  void hangup(int q850) override;

  const std::string& call_id() const { return call_id_; }
  const std::string& source() const { return source_; }  ///< "ip:port" the INVITE came from

 private:
  SipInboundLeg(SipStack& stack, Engine& engine, LegObserver& observer) : SipDialogLeg(stack, engine, observer) {
    state_ = "incoming";
  }
  bool established() const override { return !detached_; }
  static int on_ack_cancel(void* magic, nta_incoming_s* irq, const sip_s* sip);

  nta_incoming_s* invite_ = nullptr;  ///< the initial INVITE
  std::string from_, to_, source_;
};

struct SipDialTarget {
  std::string ruri;      ///< Request-URI
  std::string next_hop;  ///< route URL, or empty (the Request-URI is resolved)
  std::string from;      ///< From header value without tag, e.g. "\"100\" <sip:100@example.com>"
  std::string to;        ///< To header value
  std::string transport = "udp";  ///< which of our listeners (Contact)
  Authorizer authorizer;  ///< may be empty
  std::string description;  ///< "user alice@example.com", "account trunk1" (call_show)
};

class SipOutboundLeg : public SipDialogLeg {
 public:
  SipOutboundLeg(SipStack& stack, Engine& engine, LegObserver& observer, SipDialTarget target);
  ~SipOutboundLeg() override;

  mi::Value describe() const override;
  void dial(const std::string& sdp_offer) override;
  void cancel() override;
  void hangup(int q850) override;

 private:
  bool established() const override { return answered_ && !detached_; }
  /// Reports leg_failed on a later loop turn (not inside dial()), if the leg still exists then.
  void fail_later(int status, const char* phrase);
  std::shared_ptr<const int> life_ = std::make_shared<const int>(0);  ///< expires with the leg
  static int on_response(void* magic, nta_outgoing_s* orq, const sip_s* sip);
  void send_invite(const std::string& auth_header);
  void ack(const sip_s* sip);

  SipDialTarget target_;
  std::string sdp_;
  nta_outgoing_s* invite_ = nullptr;
  int auth_attempts_ = 0;
  int last_status_ = 0;
  bool answered_ = false, cancelled_ = false;
};

/// The SDP body of a message, or "" when it has none.
std::string sdp_of(const sip_s* sip);
/// The Q.850 cause of a Reason header ("Q.850;cause=17"), or 0.
int reason_cause(const sip_s* sip);

}  // namespace sb::gateway
