// leg.h: one side of a call, as the call engine sees it, whatever carries it (a SIP dialog or a
// line interface). The Call drives legs through this interface and hears from them through
// LegObserver; it never sees sofia-sip types.
//
// An inbound ("A") leg is the side the call came from: it is told to send progress, answer or
// reject. An outbound ("B") leg is dialled with the caller's offer and reports progress, answer
// or failure. After the answer both sides can hang up and re-offer media (re-INVITE).
// Once the Call has cancelled or hung up a leg, the leg reports nothing more.
//
// Threading: engine thread only. A leg never calls its observer from inside a method the
// observer called (reports come from network or timer callbacks).
#pragma once

#include <functional>
#include <string>

#include "mi/value.h"

namespace sb::gateway {

class Leg;

class LegObserver {
 public:
  virtual ~LegObserver() = default;
  /// Outbound leg: a provisional response (180/183), with its SDP if any.
  virtual void leg_progress(Leg& leg, int status, const std::string& phrase, const std::string& sdp) = 0;
  /// Outbound leg: answered, with the answer SDP.
  virtual void leg_answered(Leg& leg, const std::string& sdp) = 0;
  /// Outbound leg: failed before the answer (final status ≥ 300, timeout, transport error).
  virtual void leg_failed(Leg& leg, int status, const std::string& phrase, int q850) = 0;
  /// Inbound leg: the caller gave up before the answer (CANCEL).
  virtual void leg_cancelled(Leg& leg) = 0;
  /// Either leg, after the answer: the far end hung up (BYE, line dropped).
  virtual void leg_hungup(Leg& leg, int q850) = 0;
  /// Either leg, after the answer: a new offer (re-INVITE); `answer(status, sdp)` replies to it.
  virtual void leg_reoffer(Leg& leg, const std::string& sdp,
                           std::function<void(int status, const std::string& sdp)> answer) = 0;
};

class Leg {
 public:
  virtual ~Leg() = default;
  /// "sip" or "virtual".
  virtual std::string kind() const = 0;
  /// For call_show: the leg's addresses, identifiers and state.
  virtual mi::Value describe() const = 0;

  // Inbound legs.
  virtual void send_progress(int /*status*/, const std::string& /*phrase*/, const std::string& /*sdp*/) {}
  virtual void send_answer(const std::string& /*sdp*/) {}
  virtual void send_reject(int /*status*/, const std::string& /*phrase*/, int /*q850*/) {}

  // Outbound legs.
  virtual void dial(const std::string& /*sdp_offer*/) {}
  virtual void cancel() {}

  // Both, after the answer.
  virtual void hangup(int q850) = 0;
  virtual void reoffer(const std::string& sdp, std::function<void(int status, const std::string& sdp)> done) = 0;
};

}  // namespace sb::gateway
