// registration.h: one outbound registration (RFC 3261 §10.2) of a SIP account — REGISTER
// sip:<domain> sent through the account's address (next hop) from our listener of its
// transport, From/To sip:<username>@<domain>, Contact sip:<username>@<listener>, one Call-ID
// for the registration's life and CSeq counting up. Digest challenges (401/407) are answered once
// per nonce (gateway/sip/client_auth.h); the same nonce challenged again means wrong credentials.
// The binding is refreshed at 90 % of the granted expiry; failures (4xx-6xx, timeout, transport
// error) are retried after a back-off that doubles from accounts.retry_min_s to retry_max_s, or
// after the reply's Retry-After. unregister() removes the binding (Expires: 0).
//
// States: disabled (register off, or unregistered) → registering → registered | failed;
// unregistering while the Expires: 0 REGISTER is in flight.
//
// Threading: engine thread only. Timers are su_timers on the engine's root; transactions are nta
// client transactions, destroyed on a later turn of the loop (Engine::defer), never inside
// their own callback.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "gateway/sip/client_auth.h"
#include "mi/event_bus.h"
#include "mi/statistics.h"
#include "mi/value.h"

struct nta_leg_s;
struct nta_outgoing_s;
struct sip_s;
struct su_root_s;
struct su_timer_s;

namespace sb::gateway {

class Engine;
class SipStack;
struct Account;

enum class RegState { disabled, registering, registered, failed, unregistering };
const char* to_string(RegState s);

/// What every registration shares: the SIP stack, the engine (deferred work), the root (timers),
/// the retry bounds, the `accounts:` counters, and who to tell when a state changes.
struct RegistrationContext {
  SipStack& sip;
  Engine& engine;
  su_root_s* root;
  int retry_min_s;
  int retry_max_s;
  mi::Stat& sent;           ///< accounts:reg_sent (REGISTER requests sent, challenges answered included)
  mi::Stat& failures;       ///< accounts:reg_failures
  mi::Stat& state_changes;  ///< accounts:reg_state_changes
  mi::Stat& challenges;     ///< accounts:auth_challenges (challenges answered)
  std::function<void()> on_state_change;
  mi::EventBus* events = nullptr;               ///< E_ACCOUNT_REG_STATE is raised here
  const mi::EventSpec* reg_state_event = nullptr;
};

/// Declares E_ACCOUNT_REG_STATE (with the accounts' commands).
const mi::EventSpec& declare_registration_events(mi::EventRegistry& events);

class Registration {
 public:
  Registration(RegistrationContext& ctx, std::shared_ptr<const Account> account);
  /// Stops everything at once (no Expires: 0); the caller unregisters first when it should.
  ~Registration();
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;

  /// Starts over: a REGISTER now when the account registers (failures and back-off are
  /// forgotten), otherwise the state is `disabled`.
  void start();
  /// New account data with the same binding (address, transport, username, domain); start()s.
  void replace(std::shared_ptr<const Account> account);
  /// Removes the binding: a REGISTER with Expires: 0 when one may exist (registered, or a
  /// REGISTER in flight), after which the state is `disabled`. `done` runs on a later turn of
  /// the loop once nothing is left in flight (also when there was nothing to remove).
  void unregister(std::function<void()> done);
  /// New account data that changes nothing the REGISTER carries (matchtype, options): kept
  /// without a new request.
  void update_account(std::shared_ptr<const Account> account) { account_ = std::move(account); }

  RegState state() const { return state_; }
  /// True while a REGISTER transaction is in flight.
  bool busy() const { return orq_ != nullptr; }
  const Account& account() const { return *account_; }
  /// The reg_list entry (see accounts_commands.h for the fields).
  mi::Value status(std::int64_t now) const;

 private:
  static int on_response(void* magic, nta_outgoing_s* orq, const sip_s* sip);
  static void on_timer(void* root_magic, su_timer_s* timer, void* arg);
  void handle(nta_outgoing_s* orq, const sip_s* sip);
  void handle_success(const sip_s* sip);
  void handle_challenge(int status, const std::string& phrase, const sip_s* sip);
  void begin_attempt();
  void send(int expires);
  void fail(const std::string& error, int retry_after_s);
  void finish_unregister();
  void set_state(RegState s);
  void arm(std::int64_t delay_ms);
  void disarm();
  bool prepare(std::string* why);
  void release_transaction();

  RegistrationContext& ctx_;
  std::shared_ptr<const Account> account_;
  RegState state_ = RegState::disabled;
  // Where and what we send (prepare()).
  std::string request_uri_, next_hop_, contact_, ident_;
  std::string contact_user_, contact_host_, contact_port_;
  std::string from_;  ///< the From of leg_ (a new one gets a new leg, so a new Call-ID)
  nta_leg_s* leg_ = nullptr;
  nta_outgoing_s* orq_ = nullptr;
  su_timer_s* timer_ = nullptr;
  ClientAuth auth_;
  int sent_expires_ = 0;          ///< Expires of the REGISTER in flight (0 = unregistering)
  bool in_create_ = false;        ///< inside nta_outgoing_tcreate()
  bool answered_in_create_ = false;
  std::set<std::string> answered_nonces_;  ///< nonces answered in this attempt
  int challenges_answered_ = 0;            ///< in this attempt
  bool interval_raised_ = false;           ///< a 423 raised the expires in this attempt
  // What reg_list shows.
  std::string last_error_;
  std::int64_t last_change_ = 0;
  int failures_ = 0;               ///< consecutive failed attempts
  int granted_expires_ = 0;        ///< from the last 200
  std::int64_t registered_until_ = 0;
  std::int64_t next_action_at_ = 0;  ///< unix time of the refresh or retry timer; 0 = none
  std::function<void()> unregister_done_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace sb::gateway
