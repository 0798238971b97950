// usrloc.h: the user location table `location` — AOR → contact bindings, in memory, persisted
// in SQLite (each change committed before it is acknowledged), loaded at start, and expired by a
// periodic sweep. Shapes of the MI output follow OpenSIPS 3.4 (research §3.6).
//
// Two ways to write: put() commits on the caller's connection before it changes memory (the
// ul_* commands); with group commit on (enable_group_commit), stage() changes memory at once and
// hands the rows to a LocationWriter thread that commits many changes in one transaction, and
// when_durable() runs a reply once everything staged before it is committed (the registrar's
// 200). A failed commit answers those replies "not ok" and restores the AORs from the database.
//
// Memory holds each binding packed (packed_contact.h: one record, one string block, interned
// user agent and socket) under its AOR, and an expiry index of (expiry, AOR) pairs.
//
// Threading: the main engine's thread (the ul_* commands, the expiry timer, the writer's reports
// through the `post` function given to enable_group_commit) and the REGISTER workers' threads
// (register_workers.h: each runs a registrar). Every public member locks a recursive mutex;
// lock() holds it over several calls (a registrar's read-change-stage of one AOR). A reply
// waiting for a commit runs on the engine given to when_durable. Without a writer, put()
// writes on the main engine's database connection: workers exist only with group commit or
// without a database. The statistics it keeps (group `usrloc`) are atomics, readable anywhere.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <memory_resource>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateway/usrloc/packed_contact.h"
#include "mi/event_bus.h"
#include "mi/statistics.h"
#include "mi/value.h"

namespace sb::gateway {

class Database;
class Engine;
class LocationWriter;
class UsrlocEvents;
struct DatabaseOptions;

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
  ~Usrloc();

  /// Reads every binding from the database (expired ones are dropped). Returns how many.
  std::size_t load(std::int64_t now);

  /// The bindings of `aor` (a copy: memory holds them packed), nullopt when it has none.
  std::optional<std::vector<Contact>> find(const std::string& aor) const;
  /// Visits the AORs in order with their bindings, from the first ≥ `from` (> `from` when
  /// `after`), until `visit` returns false.
  /// The visitor may move out of `contacts` (a copy made for it); it must not change the table.
  void visit(std::string_view from, bool after,
             const std::function<bool(std::string_view aor, std::vector<Contact>& contacts)>& visit) const;
  /// Replaces the bindings of `aor` with `contacts` (empty = remove the AOR): committed to the
  /// database first (throws StoreError, memory unchanged), then applied. New contacts get ids.
  /// Then the E_UL_* events of the change are raised: `reason` names why bindings went
  /// ("unregistered" by a REGISTER, "removed" by a command); `cause` is the SIP request.
  void put(const std::string& aor, std::vector<Contact> contacts, std::string_view reason = "removed",
           std::shared_ptr<const mi::SipCause> cause = {});
  /// Group commit from now on: a writer thread with its own connection to `options`' file (see
  /// location_writer.h); `post` runs a job on this (the engine) thread.
  /// Without a database (or ":memory:") there is nothing to commit and it does nothing.
  struct GroupCommit {
    std::size_t max_pending = 4096;             ///< usrloc.max_pending_writes
    std::chrono::microseconds commit_gap{0};  ///< usrloc.commit_gap_us
    int wal_restart_pages = 8000;               ///< usrloc.wal_restart_pages
    std::chrono::milliseconds checkpoint_pause{50};  ///< usrloc.checkpoint_pause_ms
  };
  void enable_group_commit(const DatabaseOptions& options, const GroupCommit& tuning,
                           std::function<void(std::function<void()>)> post);
  /// As put(), but memory changes now and the commit happens on the writer (put() without group
  /// commit). Blocks only while the writer's bound is reached. Throws StoreError if stopped.
  void stage(const std::string& aor, std::vector<Contact> contacts, std::string_view reason = "removed",
             std::shared_ptr<const mi::SipCause> cause = {});
  /// Holds the table's lock (recursive) until the returned lock goes.
  std::unique_lock<std::recursive_mutex> lock() const { return std::unique_lock(mu_); }
  /// Runs `reply(true)` once every change staged so far is committed (now, when nothing is
  /// pending), `reply(false)` when its transaction failed. It runs on `engine` (deferred there)
  /// unless that is null or the thread reporting the commit (the main engine).
  void when_durable(std::function<void(bool ok)> reply, Engine* engine = nullptr);
  /// Every change staged so far is committed (a reply need not wait).
  bool all_durable() const;
  /// Fewer replies wait for a commit than usrloc.max_pending_writes: one more may (a request
  /// that changed nothing and would only wait; one that staged a change always waits).
  bool reply_can_wait() const;
  /// Runs every reply still waiting for a commit on `engine` with false, now (a worker that
  /// stops before its replies' commit: they answer 500 while its SIP stack still exists).
  void fail_replies(Engine* engine);
  /// Blocks until every change staged so far is committed (or failed): for a command whose
  /// success reply must mean "on disk" (ul_flush). Returns at once without group commit.
  void flush_writes() { writer_idle(); }
  /// Replies still waiting for a commit (those to run on `engine` when given).
  std::size_t pending_replies() const;
  std::size_t pending_replies(const Engine* engine) const;
  /// Shutdown: the writer commits what is staged and stops; the waiting replies are sent (via
  /// `post`, before teardown).
  void stop_writer();
  /// Raises E_UL_* events through `events` from now on (null: none).
  void set_events(const UsrlocEvents* events) { events_ = events; }
  const UsrlocEvents* events() const { return events_; }
  /// Removes every binding whose expiry is ≤ now (one transaction); returns how many.
  std::size_t expire(std::int64_t now);
  /// Rewrites the database rows of one AOR (or all when empty) from memory; false when unknown.
  bool sync(const std::string& aor);
  /// Removes every binding (memory and database).
  void clear();

