// register_receiver.cpp: see register_receiver.h.
#include "gateway/sip/sofia.h"  // first: sofia's magic types

#include "gateway/registrar/register_receiver.h"

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/sip_util.h>
#include <sofia-sip/su_string.h>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "gateway/registrar/registrar.h"

namespace sb::gateway {

namespace {
/// The listener a request came on rides in its address info's ai_flags, which sofia-sip does
/// not use for a message it did not receive itself: a reply sent after the commit needs it.
void set_listener(msg_t* msg, std::size_t index) { msg_addrinfo(msg)->ai_flags = static_cast<int>(index); }
std::size_t listener_of(msg_t* msg) { return static_cast<std::size_t>(msg_addrinfo(msg)->ai_flags); }
}  // namespace

RegisterReceiver::RegisterReceiver(std::vector<SharedListener> sockets, const SipConfig& config,
                                   mi::Statistics& stats)
    : server_(config.server_name), overload_pct_(config.overload_backlog_pct),
      rcv_requests_(stats.counter("core", "rcv_requests")),
      rcv_replies_(stats.counter("core", "rcv_replies")),
      unsupported_(stats.counter("core", "unsupported_methods")),
      overload_rejected_(stats.counter("core", "overload_rejected")),
      err_requests_(stats.counter("core", "err_requests")) {
  std::vector<int> fds;
  for (auto& s : sockets) {
    listeners_.push_back(std::make_unique<Listener>(Listener{this, listeners_.size(), s.name, s.fd}));
    fds.push_back(s.fd);
  }
  backlog_.watch(std::move(fds));
}

RegisterReceiver::~RegisterReceiver() {
  for (auto& l : listeners_) {
    if (root_ && l->registration >= 0) su_root_deregister(root_, l->registration);
    if (l->fd >= 0) ::close(l->fd);
  }
}

void RegisterReceiver::start(su_root_t* root, Registrar& registrar) {
  root_ = root;
  registrar_ = &registrar;
  buffers_.reset(new char[kBatch * kMaxDatagram]);
  for (auto& l : listeners_) {
    // ICMP errors (a client gone) would wake the loop with POLLERR until read from the error
    // queue; a stateless registrar has no use for them.
    int off = 0;
    ::setsockopt(l->fd, IPPROTO_IP, IP_RECVERR, &off, sizeof off);
    ::setsockopt(l->fd, IPPROTO_IPV6, IPV6_RECVERR, &off, sizeof off);
    su_wait_t wait[1] = {};
    if (su_wait_create(wait, l->fd, SU_WAIT_IN) != 0)
      throw std::runtime_error(fmt::format("{}: su_wait_create failed", l->name));
    l->registration = su_root_register(root, wait, &RegisterReceiver::on_readable, l.get(), 0);
    if (l->registration < 0) throw std::runtime_error(fmt::format("{}: su_root_register failed", l->name));
  }
}

int RegisterReceiver::on_readable(void* /*magic*/, pollfd* wait, void* arg) {
  auto* l = static_cast<Listener*>(arg);
  if (wait->revents & POLLERR) l->self->drain_errors(l->fd);
  l->self->read(*l);
  return 0;
}

void RegisterReceiver::drain_errors(int fd) {
  char buf[512];
  for (int i = 0; i < 64; ++i) {
    iovec iov{buf, sizeof buf};
    msghdr h{};
    h.msg_iov = &iov;
    h.msg_iovlen = 1;
    if (::recvmsg(fd, &h, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) break;
  }
}

void RegisterReceiver::read(Listener& l) {
  mmsghdr msgs[kBatch];
  iovec iov[kBatch];
  sockaddr_storage from[kBatch];
  // A few batches per wake-up at most, so that the engine's jobs (commit reports) take turns.
  for (int round = 0; round < 4; ++round) {
    std::memset(msgs, 0, sizeof msgs);
    for (std::size_t i = 0; i < kBatch; ++i) {
      iov[i] = {buffers_.get() + i * kMaxDatagram, kMaxDatagram};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    }
    int n = ::recvmmsg(l.fd, msgs, kBatch, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) spdlog::debug("sip: {}: recvmmsg: {}", l.name, std::strerror(errno));
      break;
    }
    // A full batch: more may be waiting, and the backlog decides whether this batch is refused.
    // (A batch that is not full emptied the socket: nothing is behind. A getsockopt for every
    // batch cost ~30 % of the throughput at 16 in flight.)
    const bool full = static_cast<std::size_t>(n) == kBatch;
    overloaded_ = full && backlog_.over(overload_pct_);
    for (int i = 0; i < n; ++i) {
      handle(l, static_cast<const char*>(iov[i].iov_base), msgs[i].msg_len,
             reinterpret_cast<const sockaddr*>(&from[i]), msgs[i].msg_hdr.msg_namelen);
    }
    flush();
    if (!full) break;
  }
}

void RegisterReceiver::handle(Listener& l, const char* data, std::size_t length, const sockaddr* from,
                              socklen_t from_length) {
  if (length == 0 || (from->sa_family != AF_INET && from->sa_family != AF_INET6)) return;
  // Keep-alive CRLFs (RFC 5626) carry no message.
  if (std::all_of(data, data + length, [](char c) { return c == '\r' || c == '\n'; })) return;
  msg_t* msg = msg_make(sip_default_mclass(), 0, data, static_cast<isize_t>(length));
  if (!msg) {
    err_requests_.inc();
    return;
  }
  msg_set_address(msg, reinterpret_cast<const su_sockaddr_t*>(from), from_length);
  su_addrinfo_t* ai = msg_addrinfo(msg);
  ai->ai_family = from->sa_family;
  ai->ai_socktype = SOCK_DGRAM;
  ai->ai_protocol = IPPROTO_UDP;
  set_listener(msg, l.index);
  sip_t* sip = sip_object(msg);
  if (!sip || !sip->sip_request) {
    if (sip && sip->sip_status) rcv_replies_.inc();  // to the main engine's transactions: not ours
    else err_requests_.inc();
    msg_destroy(msg);
    return;
  }
  if (!sip->sip_via) {  // nowhere to answer: dropped, as sofia-sip's agent drops it
    err_requests_.inc();
    msg_destroy(msg);
    return;
  }
  rcv_requests_.inc();
  const sip_method_t method = sip->sip_request->rq_method;
  if (method == sip_method_ack) {
    msg_destroy(msg);
    return;
  }
  if (!su_casematch(sip->sip_request->rq_version, sip_version_2_0)) {
    reply(msg, SIP_505_VERSION_NOT_SUPPORTED);
    return;
  }
  // What sofia-sip's agent refuses before any handler sees the request: a body shorter than
  // its Content-Length (truncated), or a message the parser gave up on.
  if (msg_get_flags(msg, MSG_FLG_TRUNC)) {
    reply(msg, 400, "Bad Request (Content-Length beyond the datagram)");
    return;
  }
  // A message the parser gave up on, or without the headers every request needs (From, To,
  // Call-ID, a CSeq of its own method; sip_sanity_check, as sofia-sip's agent checks).
  if ((msg_has_error(msg) && !sip->sip_error) || sip_sanity_check(sip) < 0) {
    reply(msg, SIP_400_BAD_REQUEST);
    return;
  }
  if (method == sip_method_cancel) {
    reply(msg, SIP_481_NO_TRANSACTION);
    return;
  }
  if (draining_) {
    reply(msg, SIP_503_SERVICE_UNAVAILABLE, "Retry-After: 5");
    return;
  }
  if (overloaded_) {
    overload_rejected_.inc();
    reply(msg, SIP_503_SERVICE_UNAVAILABLE, "Retry-After: 5");
    return;
  }
  if (method != sip_method_register) {
    unsupported_.inc();
    reply(msg, SIP_405_METHOD_NOT_ALLOWED, "Allow: REGISTER");
    return;
  }
  try {
    registrar_->handle(msg, sip);
  } catch (const std::exception& e) {
    // The registrar may already have consumed msg; nothing safe to answer with here.
    spdlog::error("sip: REGISTER worker: {}", e.what());
  }
}

int RegisterReceiver::reply(msg_t* msg, int status, const char* phrase, const std::string& extra) {
  su_addrinfo_t* ai = msg_addrinfo(msg);
  const std::size_t index = listener_of(msg);
  Outgoing out{index < listeners_.size() ? listeners_[index]->fd : -1, {}, {}};
  out.bytes.reserve(512 + extra.size());
  if (out.fd >= 0 && ai && ai->ai_addr &&
      make_stateless_reply(sip_object(msg), msg_home(msg), ai->ai_addr, status, phrase, extra, server_, out.bytes,
                           out.to)) {
    outbox_.push_back(std::move(out));
  } else {
    err_requests_.inc();  // no Via to answer to
  }
  msg_destroy(msg);
  return status;
}

std::string RegisterReceiver::arrival_socket(msg_t* msg) {
  std::size_t index = listener_of(msg);
  return index < listeners_.size() ? listeners_[index]->name : std::string();
}

void RegisterReceiver::flush() {
  std::size_t at = 0;
  while (at < outbox_.size()) {
    // The longest run of replies from one socket, at most kBatch, in one sendmmsg.
    const int fd = outbox_[at].fd;
    std::size_t end = at;
    mmsghdr msgs[kBatch];
    iovec iov[kBatch];
    std::memset(msgs, 0, sizeof msgs);
    while (end < outbox_.size() && end - at < kBatch && outbox_[end].fd == fd) {
      Outgoing& o = outbox_[end];
      iov[end - at] = {o.bytes.data(), o.bytes.size()};
      msgs[end - at].msg_hdr.msg_iov = &iov[end - at];
      msgs[end - at].msg_hdr.msg_iovlen = 1;
      msgs[end - at].msg_hdr.msg_name = &o.to.addr;
      msgs[end - at].msg_hdr.msg_namelen = o.to.length;
      ++end;
    }
    std::size_t sent = 0;
    int waits = 0;
    while (sent < end - at) {
      int n = ::sendmmsg(fd, msgs + sent, static_cast<unsigned>(end - at - sent), 0);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && waits++ < 10) {
        pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, 10);  // the send buffer is full: a few milliseconds for it to drain
        continue;
      }
      // This reply cannot be sent (no route, too large): the client retransmits; the rest go on.
      spdlog::debug("sip: REGISTER worker: sendmmsg: {}", std::strerror(errno));
      ++sent;
    }
    at = end;
  }
  outbox_.clear();
}

}  // namespace sb::gateway
