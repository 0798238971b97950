// dialplan.h: the routing table (berofix ISGW dialplan) — ordered rules, first match wins. A rule
// matches a call by its source (any | account | subscriber | group | port), a regex on the called
// number and one on the caller; it rewrites both numbers with \0..\9 back-references and names a
// target (account | user | group; `${dest}` in the target id is the rewritten called number).
// Rules live in the SQLite table `dp_rule` (schema migration 2); the active set is an immutable
// snapshot built from the whole table, validated rule by rule, and swapped in atomically.
// Regexes are std::regex ECMAScript, searched (unanchored), run by libstdc++'s polynomial
// executor, so no pattern can backtrack exponentially; back-references inside a pattern are
// therefore refused. Rewrites: \0..\9 = groups (\0 the match; the whole number when the pattern
// is empty), \\ = a backslash; an empty rewrite leaves the number unchanged.
//
// Threading: load/reload and the edits (add, update, remove, move) run on the engine thread (they
// use the engine's database connection). translate() and rules() read the current snapshot and
// may run on any thread; a snapshot never changes once published. Statistics (group `dialplan`)
// are atomics.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mi/event_bus.h"
#include "mi/statistics.h"

namespace sb::gateway {

class Database;

// Every limit of the module, in one place.
inline constexpr std::size_t kDialplanMaxNumber = 128;   ///< called/caller numbers, before and after rewriting
inline constexpr std::size_t kDialplanMaxPattern = 256;  ///< dest_match / src_match / rewrite templates
inline constexpr std::size_t kDialplanMaxId = 128;       ///< src_id / target_id
inline constexpr std::size_t kDialplanMaxComment = 256;
inline constexpr std::size_t kDialplanMaxOptions = 1024;  ///< options, as JSON text
inline constexpr std::size_t kDialplanMaxFailoverCauses = 64;
inline constexpr std::size_t kDialplanMaxRules = 1000;

/// Where a call comes from.
struct CallSource {
  std::string kind;                 ///< "account" | "subscriber" | "port"
  std::string id;                   ///< account name | "user@domain" of the subscriber | port number
  std::vector<std::string> groups;  ///< port groups of a port (rule src_kind "group" matches one of them)
};

/// What the first matching rule makes of a call.
struct Translation {
  std::size_t index = 0;            ///< position of the matching rule in the active set (0-based)
  std::int64_t rule_id = 0;
  std::string called, caller;       ///< rewritten numbers
  std::string target_kind, target_id;  ///< target_id with ${dest} expanded
  nlohmann::ordered_json options;   ///< the rule's options
};

/// One row of `dp_rule`, as stored and as dp_list shows it.
struct DialplanRule {
  std::int64_t id = 0;        ///< 0 = not stored yet
  std::int64_t position = 0;  ///< 1-based, dense; 0 = not stored yet
  std::string src_kind = "any";
  std::string src_id;
  std::string dest_match;
  std::string dest_rewrite;
  std::string src_match;
  std::string src_rewrite;
  std::string target_kind;
  std::string target_id;
  nlohmann::ordered_json options = nlohmann::ordered_json::object();
  std::string comment;
};

/// A refused rule set or edit: `code` is the MI status (400 invalid rule, position or full table,
/// 404 unknown rule id); `field` names the rule column at fault when the rule being edited is
/// (empty for a bad stored rule, which the reason names instead); what() = "<field>: <why>".
class DialplanError : public std::runtime_error {
 public:
  DialplanError(int code, std::string field, const std::string& why)
      : std::runtime_error(field.empty() ? why : field + ": " + why), code_(code), field_(std::move(field)),
        why_(why) {}
  int code() const { return code_; }
  const std::string& field() const { return field_; }
  const std::string& why() const { return why_; }