  std::size_t aor_count() const {
    std::lock_guard lk(mu_);
    return aors_.size();
  }
  std::size_t contact_count() const {
    std::lock_guard lk(mu_);
    return contacts_;
  }
  /// Distinct user agents and sockets held once for all bindings.
  std::size_t interned_strings() const {
    std::lock_guard lk(mu_);
    return strings_.size();
  }

  /// {"Contact": …, "ContactID": …, "Expires": …} as ul_show_contact prints one contact.
  static mi::Value contact_value(Contact c, std::int64_t now);

 private:
  using Bindings = std::pmr::vector<PackedContact>;
  using AorMap = std::pmr::map<std::pmr::string, Bindings, std::less<>>;
  using ExpiryEntry = std::pair<std::int64_t, const std::pmr::string*>;
  /// (expiry, AOR key in aors_) for each distinct expiry of an AOR's non-permanent bindings.
  struct ExpiryOrder {
    bool operator()(const ExpiryEntry& a, const ExpiryEntry& b) const {
      return a.first != b.first ? a.first < b.first : std::less<const std::pmr::string*>()(a.second, b.second);
    }
  };

  void apply(const std::string& aor, std::vector<Contact> contacts, std::string_view reason,
             std::shared_ptr<const mi::SipCause> cause);
  /// Adds an AOR that is not in memory with these (non-empty) bindings, and its expiry entries.
  void install(const std::string& aor, const std::vector<Contact>& contacts);
  /// Removes an AOR, its expiry entries and its interned strings' uses.
  void uninstall(AorMap::iterator it);
  static std::vector<Contact> unpack(std::string_view aor, const Bindings& bindings);
  void assign_ids(const std::string& aor, std::vector<Contact>& contacts);
  void written(std::uint64_t first, std::uint64_t last, bool ok, const std::vector<std::string>& failed_aors);
  bool writer_on_this_thread() const;
  /// The writer took change `seq`.
  void staged(std::uint64_t seq);
  void restore(const std::vector<std::string>& aors);
  void writer_idle();
  void update_stats();

  struct Ack {
    std::uint64_t seq;
    std::function<void(bool)> reply;
    Engine* engine;
  };

  mutable std::recursive_mutex mu_;
  Database* db_;
  const UsrlocEvents* events_ = nullptr;
  StringPool strings_;  ///< user agents and sockets (declared before the records using them)
  /// Every long-lived block of the table (map and index nodes, binding lists, string blocks),
  /// in size-class pools of their own: short-lived allocations (requests waiting for their
  /// commit, replies) then never leave holes between bindings, and blocks carry no malloc
  /// header. Declared before the containers that use it.
  std::pmr::unsynchronized_pool_resource mem_;
  AorMap aors_{&mem_};
  std::pmr::set<ExpiryEntry, ExpiryOrder> by_expiry_{&mem_};
  std::size_t contacts_ = 0;
  std::uint64_t next_id_ = 1;
  std::unique_ptr<LocationWriter> writer_;
  std::function<void(std::function<void()>)> post_;  ///< to the main engine
  /// AORs whose every binding a staged change removed → its sequence number: until it is
  /// committed, a new REGISTER of the AOR still deletes its rows first (not fresh).
  std::unordered_map<std::string, std::uint64_t> removals_;
  /// Guards the four members below; taken after mu_ (never mu_ while holding it) and never held
  /// while waiting for anything: the writer's thread takes it (not mu_, whose holders may be
  /// waiting for the writer) to report a commit.
  mutable std::mutex ack_mu_;
  std::uint64_t staged_seq_ = 0;   ///< the writer's sequence number of the last staged change
  std::uint64_t durable_seq_ = 0;  ///< … of the last change reported committed or failed
  std::deque<Ack> acks_;
  std::size_t max_waiting_ = 0;  ///< reply_can_wait's bound (0: none, without group commit)
  int reports_queued_ = 0;  ///< writer reports posted to the main engine and not yet handled
  mi::Stat& users_;
  mi::Stat& location_users_;
  mi::Stat& location_contacts_;
  mi::Stat& location_expires_;
  mi::Stat& db_commits_;
  mi::Stat& db_failures_;
};

}  // namespace sb::gateway
