// sip_stack.h: the nta agent — SIP listeners from `[sip] listen`, the agent callback that
// receives every request that matches no transaction and hands it to the handler registered for
// its method, the built-in OPTIONS answer (keep-alive probes), and the `core:` SIP counters.
//
// Requests are handled statelessly (like Kamailio's sl): a handler answers the message at once
// with nta_msg_treply(), and no server transaction is kept for it, so a burst of REGISTERs costs
// no memory once answered. A handler that needs a transaction (INVITE, later) creates one with
// nta_incoming_create(). Client transactions (t_uac_dlg) are stateful as usual.
//
// Overload: while a UDP listener's receive backlog is above sip.overload_backlog_pct of its
// buffer (udp_backlog.h), new requests other than ACK, CANCEL and OPTIONS are answered
// `503 Service Unavailable` with Retry-After at once (core:overload_rejected) — cheap, so the
// backlog drains — instead of being processed or dropped silently by a full socket buffer.
//
// Threading: engine thread only (constructed anywhere, start()ed and used on the engine thread).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "gateway/sip/sip_replier.h"
#include "gateway/sip/udp_backlog.h"
#include "mi/statistics.h"

struct nta_agent_s;
struct nta_incoming_s;
struct msg_s;
struct su_root_s;
struct sip_s;

namespace sb::gateway {

struct SipConfig {
  std::vector<std::string> listen;  ///< "udp:127.0.0.1:5060", "tcp:[::1]:5060", …
  unsigned t1_ms = 500;             ///< SIP T1; non-INVITE transactions time out after 64*T1
  std::string server_name;          ///< Server / User-Agent header value
  unsigned overload_backlog_pct = 50;  ///< UDP receive backlog (% of the buffer) that means overload
  std::size_t udp_rcvbuf = 0;          ///< bytes asked for each UDP listener's receive buffer (0: kernel's)
};

/// "udp:127.0.0.1:5060" → "sip:127.0.0.1:5060;transport=udp"; empty + `why` when malformed.
std::string listen_to_url(const std::string& listen, std::string* why);
/// Splits and checks the `sip.listen` value (comma separated); throws std::invalid_argument.
std::vector<std::string> parse_listen_list(const std::string& value);

/// A UDP listener of the main engine shared with a REGISTER worker (reuseport.h): its name as
/// listening() gives it and the worker's own socket in its SO_REUSEPORT group.
struct SharedListener {
  std::string name;  ///< "udp:127.0.0.1:5060"
  int fd = -1;       ///< owned by the receiver (register_receiver.h adopts it)
};

class SipStack final : public SipReplier {
 public:
  /// Handles one request. It owns `msg`: it must answer it (reply(), which consumes it) or hand
  /// it on (nta_incoming_create) or destroy it. Returns the status it answered with.
  using Handler = std::function<int(msg_s* msg, sip_s* sip)>;

  SipStack(SipConfig config, mi::Statistics& stats);
  ~SipStack();
  SipStack(const SipStack&) = delete;
  SipStack& operator=(const SipStack&) = delete;

  /// Binds the listeners; throws std::runtime_error naming the listener that failed.
  void start(su_root_s* root);
  /// The main engine's UDP listeners and their sockets (after start()), to share.
  const std::vector<std::pair<std::string, int>>& udp_listeners() const { return udp_listeners_; }
  std::string arrival_socket(msg_s* msg) override;
  /// Shutdown, first step: new requests are answered 503 (Retry-After), while replies to our
  /// pending client transactions still arrive.
  void set_draining(bool on) { draining_ = on; }
  /// Closes the listeners (new requests are no longer received).
  void close_listeners();
  /// Destroys the agent (after every transaction user is gone).
  void destroy();

  void on_method(const std::string& method, Handler handler);
  nta_agent_s* agent() { return agent_; }
  const SipConfig& config() const { return config_; }
  /// What is bound, as "udp:127.0.0.1:5060" (real ports when 0 was asked for).
  const std::vector<std::string>& listening() const { return listening_; }
  /// The transport ident of listener `socket` (as listening() names it), for sending from it
  /// (TPTAG_IDENT); empty when there is no such listener.
  std::string ident_of(const std::string& socket) const;
  /// The listener for transport `proto` ("udp", "tcp"), as listening() names it; the first
  /// listener when none has that transport; null when nothing listens.
  const std::string* listener_for(const std::string& proto) const;
  /// Our Contact URI on transport `proto` ("sip:127.0.0.1:5060", ";transport=tcp" added for tcp).
  std::string contact_for(const std::string& proto) const;
  /// The Allow header value: every method with a handler.
  std::string allow() const;
  /// The value of the Server / User-Agent header we send.
  const std::string& server_name() const { return config_.server_name; }

  void count_reply() { rcv_replies_.inc(); }
  void count_request() { rcv_requests_.inc(); }

  /// Answers with nta_msg_treply (see SipReplier).
  int reply(msg_s* msg, int status, const char* phrase, const std::string& extra = {}) override;

 private:
  /// The UDP backlog is over sip.overload_backlog_pct (checked every 8th request while not).
  bool overloaded();
  static int on_message(void* self, nta_agent_s* agent, msg_s* msg, sip_s* sip);

  SipConfig config_;
  nta_agent_s* agent_ = nullptr;
  std::map<std::string, Handler> handlers_;
  bool draining_ = false;
  std::vector<std::string> listening_;
  std::map<std::string, std::string> ident_of_;  ///< listening() entry → tport ident
  std::vector<std::pair<std::string, int>> udp_listeners_;  ///< listening() entry, socket
  mi::Stat& rcv_requests_;
  mi::Stat& rcv_replies_;
  mi::Stat& unsupported_;
  mi::Stat& overload_rejected_;
  UdpBacklog backlog_;
  bool overloaded_ = false;
  unsigned since_backlog_check_ = 0;
};

}  // namespace sb::gateway
