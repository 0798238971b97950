// calls.h: the call engine — a B2BUA. An INVITE that matches no dialog is classified by its
// origin (a SIP account by address/user, or a registered local subscriber), routed through the
// dialplan (first matching rule) to a target (a local user via usrloc, a SIP account, or a port
// of a port group), and bridged to an outbound leg: provisional and final responses, ACK, BYE,
// CANCEL and re-INVITEs are relayed, SDP passes through untouched. A failure whose status is in
// the rule's `failover_causes` goes on with the next matching rule. Every ended call writes a
// CDR (SQLite, committed when the call ends) and updates the call statistics, per port too.
//
// Origin checks. The caller's address is the packet's real source address and port (the
// socket's peer, sip/peer_address.h), never the Via sent-by, which the sender writes. With registrar.auth on, an INVITE whose From is a local subscriber must carry
// that subscriber's digest credentials (Proxy-Authorization, challenged with 407 as REGISTER is
// with 401, same realm and subscriber table); other callers must match a SIP account. With it
// off, a subscriber's INVITE is accepted when its From AOR is registered (from the binding's
// address first, so that callers sharing an IP with a trunk are told apart). Anything else gets
// 403.
//
// The modules it needs are reached through hooks (CallsHooks) so that it depends on their
// behaviour, not their headers; the wiring (sip_gateway.cpp) fills them.
//
// Threading: engine thread only (INVITE handler, nta callbacks, timers, the calls commands).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gateway/calls/cause_map.h"
#include "gateway/registrar/caller_auth.h"
#include "mi/command.h"
#include "mi/statistics.h"
#include "mi/value.h"

struct su_root_s;
struct sip_s;
struct msg_s;

namespace sb::gateway {

class Database;
class Engine;
class Ports;
class SipStack;
class Usrloc;
struct Call;
struct PeerAddress;

/// Where a call comes from, as the dialplan matches it.
struct CallOrigin {
  std::string kind;  ///< account | subscriber | port
  std::string id;    ///< account name | user@domain | port number
  std::vector<std::string> groups;  ///< port groups of a port
};

/// A matching dialplan rule, as the call engine uses it.
struct CallRoute {
  std::size_t index = 0;  ///< position of the rule; failover continues at index + 1
  std::int64_t rule_id = 0;
  std::string called, caller;  ///< rewritten numbers
  std::string target_kind, target_id;  ///< account | user | group
  std::vector<int> failover_causes;    ///< SIP statuses that go on to the next rule
  int timeout_s = 0;                   ///< ring timeout; 0 = calls.ring_timeout_s
  bool clir = false;                   ///< present the caller as anonymous
};

/// A SIP account as an outbound target.
struct CallTrunk {
  std::string name;
  std::string host;       ///< Request-URI host[:port] (the account's domain or address)
  std::string next_hop;   ///< "sip:address;transport=x"
  std::string transport;  ///< udp | tcp
  std::string from_user, from_domain, display;
  std::string auth_user, secret;
  std::vector<int> failover_causes;
};

struct CallsHooks {
  std::function<std::optional<CallRoute>(const CallOrigin&, const std::string& called, const std::string& caller,
                                         std::size_t from_index)>
      route;
  std::function<std::optional<CallTrunk>(const std::string& account)> trunk;
  /// The account an INVITE comes from: (source host, port, over TCP, From user, To user) → name.
  std::function<std::optional<std::string>(const std::string& host, unsigned port, bool tcp,
                                           const std::string& from_user, const std::string& to_user)>
      match_trunk;
  /// Answers a 401/407: (reply, method, uri, user, password) → {header, value}.
  std::function<std::optional<std::pair<std::string, std::string>>(const sip_s*, const std::string&,
                                                                   const std::string&, const std::string&,
                                                                   const std::string&)>
      answer_challenge;
  /// The registrar's verdict on an INVITE's From subscriber and its Proxy-Authorization.
  std::function<CallerAuth(msg_s*, const sip_s*)> authenticate_caller;
};

struct CallsConfig {
  int ring_timeout_s = 60;       ///< no answer after this long: 480, cause 19
  std::size_t max_calls = 1000;  ///< more concurrent calls are refused 503
  bool authenticate_subscribers = false;  ///< registrar.auth: subscribers' INVITEs are challenged (407)
  std::string q850_to_sip, sip_to_q850;  ///< cause map overrides
};

struct CallCounters {
  std::uint64_t total = 0, answered = 0, failed = 0, busy = 0, no_answer = 0, cancelled = 0, rejected = 0;
  std::int64_t connected_ms = 0;
  std::int64_t since = 0;  ///< unix time of the last reset
};

class Calls {
 public:
  Calls(CallsConfig config, SipStack& sip, Engine& engine, su_root_s* root, Usrloc& usrloc, Ports& ports,
        Database& db, mi::Statistics& stats);
  ~Calls();
  Calls(const Calls&) = delete;
  Calls& operator=(const Calls&) = delete;

