// sip_cause.cpp: see sip_cause.h.
#include "gateway/sip/sip_cause.h"

#include <sofia-sip/msg_addr.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

namespace sb::gateway {

namespace {

std::string url_text(const url_t* u) {
  if (!u) return {};
  char buf[2048];
  isize_t n = url_e(buf, sizeof buf, u);
  return n > 0 && static_cast<std::size_t>(n) < sizeof buf ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

std::string source_ip(msg_t* msg) {
  su_addrinfo_t* ai = msg ? msg_addrinfo(msg) : nullptr;
  if (!ai || !ai->ai_addr) return {};
  char host[INET6_ADDRSTRLEN] = "";
  if (ai->ai_family == AF_INET)
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr, host, sizeof host);
  else if (ai->ai_family == AF_INET6)
    ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr, host, sizeof host);
  return host;
}

}  // namespace

std::shared_ptr<const mi::SipCause> sip_cause(msg_t* msg, const sip_t* sip) {
  auto c = std::make_shared<mi::SipCause>();
  if (!sip) return c;
  // Every header after the request line, in order, as "Name: value".
  const msg_header_t* first = sip->sip_request ? reinterpret_cast<const msg_header_t*>(sip->sip_request)->sh_succ
                                               : nullptr;
  std::size_t count = 0;
  for (const msg_header_t* h = first; h && count < 64; h = h->sh_succ) {
    if (h->sh_class->hc_hash == msg_payload_hash || h->sh_class->hc_hash == msg_separator_hash) continue;
    char buf[8192];
    issize_t n = msg_header_e(buf, sizeof buf, h, 0);
    if (n <= 0 || static_cast<std::size_t>(n) >= sizeof buf) continue;
    std::string line(buf, static_cast<std::size_t>(n));
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    c->headers.emplace_back(line.substr(0, colon), std::move(value));
    ++count;
  }
  if (sip->sip_via && sip->sip_via->v_branch) c->tid = sip->sip_via->v_branch;
  if (sip->sip_to && sip->sip_to->a_tag) c->did = sip->sip_to->a_tag;
  c->srcip = source_ip(msg);
  if (sip->sip_request) {
    c->ruri = url_text(sip->sip_request->rq_url);
    if (sip->sip_request->rq_url->url_user) c->user = sip->sip_request->rq_url->url_user;
  }
  c->oruri = c->ruri;  // nothing rewrites the request URI before the events are raised
  c->ouser = c->user;
  return c;
}

}  // namespace sb::gateway
