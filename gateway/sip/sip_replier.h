// sip_replier.h: what a request handler needs to answer a request it was given, whichever
// transport received it: sofia-sip's agent (SipStack) or a REGISTER worker's own UDP path
// (register_receiver.h).
//
// Threading: the thread that handles the request.
#pragma once

#include <string>

struct msg_s;

namespace sb::gateway {

class SipReplier {
 public:
  /// Answers request `msg` (consumed) with `status`/`phrase` plus a Server header; `extra` are
  /// more header lines ("Name: value", CRLF-separated) to add to the reply. Returns `status`.
  virtual int reply(msg_s* msg, int status, const char* phrase, const std::string& extra = {}) = 0;
  /// The listener a request arrived on, "udp:127.0.0.1:5060" (host unbracketed), as usrloc
  /// records it in a binding's socket; empty when unknown.
  virtual std::string arrival_socket(msg_s* msg) = 0;

 protected:
  ~SipReplier() = default;
};

}  // namespace sb::gateway
