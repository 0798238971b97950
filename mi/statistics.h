// statistics.h: the statistics registry (OpenSIPS-style `group:name` counters and gauges).
//
// Purpose: modules create their counters here once and update them lock-free; the core commands
// get_statistics / list_statistics / reset_statistics (and, later, /metrics) read them.
// Items in queries: `all`, `group:` (a whole group), `group:name`, or a bare `name` (any group).
// Labeled stats (one series of a family per command, e.g. `mi:uptime_calls` = family `calls`,
// command="uptime") are left out of `all` — hundreds of them would drown the rest — and are
// listed when asked for by group (`mi:`) or by name; /metrics shows them as labeled families.
// Names may themselves contain ':' (OpenSIPS #673): the group is the text before the first ':'.
// Threading: create stats at any time (mutex); increment/read from any thread (atomics).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

namespace sb::mi {

enum class StatKind {
  counter,  ///< incremental: only grows between resets ("incremental" in list_statistics)
  gauge,    ///< current level: goes up and down ("non-incremental")
};

class Stat {
 public:
  Stat(std::string group, std::string name, StatKind kind, bool resettable,
       std::function<std::int64_t()> fn = {})
      : group_(std::move(group)), name_(std::move(name)), kind_(kind), resettable_(resettable),
        fn_(std::move(fn)) {}
  void inc(std::int64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  void dec(std::int64_t n = 1) { v_.fetch_sub(n, std::memory_order_relaxed); }
  void set(std::int64_t n) { v_.store(n, std::memory_order_relaxed); }
  /// Raises the value to n if n is larger (for maxima).
  void raise_to(std::int64_t n);
  std::int64_t get() const { return fn_ ? fn_() : v_.load(std::memory_order_relaxed); }
  /// Resets resettable stored values to 0; returns false for computed or non-resettable stats.
  bool reset();

  const std::string& group() const { return group_; }
  const std::string& name() const { return name_; }
  std::string full_name() const { return group_ + ":" + name_; }
  StatKind kind() const { return kind_; }
  bool resettable() const { return resettable_ && !fn_; }
  /// For a labeled stat: its family ("calls") and its label (key "command", value "uptime").
  const std::string& family() const { return family_; }
  const std::string& label_key() const { return label_key_; }
  const std::string& label_value() const { return label_value_; }
  bool labeled() const { return !family_.empty(); }

 private:
  friend class Statistics;
  std::string group_, name_;
  std::string family_, label_key_, label_value_;
  StatKind kind_;
  bool resettable_;
  std::function<std::int64_t()> fn_;
  std::atomic<std::int64_t> v_{0};
};

class Statistics {
 public:
  /// Returns the existing stat of that name or creates it. Stable reference for the process life.
  Stat& counter(std::string_view group, std::string_view name);
  Stat& gauge(std::string_view group, std::string_view name, bool resettable = false);
  /// A stat computed on read (e.g. a table size); never reset.
  Stat& computed(std::string_view group, std::string_view name, StatKind kind,
                 std::function<std::int64_t()> fn);
  /// One series of a labeled family: named `group:<label_value>_<family>` for get_statistics,
  /// shown by /metrics as `<group>_<family>{<label_key>="<label_value>"}`; not in `all`.
  Stat& labeled(std::string_view group, std::string_view family, std::string_view label_key,
                std::string_view label_value, StatKind kind, bool resettable = true);

  /// Stats matching the items (see header comment), each once, in registration order
  /// (`all` leaves labeled stats out unless `all_with_labeled`).
  /// `unmatched` receives the items that matched nothing.
  std::vector<const Stat*> match(const std::vector<std::string>& items,
                                 std::vector<std::string>* unmatched = nullptr,
                                 bool all_with_labeled = false) const;
  /// Every stat, labeled ones included (for /metrics).
  std::vector<const Stat*> all() const;
  /// Resets the resettable stats among the matches; returns how many matched. Here `all` is
  /// really all: labeled series too (`reset_statistics all` also restarts the per-command ones).
  std::size_t reset(const std::vector<std::string>& items);

 private:
  struct Label {
    std::string family, key, value;
  };
  Stat& make(std::string_view group, std::string_view name, StatKind kind, bool resettable,
             std::function<std::int64_t()> fn, Label label = {});
  mutable std::shared_mutex mu_;
  std::deque<Stat> stats_;
  std::unordered_map<std::string, Stat*> by_full_name_;
};

/// {"group:name": value, …} of the stats matching `items` (an E_STATISTICS sample).
nlohmann::ordered_json statistics_sample(const Statistics& stats, const std::vector<std::string>& items);

}  // namespace sb::mi
