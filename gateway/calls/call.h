// call.h: one call of the B2BUA — its origin, route, legs, times and attempts. The Call is the
// observer of its legs and forwards their reports to Calls (calls.cpp), which owns the logic.
// Legs replaced by failover are retired: destroyed on a later loop turn, because the report
// that replaced them may still be running inside the old leg's callback.
// Threading: engine thread only.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/calls/calls.h"
#include "gateway/calls/leg.h"
#include "gateway/engine/engine.h"
#include "gateway/engine/engine_timer.h"

namespace sb::gateway {

struct Call final : LegObserver {
  Call(Calls& owner, std::uint64_t call_id, su_root_t* root)
      : calls(owner), id(call_id), ring_timer(owner.engine_, root) {}

  Calls& calls;
  std::uint64_t id;
  CallOrigin origin;
  std::string caller, caller_display, caller_host, called;  ///< as received
  std::optional<CallRoute> route;                           ///< the rule being tried / that connected
  std::size_t next_index = 0;
  std::string state = "routing";  ///< routing, ringing, early, answered, ended
  std::string target;             ///< user:aor | account:name | port:N
  std::vector<int> target_failover;  ///< the account's own failover_causes (account and sip port targets)
  int port = 0;                   ///< the port carrying the outbound leg (0 = none)
  int from_port = 0;              ///< the port the call came from (port_call; 0 = none)
  std::string offer;              ///< the caller's SDP offer
  std::unique_ptr<Leg> a, b;
  std::int64_t start_ms = 0, ring_ms = 0, answer_ms = 0, end_ms = 0;
  std::int64_t cdr_row = 0;  ///< its CDR row, written when the call starts (0: not written)
  int final_status = 0, cause = 0;
  std::string reason;
  int last_status = 0, last_cause = 0;
  std::string last_phrase;
  mi::Value attempts = mi::Value::array();
  EngineTimer ring_timer;

  void retire(std::unique_ptr<Leg> leg) {
    if (!leg) return;
    std::shared_ptr<Leg> dead(std::move(leg));
    calls.engine_.defer([dead] {});
  }

  Leg* other(Leg& leg) { return &leg == a.get() ? b.get() : a.get(); }
  bool current(Leg& leg) const { return &leg == a.get() || &leg == b.get(); }

  void leg_progress(Leg& leg, int status, const std::string& phrase, const std::string& sdp) override {
    if (&leg == b.get()) calls.on_progress(*this, status, phrase, sdp);
  }
  void leg_answered(Leg& leg, const std::string& sdp) override {
    if (&leg == b.get() && state != "ended") calls.on_answered(*this, sdp);
  }
  void leg_failed(Leg& leg, int status, const std::string& phrase, int q850) override {
    if (&leg == b.get() && state != "ended" && state != "answered") calls.on_failed(*this, status, phrase, q850);
  }
  void leg_cancelled(Leg& leg) override {
    if (&leg != a.get() || state == "ended") return;
    if (b) b->cancel();
    calls.end_call(*this, 487, 16, "cancelled by the caller");
  }
  void leg_hungup(Leg& leg, int q850) override {
    if (!current(leg) || state == "ended") return;
    if (Leg* o = other(leg)) o->hangup(q850);
    calls.end_call(*this, 200, q850, &leg == a.get() ? "caller hung up" : "callee hung up");
  }
  void leg_reoffer(Leg& leg, const std::string& sdp, std::function<void(int, const std::string&)> answer) override {
    Leg* o = current(leg) && state == "answered" ? other(leg) : nullptr;
    if (!o) return answer(491, {});
    o->reoffer(sdp, std::move(answer));
  }
};

}  // namespace sb::gateway
