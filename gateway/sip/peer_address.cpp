// peer_address.cpp: a message's source address from sofia's msg_addrinfo.
#include "gateway/sip/sofia.h"  // first: sofia's magic types

#include "gateway/sip/peer_address.h"

#include <sofia-sip/msg_addr.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <fmt/format.h>

namespace sb::gateway {

std::string PeerAddress::host_port() const {
  return ip.find(':') != std::string::npos ? fmt::format("[{}]:{}", ip, port) : fmt::format("{}:{}", ip, port);
}

PeerAddress peer_address(msg_t* msg) {
  PeerAddress out;
  su_addrinfo_t* ai = msg ? msg_addrinfo(msg) : nullptr;
  if (!ai || !ai->ai_addr) return out;
  char host[INET6_ADDRSTRLEN] = "";
  if (ai->ai_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(ai->ai_addr);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    out.port = ntohs(in->sin_port);
  } else if (ai->ai_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(ai->ai_addr);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    out.port = ntohs(in6->sin6_port);
  }
  out.ip = host;
  out.tcp = ai->ai_protocol == IPPROTO_TCP;
  return out;
}

}  // namespace sb::gateway
