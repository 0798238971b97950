// sip_cause.h: the SIP request behind an event, in the shape SER's exec module gave programs
// (mi::SipCause: every header, the transaction and dialog ids, the source address, the request
// URI and its user part), built only when an exec subscriber wants it (EventBus::wants_cause).
// Threading: engine thread (reads the request while it is handled).
#pragma once

#include <memory>

#include "gateway/sip/sofia.h"
#include "mi/event_bus.h"

namespace sb::gateway {

/// The request `msg`/`sip` as a SipCause (headers as sent, at most 64 of them, 8 KiB each).
std::shared_ptr<const mi::SipCause> sip_cause(msg_t* msg, const sip_t* sip);

}  // namespace sb::gateway
