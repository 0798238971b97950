// accounts.h: SIP accounts (trunks, berofix `isgw.sip` accounts) — the rows of the SQLite table
// `sip_account`, the live set the call engine reads (find, match_inbound), and one outbound
// registration client per account (registration.h). Every change is committed to SQLite before
// it is applied in memory and acknowledged.
//
// The secret is stored in clear (it is needed to answer digest challenges) but never leaves this
// module: account_value() has `has_secret` instead, and nothing logs it.
//
// Threading: engine thread only (the accounts commands, the call engine, the registration
// timers and the nta callbacks all run there). Account snapshots (shared_ptr<const Account>) are
// immutable: an update replaces the snapshot, so a call may keep the one it started with.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gateway/accounts/registration.h"
#include "mi/statistics.h"
#include "mi/value.h"

struct su_root_s;

namespace sb::gateway {

class Database;
class Engine;
class SipStack;

struct Account {
  std::string name, address, transport, username, auth_user, secret, displayname, domain;
  bool do_register = true;
  int expires = 3600;
  std::string matchtype = "address";
  nlohmann::ordered_json options = nlohmann::ordered_json::object();
  std::int64_t version = 1;  ///< bumped by every write (the REST ETag follows it)

  /// The digest user: auth_user, or username when that is empty.
  const std::string& digest_user() const { return auth_user.empty() ? username : auth_user; }
  /// The host of `address` as written ("[::1]" keeps its brackets).
  std::string host() const;
  /// The port of `address`; 0 when none is given.
  unsigned port() const;
  /// The registrar domain: `domain`, or the host of the address when that is empty.
  std::string effective_domain() const;
};

// Limits and defaults of the account fields (validate_account() enforces them).
inline constexpr int kMinAccountExpires = 60;
inline constexpr int kMaxAccountExpires = 86400;
inline constexpr int kDefaultAccountExpires = 3600;
inline constexpr int kMaxAccountChannels = 1000;
inline constexpr std::size_t kMaxAccountNameLength = 64;
inline constexpr std::size_t kMaxAccountFieldLength = 128;  ///< username, auth_user, displayname
inline constexpr std::size_t kMaxAccountSecretLength = 256;

/// A field that is not acceptable: which param and why.
struct InvalidField {
  std::string param;
  std::string why;
};

/// Checks every field of `a` (name, address host[:port] with port 1..65535, transport udp|tcp,
/// user names, domain, expires 60..86400, matchtype, options).
std::optional<InvalidField> validate_account(const Account& a);
/// Parses the `options` JSON text: an object with only the known keys (`failover_causes`: array
/// of SIP codes 300..699, `channels`: 1..1000). Empty text = {}. nullopt + `*why` when refused.
std::optional<nlohmann::ordered_json> parse_account_options(const std::string& text, std::string* why);
/// The account as the commands show it: every field but the secret (`has_secret` instead).
mi::Value account_value(const Account& a);

/// The [accounts] config keys.
struct AccountsConfig {
  int retry_min_s = 30;   ///< first retry after a failed registration
  int retry_max_s = 300;  ///< the retry delay doubles up to this
};

class Accounts {
 public:
  Accounts(Database& db, SipStack& sip, Engine& engine, su_root_s* root, AccountsConfig config,
           mi::Statistics& stats);
  /// Forgets every registration without unregistering (shutdown calls unregister_all() first).
  ~Accounts();
  Accounts(const Accounts&) = delete;
  /// Calls `fn` after any account's registration state changed (engine thread).
  void add_state_listener(std::function<void()> fn) { state_listeners_.push_back(std::move(fn)); }
  /// Raises E_ACCOUNT_REG_STATE on `bus` from now on.
  void set_events(mi::EventBus* bus, const mi::EventSpec* reg_state) {
    ctx_.events = bus;
    ctx_.reg_state_event = reg_state;
  }
  Accounts& operator=(const Accounts&) = delete;

