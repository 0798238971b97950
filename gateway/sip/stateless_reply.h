// stateless_reply.h: a SIP response to a request received over UDP, as the bytes to send and
// the address to send them to, without sofia-sip's transport — what nta_msg_treply() sends for a
// request answered statelessly (RFC 3261 §8.2.6): every Via (the top one with rport=<source
// port> when the client asked for it, RFC 3581, and received=<source address> when its sent-by
// host is another), From, To (with a tag of ours when it had none), Call-ID, CSeq, the extra
// header lines, Server, Content-Length: 0. It goes (RFC 3261 §18.2.2, RFC 3581) to the source
// address, at the source port with rport, else at the top Via's sent-by port (5060 by default).
// Used by the REGISTER workers (register_receiver.h); the request is parsed by sofia-sip.
//
// Threading: any thread (the To-tag generator is per thread).
#pragma once

#include <sys/socket.h>

#include <string>
#include <string_view>

struct sip_s;
struct su_home_s;

namespace sb::gateway {

struct ReplyAddress {
  sockaddr_storage addr{};
  socklen_t length = 0;
};

/// Appends the response to `out` and sets `to`; false (nothing appended) when `sip` has no Via
/// or `source` is not IPv4/IPv6. From, To, Call-ID and CSeq are copied when the request has them.
/// `home` holds the top Via's new parameters (the request's home). `phrase` null: the standard
/// phrase of `status`.
bool make_stateless_reply(sip_s* sip, su_home_s* home, const sockaddr* source, int status, const char* phrase,
                          std::string_view extra, std::string_view server, std::string& out, ReplyAddress& to);

/// A fresh To tag: 12 characters of [0-9A-Za-z] from this thread's generator.
std::string new_to_tag();

}  // namespace sb::gateway
