// reuseport.h: several threads reading one UDP SIP listener. The listener sofia-sip bound (the
// main engine's) is put into an SO_REUSEPORT group with "twin" sockets bound to the same
// address, one per REGISTER worker (register_workers.h), and a classic BPF program attached to
// the group chooses the socket for each datagram the kernel receives: a datagram whose payload
// starts with "REGI" (a REGISTER) goes to a twin (a worker's socket) chosen at random — not by its
// source address, since a registrar behind an edge proxy (or a load generator) receives every
// REGISTER from one address and port — and every other datagram (other requests, and the
// responses to the main engine's client transactions) to the group's first socket, the main
// engine's.
//
// Threading: any thread (plain socket calls); the caller owns the descriptors it gets.
#pragma once

#include <string>

namespace sb::gateway {

/// Makes `fd` (a bound UDP socket) the first of an SO_REUSEPORT group and returns a new socket
/// bound to the same address in that group, with `fd`'s options (non-blocking, close-on-exec,
/// buffer sizes, IP_RECVERR, path-MTU discovery off, IPV6_V6ONLY). -1 and `*why` on failure.
int make_reuseport_twin(int fd, std::string* why);

/// Attaches the steering program (see above) to `fd`'s SO_REUSEPORT group of `sockets` sockets
/// (all bound already); false and `*why` when the kernel refuses it.
bool steer_requests_to_first(int fd, unsigned sockets, std::string* why);

}  // namespace sb::gateway