  /// Reads every account from SQLite and starts the registrations; returns how many were loaded.
  /// Rows that fail validation are logged and skipped. Throws StoreError.
  std::size_t load();
  /// Re-reads the table: removed accounts are unregistered, new ones start; `force` restarts
  /// every registration, else only those whose binding or credentials changed.
  std::size_t reload(bool force = true);

  /// Adds a validated account; false when the name exists. Throws StoreError (nothing changed).
  bool add(const Account& a, std::int64_t now);
  /// Replaces a validated account; false when there is no such name. Changing anything the
  /// REGISTER carries (register, address, transport, credentials, domain, expires, displayname)
  /// restarts its registration. Throws StoreError (nothing changed).
  bool update(const Account& a, std::int64_t now);
  /// Removes an account; its binding is unregistered (Expires: 0) when it was registered.
  bool remove(const std::string& name);
  /// Restarts one account's registration now (a REGISTER goes out at once when it registers);
  /// false when there is no such account.
  bool reregister(const std::string& name);

  std::shared_ptr<const Account> find(const std::string& name) const;
  /// Every account, ordered by name.
  std::vector<std::shared_ptr<const Account>> list() const;
  /// The account an inbound call belongs to, or null. `source_host`/`source_port` are where the
  /// packet really came from (the socket's peer address, never the Via the sender wrote).
  /// Tried in this order: matchtype `address_user` (source IP + From user = username),
  /// `address` (source IP; an account whose address names the source port wins, then one
  /// without a port; over TCP, whose connections come from ephemeral ports, then one with
  /// another port — over UDP an address with a port matches that port only), `to_user` (To
  /// user = username, from any source: it trusts the network, and a WARN says so when such an
  /// account is loaded, added or updated). A host name in an address matches only that same
  /// name (no DNS lookup on the engine thread). Ties go to the first name.
  std::shared_ptr<const Account> match_inbound(const std::string& source_host, unsigned source_port, bool source_tcp,
                                               const std::string& from_user, const std::string& to_user) const;
  /// "disabled", "registering", "registered", "failed" or "unregistering"; "" when unknown.
  std::string registration_state(const std::string& name) const;
  /// reg_list: one entry per account, ordered by name.
  mi::Value registrations(std::int64_t now) const;

  /// Empty when a listener for `transport` exists (REGISTERs can be sent), else why not.
  std::string transport_problem(const std::string& transport) const;

  /// Shutdown: every binding is unregistered (Expires: 0); no new REGISTER is sent after this.
  void unregister_all();
  /// True while a REGISTER transaction is in flight (shutdown waits for this, bounded).
  bool busy() const;
  std::size_t size() const { return live_.size(); }

 private:
  /// WARN when `a` has matchtype to_user (it trusts the network).
  static void warn_if_trusting(const Account& a);
  struct Entry {
    std::shared_ptr<const Account> account;
    std::unique_ptr<Registration> registration;
  };
  std::vector<Account> read_all();
  /// INSERT (false when the name exists) or UPDATE (false when it does not), committed.
  bool write(const Account& a, std::int64_t now, bool insert);
  std::unique_ptr<Registration> make_registration(std::shared_ptr<const Account> account);
  /// Unregisters `registration` in the background (kept in leaving_ until done), then `then`.
  void retire(std::unique_ptr<Registration> registration, std::function<void()> then = nullptr);
  /// Retires `old`, then starts the entry's (new) registration.
  void start_after(std::unique_ptr<Registration> old, const std::string& name);
  /// Applies a new snapshot to an existing entry; `force` restarts the registration anyway.
  void apply(Entry& entry, std::shared_ptr<const Account> account, bool force);
  void update_gauges();

  Database& db_;
  RegistrationContext ctx_;
  std::vector<std::function<void()>> state_listeners_;
  std::map<std::string, Entry> live_;
  std::list<std::unique_ptr<Registration>> leaving_;
  bool stopping_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  ///< deferred jobs check it
  mi::Stat& accounts_;
  mi::Stat& registered_;
};

}  // namespace sb::gateway
