// call_events.cpp: see call_events.h.
#include "gateway/sip/sofia.h"  // first: sofia's magic types (call.h reaches sofia)

#include "gateway/calls/call_events.h"

#include "gateway/calls/call.h"
#include "mi/reply_schema.h"

namespace sb::gateway {

namespace {

using namespace mi::schema;

mi::Value nullable_int(std::int64_t v) { return v ? mi::Value(v) : mi::Value(nullptr); }

}  // namespace

CallEvents::CallEvents(mi::EventRegistry& r) {
  state_ = &r.add(
      {.name = "E_CALL_STATE", .module = "calls",
       .summary = "A call changed state: new, ringing (180), early (183 with media), answered, ended",
       .params = object({{"call", uint("the call's id (call_list, CDR call_id)")},
                         {"state", enum_of({"new", "ringing", "early", "answered", "ended"}, "the state it entered")},
                         {"source", str("where it came from: subscriber:<aor>, account:<name>, port:<n>")},
                         {"caller", str("calling number as received")},
                         {"called", str("called number as received")},
                         {"new_caller", nullable(str("calling number after the dialplan"))},
                         {"new_called", nullable(str("called number after the dialplan"))},
                         {"rule", nullable(integer("the dialplan rule routing it"))},
                         {"target", str("user:<aor>, account:<name> or port:<n>; empty while routing")},
                         {"port", nullable(uint("the port carrying it out"))},
                         {"status", nullable(uint("ended: the final SIP status"))},
                         {"cause", nullable(uint("ended: the Q.850 cause"))},
                         {"reason", nullable(str("ended: the reason phrase"))}}),
       .from_sip_request = true});
  cdr_ = &r.add({.name = "E_CDR", .module = "calls",
                 .summary = "A call's CDR was committed (the call ended)",
                 .params = object({{"id", uint("the CDR row id")},
                                   {"call_id", uint("the call's id")},
                                   {"start_ms", integer("unix ms the INVITE came")},
                                   {"answer_ms", integer("unix ms it was answered; 0 = never")},
                                   {"end_ms", integer("unix ms it ended")},
                                   {"duration_ms", integer("answered time in ms")},
                                   {"source", str("subscriber:<aor>, account:<name>, port:<n>")},
                                   {"caller", str("calling number as received")},
                                   {"called", str("called number as received")},
                                   {"new_caller", str("after the dialplan (empty: none matched)")},
                                   {"new_called", str("after the dialplan")},
                                   {"target", str("user:<aor>, account:<name> or port:<n>")},
                                   {"rule_id", integer("the dialplan rule (0: none)")},
                                   {"sip_code", integer("final SIP status")},
                                   {"cause", integer("Q.850 cause")},
                                   {"reason", str("the final reason phrase")}})});
}

void CallEvents::state(const Call& c, std::shared_ptr<const mi::SipCause> cause) const {
  if (!bus_) return;
  if (!bus_->wanted(*state_)) return;
  bool ended = c.state == "ended";
  mi::Value p{{"call", c.id},
              {"state", c.state == "routing" ? std::string("new") : c.state},
              {"source", c.origin.kind + ":" + c.origin.id},
              {"caller", c.caller},
              {"called", c.called},
              {"new_caller", c.route ? mi::Value(c.route->caller) : mi::Value(nullptr)},
              {"new_called", c.route ? mi::Value(c.route->called) : mi::Value(nullptr)},
              {"rule", c.route ? nullable_int(c.route->rule_id) : mi::Value(nullptr)},
              {"target", c.target},
              {"port", nullable_int(c.port)},
              {"status", ended ? mi::Value(c.final_status) : mi::Value(nullptr)},
              {"cause", ended ? mi::Value(c.cause) : mi::Value(nullptr)},
              {"reason", ended ? mi::Value(c.reason) : mi::Value(nullptr)}};
  bus_->raise(*state_, std::move(p), std::move(cause));
}

void CallEvents::cdr(const Call& c, std::int64_t row) const {
  if (!bus_) return;
  bus_->raise_if(*cdr_, [&] {
    return mi::Value{{"id", row},
                     {"call_id", c.id},
                     {"start_ms", c.start_ms},
                     {"answer_ms", c.answer_ms},
                     {"end_ms", c.end_ms},
                     {"duration_ms", c.answer_ms ? c.end_ms - c.answer_ms : std::int64_t{0}},
                     {"source", c.origin.kind + ":" + c.origin.id},
                     {"caller", c.caller},
                     {"called", c.called},
                     {"new_caller", c.route ? c.route->caller : std::string()},
                     {"new_called", c.route ? c.route->called : std::string()},
                     {"target", c.target},
                     {"rule_id", c.route ? c.route->rule_id : std::int64_t{0}},
                     {"sip_code", c.final_status},
                     {"cause", c.cause},
                     {"reason", c.reason}};
  });
}

}  // namespace sb::gateway
