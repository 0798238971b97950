// usrloc.h: the user location table `location` — AOR → contact bindings, in memory, written
// through to SQLite (each change committed before it is acknowledged), loaded at start, and
// expired by a periodic sweep. Shapes of the MI output follow OpenSIPS 3.4 (research §3.6).
//
// Threading: engine thread only (the registrar, the ul_* commands and the expiry timer all run
// there). The statistics it keeps (group `usrloc`) are atomics, readable from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "mi/event_bus.h"
#include "mi/statistics.h"
#include "mi/value.h"

namespace sb::gateway {

class Database;
class UsrlocEvents;

inline constexpr const char* kLocationTable = "location";

struct Contact {
  std::uint64_t id = 0;
  std::string aor;
  std::string uri;             ///< the contact URI (without header params)
  std::int64_t expires = 0;    ///< unix time; 0 = permanent
  int q = -1;                  ///< q * 1000; -1 = not given
  std::string callid;
  std::uint32_t cseq = 0;
  std::string user_agent;
  std::string received;        ///< sip:ip:port the REGISTER came from
  std::string path;
  std::string socket;          ///< proto:ip:port it arrived on
  std::uint32_t methods = 0xFFFFFFFFu;
  std::uint32_t flags = 0;
  std::string cflags;
  std::string instance;        ///< +sip.instance
  std::int64_t last_modified = 0;
};

/// "alice@Example.COM" → "alice@example.com"; nullopt when there is no '@domain'.
std::optional<std::string> normalize_aor(const std::string& aor);

class Usrloc {
 public:
  /// `db` may be null (no persistence: bindings live in memory only).
  Usrloc(Database* db, mi::Statistics& stats);

  /// Reads every binding from the database (expired ones are dropped). Returns how many.
  std::size_t load(std::int64_t now);

  const std::vector<Contact>* find(const std::string& aor) const;
  /// Replaces the bindings of `aor` with `contacts` (empty = remove the AOR): committed to the
  /// database first (throws StoreError, memory unchanged), then applied. New contacts get ids.
  /// Then the E_UL_* events of the change are raised: `reason` names why bindings went
  /// ("unregistered" by a REGISTER, "removed" by a command); `cause` is the SIP request.
  void put(const std::string& aor, std::vector<Contact> contacts, std::string_view reason = "removed",
           std::shared_ptr<const mi::SipCause> cause = {});
  /// Raises E_UL_* events through `events` from now on (null: none).
  void set_events(const UsrlocEvents* events) { events_ = events; }
  const UsrlocEvents* events() const { return events_; }
  /// Removes every binding whose expiry is ≤ now (one transaction); returns how many.
  std::size_t expire(std::int64_t now);
  /// Rewrites the database rows of one AOR (or all when empty) from memory; false when unknown.
  bool sync(const std::string& aor);
  /// Removes every binding (memory and database).
  void clear();

  std::size_t aor_count() const { return aors_.size(); }
  std::size_t contact_count() const { return contacts_; }
  const std::map<std::string, std::vector<Contact>>& all() const { return aors_; }

  /// {"Contact": …, "ContactID": …, "Expires": …} as ul_show_contact prints one contact.
  static mi::Value contact_value(const Contact& c, std::int64_t now);

 private:
  void write_aor(const std::string& aor, const std::vector<Contact>& contacts);
  void update_stats();

  Database* db_;
  const UsrlocEvents* events_ = nullptr;
  std::map<std::string, std::vector<Contact>> aors_;
  std::set<std::pair<std::int64_t, std::uint64_t>> by_expiry_;  ///< (expires, id), non-permanent
  std::unordered_map<std::uint64_t, std::string> aor_of_;       ///< id → aor
  std::size_t contacts_ = 0;
  std::uint64_t next_id_ = 1;
  mi::Stat& users_;
  mi::Stat& location_users_;
  mi::Stat& location_contacts_;
  mi::Stat& location_expires_;
};

}  // namespace sb::gateway
