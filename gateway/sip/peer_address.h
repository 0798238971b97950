// peer_address.h: where a received SIP message really came from — the packet's source address
// and port as the socket reported them (sofia's msg_addrinfo), never the Via header the sender
// wrote. Used to match trunks, to rate-limit authentication failures and to log attackers.
//
// Threading: pure functions on a message owned by the caller (engine thread).
#pragma once

#include <string>

struct msg_s;

namespace sb::gateway {

struct PeerAddress {
  std::string ip;        ///< "127.0.0.1", "::1"; empty when unknown
  unsigned port = 0;
  bool tcp = false;
  /// "1.2.3.4:5060" or "[::1]:5060"
  std::string host_port() const;
};

PeerAddress peer_address(msg_s* msg);

}  // namespace sb::gateway
