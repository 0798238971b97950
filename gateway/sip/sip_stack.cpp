// sip_stack.cpp: nta agent set-up, listeners, request routing by method, OPTIONS.
#include "gateway/sip/sofia.h"  // first: sofia's magic types

#include "gateway/sip/sip_stack.h"

#include <sofia-sip/nta_stateless.h>
#include <sofia-sip/tport.h>
#include <sofia-sip/tport_tag.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "transports/net/address.h"

namespace sb::gateway {

std::string listen_to_url(const std::string& listen, std::string* why) {
  auto colon = listen.find(':');
  std::string proto = colon == std::string::npos ? std::string() : listen.substr(0, colon);
  if (proto != "udp" && proto != "tcp") {
    if (why) *why = fmt::format("'{}': expected udp:HOST:PORT or tcp:HOST:PORT", listen);
    return {};
  }
  std::string hostport = listen.substr(colon + 1);
  std::string reason;
  auto addr = transports::parse_host_port(hostport, &reason);
  if (!addr) {
    if (why) *why = fmt::format("'{}': {}", listen, reason);
    return {};
  }
  // An IPv6 host must be bracketed in a SIP URI ("::1:5060" → "[::1]:5060").
  auto last = hostport.rfind(':');
  std::string host = hostport.substr(0, last);
  if (host.find(':') != std::string::npos && host.front() != '[')
    hostport = "[" + host + "]" + hostport.substr(last);
  return fmt::format("sip:{};transport={}", hostport, proto);
}

std::vector<std::string> parse_listen_list(const std::string& value) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= value.size()) {
    auto comma = value.find(',', start);
    std::string item = value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    auto b = item.find_first_not_of(" \t");
    auto e = item.find_last_not_of(" \t");
    item = b == std::string::npos ? std::string() : item.substr(b, e - b + 1);
    if (!item.empty()) {
      std::string why;
      if (listen_to_url(item, &why).empty()) throw std::invalid_argument(why);
      out.push_back(item);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

namespace {
/// Why listener `listen` ("udp:127.0.0.1:5060") cannot be bound: sofia-sip does not keep the
/// bind's errno (errno is clobbered by its clean-up, e.g. "Bad address"), so bind a probe socket
/// of the same kind to the same address and report its error.
std::string bind_error(const std::string& listen) {
  auto colon = listen.find(':');
  if (colon == std::string::npos) return "cannot bind";
  auto addr = transports::parse_host_port(listen.substr(colon + 1));
  if (!addr) return "cannot bind";
  int type = listen.compare(0, colon, "tcp") == 0 ? SOCK_STREAM : SOCK_DGRAM;
  int fd = ::socket(addr->family(), type | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::strerror(errno);
  int err = ::bind(fd, addr->get(), addr->length) == 0 ? 0 : errno;
  ::close(fd);
  return err ? std::strerror(err) : "cannot bind (sofia-sip refused the address)";
}
}  // namespace

SipStack::SipStack(SipConfig config, mi::Statistics& stats)
    : config_(std::move(config)),
      rcv_requests_(stats.counter("core", "rcv_requests")),
      rcv_replies_(stats.counter("core", "rcv_replies")),
      unsupported_(stats.counter("core", "unsupported_methods")),
      overload_rejected_(stats.counter("core", "overload_rejected")) {}

SipStack::~SipStack() { destroy(); }

void SipStack::start(su_root_t* root) {
  if (config_.listen.empty()) throw std::runtime_error("sip.listen is empty: nothing to listen on");
  std::string why;
  std::string first = listen_to_url(config_.listen.front(), &why);
  if (first.empty()) throw std::runtime_error(fmt::format("sip.listen: {}", why));
  agent_ = nta_agent_create(root, URL_STRING_MAKE(first.c_str()), &SipStack::on_message, this,
                            NTATAG_SIP_T1(config_.t1_ms), NTATAG_SIP_T1X64(64 * config_.t1_ms), NTATAG_UA(0), NTATAG_SERVER_RPORT(1),
                            NTATAG_TAG_3261(1), TPTAG_IDENT("sb0"), TAG_END());
  if (!agent_)
    throw std::runtime_error(
        fmt::format("cannot listen for SIP on {}: {}", config_.listen.front(), bind_error(config_.listen.front())));
  for (std::size_t i = 1; i < config_.listen.size(); ++i) {
    std::string url = listen_to_url(config_.listen[i], &why);
    if (url.empty()) throw std::runtime_error(fmt::format("sip.listen: {}", why));
    std::string ident = fmt::format("sb{}", i);
    if (nta_agent_add_tport(agent_, URL_STRING_MAKE(url.c_str()), TPTAG_IDENT(ident.c_str()), TAG_END()) < 0)
      throw std::runtime_error(
          fmt::format("cannot listen for SIP on {}: {}", config_.listen[i], bind_error(config_.listen[i])));
  }
  on_method("OPTIONS", [this](msg_t* msg, sip_t*) {
    return reply(msg, 200, "OK", "Allow: " + allow() + "\r\nAccept: application/sdp");
  });

  listening_.clear();
  for (tport_t* tp = tport_primaries(nta_agent_tports(agent_)); tp; tp = tport_next(tp)) {
    const tp_name_t* n = tport_name(tp);
    if (!n) continue;
    std::string host = n->tpn_host ? n->tpn_host : "";
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    listening_.push_back(fmt::format("{}:{}:{}", n->tpn_proto ? n->tpn_proto : "?", host,
                                     n->tpn_port ? n->tpn_port : "?"));
    if (n->tpn_ident) ident_of_[listening_.back()] = n->tpn_ident;
  }
  std::vector<std::pair<std::string, std::string>> udp;
  for (tport_t* tp = tport_primaries(nta_agent_tports(agent_)); tp; tp = tport_next(tp)) {
    const tp_name_t* n = tport_name(tp);
    if (n && n->tpn_proto && std::string_view(n->tpn_proto) == "udp" && n->tpn_host && n->tpn_port)
      udp.emplace_back(n->tpn_host, n->tpn_port);
  }
  backlog_.find(udp);
  udp_listeners_.clear();
  for (const auto& l : listening_) {
    if (!l.starts_with("udp:")) continue;
    auto last = l.rfind(':');
    std::string host = l.substr(4, last - 4);
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    if (int fd = find_udp_socket(host, l.substr(last + 1)); fd >= 0) udp_listeners_.emplace_back(l, fd);
  }
  if (config_.udp_rcvbuf != 0 && backlog_.sockets() != 0) {
    std::size_t granted = backlog_.set_receive_buffer(config_.udp_rcvbuf);
    // The kernel reports twice what it grants to data (the rest is its bookkeeping).
    if (granted < 2 * config_.udp_rcvbuf)
      spdlog::warn("sip: UDP receive buffer: asked {} kB, the kernel granted {} kB (raise net.core.rmem_max, "
                   "or run with CAP_NET_ADMIN)", config_.udp_rcvbuf / 1024, granted / 2 / 1024);
  }
  if (backlog_.sockets() != udp.size())
    spdlog::warn("sip: found {} of {} UDP listener sockets: overload protection covers those only",
                 backlog_.sockets(), udp.size());
}

std::string SipStack::arrival_socket(msg_t* msg) {
  std::string socket;
  if (tport_t* tp = nta_incoming_transport(agent_, nullptr, msg)) {
    tport_t* primary = tport_is_primary(tp) ? tp : tport_parent(tp);
    if (const tp_name_t* n = primary ? tport_name(primary) : nullptr) {
      std::string port = n->tpn_port ? n->tpn_port : "";
      socket = fmt::format("{}:{}:{}", n->tpn_proto ? n->tpn_proto : "", n->tpn_host ? n->tpn_host : "", port);
    }
    tport_unref(tp);
  }
  return socket;
}

bool SipStack::overloaded() {
  // One getsockopt per 8 requests while all is well (a system call per request is a few per cent
  // of the engine's time); every request while overloaded, so that it ends as soon as it can.
  if (overloaded_ || ++since_backlog_check_ >= 8) {
    since_backlog_check_ = 0;
    overloaded_ = backlog_.over(config_.overload_backlog_pct);
  }
  return overloaded_;
}

std::string SipStack::ident_of(const std::string& socket) const {
  auto it = ident_of_.find(socket);
  return it == ident_of_.end() ? std::string() : it->second;
}

const std::string* SipStack::listener_for(const std::string& proto) const {
  for (const auto& l : listening_)
    if (l.compare(0, proto.size() + 1, proto + ":") == 0) return &l;
  return listening_.empty() ? nullptr : &listening_.front();
}

std::string SipStack::contact_for(const std::string& proto) const {
  const std::string* l = listener_for(proto);
  if (!l) return {};
  std::size_t colon = l->find(':');
  std::string p = l->substr(0, colon);
  std::string uri = "sip:" + l->substr(colon + 1);
  if (p != "udp") uri += ";transport=" + p;
  return uri;
}

void SipStack::close_listeners() {
  if (agent_) nta_agent_close_tports(agent_);
}

void SipStack::destroy() {
  if (agent_) {
    nta_agent_destroy(agent_);
    agent_ = nullptr;
  }
}

void SipStack::on_method(const std::string& method, Handler handler) {
  handlers_[method] = std::move(handler);
}

std::string SipStack::allow() const {
  std::string out;
  for (const auto& [method, h] : handlers_) {
    if (!out.empty()) out += ", ";
    out += method;
  }
  return out;
}

int SipStack::reply(msg_t* msg, int status, const char* phrase, const std::string& extra) {
  nta_msg_treply(agent_, msg, status, phrase, SIPTAG_SERVER_STR(config_.server_name.c_str()),
                 TAG_IF(!extra.empty(), SIPTAG_HEADER_STR(extra.c_str())), TAG_END());
  return status;
}

int SipStack::on_message(void* self, nta_agent_t* /*agent*/, msg_t* msg, sip_t* sip) {
  auto* stack = static_cast<SipStack*>(self);
  if (!sip || !sip->sip_request) {  // a response that matches none of our transactions
    msg_destroy(msg);
    return 0;
  }
  stack->rcv_requests_.inc();
  sip_method_t method = sip->sip_request->rq_method;
  const char* name = sip->sip_request->rq_method_name;
  if (method == sip_method_ack) {  // stray ACK: never answered
    msg_destroy(msg);
    return 0;
  }
  if (method == sip_method_cancel) {  // a CANCEL for no transaction of ours
    stack->reply(msg, SIP_481_NO_TRANSACTION);
    return 0;
  }
  if (stack->draining_) {
    stack->reply(msg, SIP_503_SERVICE_UNAVAILABLE, "Retry-After: 5");
    return 0;
  }
  if (method != sip_method_options && stack->overloaded()) {
    stack->overload_rejected_.inc();
    stack->reply(msg, SIP_503_SERVICE_UNAVAILABLE, "Retry-After: 5");
    return 0;
  }
  auto it = stack->handlers_.find(name ? name : "");
  if (it == stack->handlers_.end()) {
    stack->unsupported_.inc();
    stack->reply(msg, SIP_405_METHOD_NOT_ALLOWED, "Allow: " + stack->allow());
    return 0;
  }
  try {
    it->second(msg, sip);
  } catch (const std::exception& e) {
    // The handler may already have consumed msg; nothing safe to answer with here.
    spdlog::error("sip: {} handler failed: {}", name, e.what());
  }
  return 0;
}

}  // namespace sb::gateway
