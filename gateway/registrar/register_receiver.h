// register_receiver.h: a REGISTER worker's UDP path (issue #16), without sofia-sip's transport.
// It reads the worker's sockets of the listeners' SO_REUSEPORT groups (reuseport.h) with
// recvmmsg — up to 32 datagrams per system call —, parses each with sofia-sip's SIP parser
// (msg_make), hands each REGISTER to the worker's Registrar, and sends the replies, formatted
// as nta_msg_treply would (stateless_reply.h), with sendmmsg once the batch is handled: two
// system calls per batch instead of five per REGISTER through sofia's transport. A 200 that
// waits for its commit (group commit) is sent when the engine job reporting the commit ends
// (flush(), the engine's after_jobs hook).
//
// Only REGISTERs reach a worker (the group's steering program sends every other datagram to
// the main engine's socket), except in the instant the group is built: another request then
// gets 405, a CANCEL 481, a response or an ACK is dropped, as the main engine would. A datagram
// that is not a SIP request with a Via cannot be answered: it is
// dropped and counted (core:err_requests). Overload (after a full batch, the socket's backlog
// over sip.overload_backlog_pct) and draining answer 503 with Retry-After, as the SIP stack does.
//
// Threading: its engine's thread only (constructed anywhere).
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "gateway/sip/sip_replier.h"
#include "gateway/sip/sip_stack.h"
#include "gateway/sip/stateless_reply.h"
#include "gateway/sip/udp_backlog.h"
#include "mi/statistics.h"

struct su_root_s;
struct pollfd;

namespace sb::gateway {

class Registrar;

class RegisterReceiver final : public SipReplier {
 public:
  /// Datagrams read per recvmmsg, and room for each: the largest UDP payload.
  static constexpr std::size_t kBatch = 32;
  static constexpr std::size_t kMaxDatagram = 65535;

  /// Adopts the sockets (closed by the destructor).
  RegisterReceiver(std::vector<SharedListener> sockets, const SipConfig& config, mi::Statistics& stats);
  ~RegisterReceiver();
  RegisterReceiver(const RegisterReceiver&) = delete;
  RegisterReceiver& operator=(const RegisterReceiver&) = delete;

  /// Starts reading on `root`'s loop, handing REGISTERs to `registrar`. Throws std::runtime_error.
  void start(su_root_s* root, Registrar& registrar);
  /// Stopping: new requests are answered 503 with Retry-After.
  void set_draining(bool on) { draining_ = on; }
  /// Sends every reply queued since the last flush.
  void flush();

  int reply(msg_s* msg, int status, const char* phrase, const std::string& extra = {}) override;
  std::string arrival_socket(msg_s* msg) override;

 private:
  struct Listener {
    RegisterReceiver* self;
    std::size_t index;
    std::string name;  ///< "udp:127.0.0.1:5060", as the main engine's SipStack names it
    int fd;
    int registration = -1;  ///< su_root_register's index
  };
  struct Outgoing {
    int fd;
    ReplyAddress to;
    std::string bytes;
  };
  static int on_readable(void* magic, pollfd* wait, void* arg);
  void read(Listener& l);
  void handle(Listener& l, const char* data, std::size_t length, const sockaddr* from, socklen_t from_length);
  void drain_errors(int fd);

  std::vector<std::unique_ptr<Listener>> listeners_;
  std::string server_;
  unsigned overload_pct_;
  su_root_s* root_ = nullptr;
  Registrar* registrar_ = nullptr;
  bool draining_ = false;
  bool overloaded_ = false;
  UdpBacklog backlog_;
  std::unique_ptr<char[]> buffers_;  ///< kBatch × kMaxDatagram, touched only as far as used
  std::vector<Outgoing> outbox_;
  mi::Stat& rcv_requests_;
  mi::Stat& rcv_replies_;
  mi::Stat& unsupported_;
  mi::Stat& overload_rejected_;
  mi::Stat& err_requests_;
};

}  // namespace sb::gateway
