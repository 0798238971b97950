// virtual_line.h: the `virtual` port driver's call leg — a line simulator for demos and tests.
// Dialled with an offer, it rings (180), then answers with an SDP answer built from the offer
// (first offered audio codec, media direction mirrored; no media is sent), rings forever, or
// rejects with its Q.850 cause (mapped to a SIP status by the cause map), after the port's
// configured delays. An answered line may hang up by itself after `hangup_after_ms`.
//
// Threading: engine thread only; reports come from EngineTimer callbacks (never re-entrant).
#pragma once

#include <memory>
#include <string>

#include "gateway/calls/leg.h"
#include "gateway/engine/engine_timer.h"
#include "gateway/ports/ports.h"

namespace sb::gateway {

class CauseMap;

/// An SDP answer to `offer` (or, for an empty offer, an offer of our own) from a line that
/// carries no media; `media_port` is the port number we announce.
std::string virtual_sdp_answer(const std::string& offer, unsigned media_port);

class VirtualLineLeg : public Leg {
 public:
  VirtualLineLeg(Engine& engine, su_root_t* root, LegObserver& observer, const Port& port, const CauseMap& causes,
                 std::string called);

  std::string kind() const override { return "virtual"; }
  mi::Value describe() const override;
  void dial(const std::string& sdp_offer) override;
  void cancel() override;
  void hangup(int q850) override;
  void reoffer(const std::string& sdp, std::function<void(int, const std::string&)> done) override;

 private:
  void stop();
  LegObserver& observer_;
  const CauseMap& causes_;
  int port_;
  VirtualBehaviour behaviour_;
  std::string called_, state_ = "idle";
  EngineTimer ring_, answer_, end_;
  bool detached_ = false;
};

/// The caller side of a call placed from a virtual port (port_call): the simulated line offers
/// G.711, takes progress and the answer, and hangs up by itself after the port's
/// `hangup_after_ms` once answered (0 = stays up until the far end or call_finish ends it).
class VirtualCallerLeg : public Leg {
 public:
  VirtualCallerLeg(Engine& engine, su_root_t* root, LegObserver& observer, const Port& port, std::string number);

  std::string kind() const override { return "virtual"; }
  mi::Value describe() const override;
  /// The offer the line sends.
  std::string offer() const;
  void send_progress(int status, const std::string& phrase, const std::string& sdp) override;
  void send_answer(const std::string& sdp) override;
  void send_reject(int status, const std::string& phrase, int q850) override;
  void hangup(int q850) override;
  void reoffer(const std::string& sdp, std::function<void(int, const std::string&)> done) override;

 private:
  LegObserver& observer_;
  int port_;
  unsigned hangup_after_ms_;
  std::string number_, state_ = "calling";
  EngineTimer end_;
  bool detached_ = false;
};

}  // namespace sb::gateway