 private:
  int code_;
  std::string field_;
  std::string why_;
};

/// Parses and checks an options object given as JSON text ('' = {}); throws DialplanError 400
/// naming the offending key. Known keys: failover_causes, timeout_s, clir, enabled.
nlohmann::ordered_json parse_dialplan_options(const std::string& text);

/// A rule with its regexes compiled: what the active set holds.
struct CompiledRule {
  DialplanRule rule;
  std::regex dest_re;
  std::regex src_re;
  bool enabled = true;
};

/// Checks every field of `rule` and compiles its regexes; throws DialplanError 400 with
/// "<field>: <why>" (no rule name: the caller knows which rule it checked).
CompiledRule compile_dialplan_rule(const DialplanRule& rule);

/// The active rule set: immutable once published.
struct DialplanSnapshot {
  std::vector<CompiledRule> rules;  ///< in evaluation order; rules[i].rule.position == i + 1
};

/// The fields an update changes; nullopt = unchanged.
struct DialplanRulePatch {
  std::optional<std::string> src_kind{};
  std::optional<std::string> src_id{};
  std::optional<std::string> dest_match{};
  std::optional<std::string> dest_rewrite{};
  std::optional<std::string> src_match{};
  std::optional<std::string> src_rewrite{};
  std::optional<std::string> target_kind{};
  std::optional<std::string> target_id{};
  std::optional<std::string> comment{};
  std::optional<nlohmann::ordered_json> options{};
};

class Dialplan {
 public:
  Dialplan(Database& db, mi::Statistics& stats);
  ~Dialplan();
  Dialplan(const Dialplan&) = delete;
  Dialplan& operator=(const Dialplan&) = delete;

  /// Reads the whole table and makes it the active set; returns the number of rules. A bad rule
  /// throws DialplanError 400 naming it ("rule id 7 at position 3: dest_match: …") and the
  /// active set stays as it was. Positions with gaps are renumbered 1..N in the table.
  std::size_t reload();
  /// Raises E_DIALPLAN_RELOADED after each successful reload from now on.
  void set_events(mi::EventBus* bus, const mi::EventSpec* reloaded) {
    bus_ = bus;
    reloaded_event_ = reloaded;
  }
  static const mi::EventSpec& declare_events(mi::EventRegistry& events);

  /// First matching enabled rule at position >= from_index (failover: from_index = previous
  /// index + 1). Numbers longer than kDialplanMaxNumber never match; a rule whose rewritten
  /// number would be longer is passed over.
  std::optional<Translation> translate(const CallSource& src, const std::string& called,
                                       const std::string& caller, std::size_t from_index = 0) const;

  /// The active set (never null).
  std::shared_ptr<const DialplanSnapshot> rules() const { return active_.load(); }

  // Edits: validated, written in one transaction, then the rebuilt set is swapped in. A refused
  // edit (DialplanError, or StoreError from SQLite) changes neither the table nor the active set.

  /// Inserts at `position` (1..N+1; nullopt = last); returns the rule as stored (id, position).
  DialplanRule add(const DialplanRule& rule, std::optional<std::int64_t> position = std::nullopt);
  /// Changes the given fields of rule `id`; returns it as stored. 404 when unknown.
  DialplanRule update(std::int64_t id, const DialplanRulePatch& patch);
  /// Removes rule `id`; the rules after it move up. 404 when unknown.
  void remove(std::int64_t id);
  /// Moves rule `id` to `position` (1..N); returns it as stored. 404 when unknown.
  DialplanRule move(std::int64_t id, std::int64_t position);

 private:
  /// Inside an open transaction: reads every row in order, renumbers positions to 1..N where
  /// they differ, and compiles the set (throws DialplanError naming the bad rule).
  std::shared_ptr<const DialplanSnapshot> read_table();
  void publish(std::shared_ptr<const DialplanSnapshot> snapshot);
  void write_positions(const std::vector<std::int64_t>& ids_in_order);
  std::vector<std::int64_t> ids_in_order();

  Database& db_;
  std::atomic<std::shared_ptr<const DialplanSnapshot>> active_;
  mi::Stat& translations_;
  mi::Stat& no_match_;
  mi::Stat& reloads_;
  mi::Stat& reload_errors_;
  mi::Stat& rules_;
  mi::EventBus* bus_ = nullptr;
  const mi::EventSpec* reloaded_event_ = nullptr;
};

/// `rule` as dp_list shows it: every column, options as an object.
nlohmann::ordered_json dialplan_rule_value(const DialplanRule& rule);

}  // namespace sb::gateway
