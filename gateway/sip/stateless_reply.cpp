// stateless_reply.cpp: see stateless_reply.h.
#include "gateway/sip/sofia.h"  // first: sofia's magic types

#include "gateway/sip/stateless_reply.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdlib>
#include <cstring>
#include <random>

#include <sofia-sip/su_string.h>

#include <fmt/format.h>

namespace sb::gateway {

namespace {

/// Appends header `h` as sofia encodes it ("Name: value\r\n"); false when it cannot.
bool append_header(std::string& out, const sip_header_t* h) {
  char buf[1024];
  issize_t n = sip_header_e(buf, sizeof buf, h, 0);
  if (n < 0) return false;
  if (static_cast<std::size_t>(n) < sizeof buf) {
    out.append(buf, static_cast<std::size_t>(n));
    return true;
  }
  std::string big(static_cast<std::size_t>(n) + 1, '\0');
  n = sip_header_e(big.data(), static_cast<isize_t>(big.size()), h, 0);
  if (n < 0 || static_cast<std::size_t>(n) >= big.size()) return false;
  out.append(big.data(), static_cast<std::size_t>(n));
  return true;
}

/// The source address as text (no brackets) and its port.
bool source_text(const sockaddr* source, char (&host)[INET6_ADDRSTRLEN], unsigned* port) {
  if (source->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(source);
    *port = ntohs(in->sin_port);
    return ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host) != nullptr;
  }
  if (source->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(source);
    *port = ntohs(in6->sin6_port);
    return ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host) != nullptr;
  }
  return false;
}

/// The Via's host without IPv6 brackets.
std::string_view via_host(const sip_via_t* v) {
  std::string_view h = v->v_host ? v->v_host : "";
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  return h;
}

}  // namespace

std::string new_to_tag() {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  thread_local std::mt19937_64 gen{std::random_device{}()};
  std::string tag(12, '0');
  for (char& c : tag) c = kAlphabet[gen() % 62];
  return tag;
}

bool make_stateless_reply(sip_t* sip, su_home_t* home, const sockaddr* source, int status, const char* phrase,
                          std::string_view extra, std::string_view server, std::string& out, ReplyAddress& to) {
  if (!sip || !sip->sip_via) return false;
  char host[INET6_ADDRSTRLEN] = "";
  unsigned port = 0;
  if (!source_text(source, host, &port)) return false;
  sip_via_t* top = sip->sip_via;
  // RFC 3581: a client asking for rport gets the port we saw; RFC 3261 §18.2.1: received when
  // the sent-by host is not the address the request came from.
  // Values the client put there itself are replaced (rport) or dropped (received). (sofia
  // keeps a parameter's text by pointer: it lives in the request's home.)
  const bool rport = top->v_rport != nullptr;
  if (rport) msg_header_replace_param(home, top->v_common, su_sprintf(home, "rport=%u", port));
  if (top->v_received) msg_header_remove_param(top->v_common, "received");
  const std::string_view sent_by = via_host(top);
  if (sent_by.size() != std::strlen(host) || !su_casenmatch(sent_by.data(), host, sent_by.size()))
    msg_header_replace_param(home, top->v_common, su_sprintf(home, "received=%s", host));

  const std::size_t start = out.size();
  fmt::format_to(std::back_inserter(out), "SIP/2.0 {} {}\r\n", status,
                 phrase ? phrase : sip_status_phrase(status) ? sip_status_phrase(status) : "");
  bool ok = true;
  for (const sip_via_t* v = sip->sip_via; v && ok; v = v->v_next) ok = append_header(out, reinterpret_cast<const sip_header_t*>(v));
  // A header the request lacks (or sofia could not parse: the 400 says which) is left out, as
  // nta does.
  if (ok && sip->sip_from) ok = append_header(out, reinterpret_cast<const sip_header_t*>(sip->sip_from));
  if (ok && sip->sip_to) {
    ok = append_header(out, reinterpret_cast<const sip_header_t*>(sip->sip_to));
    // A tag of ours, except on a CANCEL's response (as nta).
    const bool cancel = sip->sip_request && sip->sip_request->rq_method == sip_method_cancel;
    if (ok && !sip->sip_to->a_tag && status > 100 && !cancel) out.insert(out.size() - 2, ";tag=" + new_to_tag());
  }
  if (ok && sip->sip_call_id) ok = append_header(out, reinterpret_cast<const sip_header_t*>(sip->sip_call_id));
  if (ok && sip->sip_cseq) ok = append_header(out, reinterpret_cast<const sip_header_t*>(sip->sip_cseq));
  if (!ok) {
    out.resize(start);
    return false;
  }
  if (!extra.empty()) {
    out.append(extra);
    out.append("\r\n");
  }
  if (!server.empty()) fmt::format_to(std::back_inserter(out), "Server: {}\r\n", server);
  out.append("Content-Length: 0\r\n\r\n");

  // Where: the source address, at the source port with rport, else at the sent-by port.
  unsigned dest_port = port;
  if (!rport) {
    dest_port = 5060;
    if (top->v_port && *top->v_port) {
      char* end = nullptr;
      unsigned long p = std::strtoul(top->v_port, &end, 10);
      if (*end == '\0' && p > 0 && p < 65536) dest_port = static_cast<unsigned>(p);
    }
  }
  to = {};
  if (source->sa_family == AF_INET) {
    std::memcpy(&to.addr, source, sizeof(sockaddr_in));
    reinterpret_cast<sockaddr_in*>(&to.addr)->sin_port = htons(static_cast<std::uint16_t>(dest_port));
    to.length = sizeof(sockaddr_in);
  } else {
    std::memcpy(&to.addr, source, sizeof(sockaddr_in6));
    reinterpret_cast<sockaddr_in6*>(&to.addr)->sin6_port = htons(static_cast<std::uint16_t>(dest_port));
    to.length = sizeof(sockaddr_in6);
  }
  return true;
}

}  // namespace sb::gateway