  void set_hooks(CallsHooks hooks) { hooks_ = std::move(hooks); }
  /// Raises E_CALL_STATE and E_CDR through `events` from now on.
  void set_events(const class CallEvents* events) { events_ = events; }
  /// Registers the INVITE (and stray BYE) handlers on the SIP stack.
  void attach();
  /// Shutdown: ends every call (cause 41) and answers pending INVITEs 503.
  void end_all();
  std::size_t active() const { return calls_.size(); }

  // The commands.
  mi::Value list(bool compact) const;
  mi::Result show(std::uint64_t id) const;
  mi::Result finish(std::uint64_t id);
  mi::Value stats(bool per_port) const;
  mi::Value reset_stats();
  mi::Value durations() const;
  /// CDRs of calls that started in [from_ms, to_ms), newest first, `limit` of them from before
  /// CDR id `before_id`; next_cursor names the next page (null on the last).
  mi::Result cdr_page(std::int64_t from_ms, std::int64_t to_ms, std::int64_t limit,
                      std::optional<std::int64_t> before_id) const;
  mi::Result cdr_list(std::int64_t limit, std::int64_t offset) const;
  mi::Result cdr_flush(std::int64_t older_than_days);
  const CauseMap& causes() const { return causes_; }
  /// Places a call from virtual port `port` (the line simulator as the caller) to `number`.
  mi::Result originate(int port, const std::string& number, const std::string& caller);
  /// Ends the calls carried by `port` (port_restart); returns how many.
  std::size_t drop_port(int port);

 private:
  friend struct Call;
  int on_invite(msg_s* msg, sip_s* sip);
  /// With registrar.auth on: 0 to go on (`origin` set when the From subscriber authenticated),
  /// else the status already replied (407 challenge, 403, 500).
  int authenticate(msg_s* msg, const sip_s* sip, const std::string& called, std::optional<CallOrigin>* origin);
  /// `source`: the packet's real source address (peer_address), never the Via sent-by.
  std::optional<CallOrigin> classify(const sip_s* sip, const PeerAddress& source, std::string* why);
  void route_next(Call& call);
  bool try_target(Call& call, const CallRoute& route, int* status, std::string* phrase, int* cause);
  void start_leg(Call& call, std::unique_ptr<class Leg> leg, const CallRoute& route);
  void on_progress(Call& call, int status, const std::string& phrase, const std::string& sdp);
  void on_answered(Call& call, const std::string& sdp);
  void on_failed(Call& call, int status, const std::string& phrase, int q850);
  void on_ring_timeout(Call& call);
  void release_port(Call& call);
  void end_call(Call& call, int status, int q850, const std::string& reason);
  /// The CDR is written when the call starts (end_ms 0, "in progress"), its answer time when it
  /// is answered, and completed when it ends: a daemon killed mid-call still leaves its row.
  void open_cdr(Call& call);
  void cdr_answered(const Call& call);
  /// Returns the CDR row's id.
  std::int64_t write_cdr(const Call& call);
  /// At start-up: rows a previous run left open are closed ("daemon restart").
  void close_abandoned_cdrs();
  mi::Value call_value(const Call& call, bool detail) const;

  CallsConfig config_;
  SipStack& sip_;
  Engine& engine_;
  su_root_s* root_;
  Usrloc& usrloc_;
  Ports& ports_;
  Database& db_;
  CauseMap causes_;
  CallsHooks hooks_;
  const class CallEvents* events_ = nullptr;
  std::map<std::uint64_t, std::unique_ptr<Call>> calls_;
  std::uint64_t next_id_ = 1;
  CallCounters counters_;
  mi::Stat& total_stat_;
  mi::Stat& answered_stat_;
  mi::Stat& failed_stat_;
  mi::Stat& active_stat_;
  mi::Stat& connected_stat_;
  mi::Stat& cdrs_stat_;
  mi::Stat& auth_challenges_stat_;
  mi::Stat& auth_failures_stat_;
};

/// Now, in unix milliseconds.
std::int64_t unix_ms();

}  // namespace sb::gateway
