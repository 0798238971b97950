// dialplan.cpp: rule validation and compilation, matching and rewriting, the `dp_rule` table.
// Threading: see dialplan.h — edits on the engine thread, translate() on any thread.
#include "gateway/dialplan/dialplan.h"
#include "mi/reply_schema.h"

#include "mi/strings.h"
#include "mi/codec/limits.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "gateway/store/database.h"

namespace sb::gateway {

using json = nlohmann::ordered_json;

namespace {

// ECMAScript, run by libstdc++'s Thompson-NFA executor (__polynomial): matching time grows
// polynomially with the number's length instead of exponentially as with backtracking ("(a*)*b"
// on 30 digits would stall the engine thread for minutes). The price: no back-references inside
// a pattern (they are refused), which dialplans do not need.
#ifdef __GLIBCXX__
constexpr auto kRegexSyntax = std::regex::ECMAScript | std::regex_constants::__polynomial;
#else
#error "the dialplan needs libstdc++'s polynomial std::regex executor"
#endif

constexpr const char* kColumns =
    "id, position, src_kind, src_id, dest_match, dest_rewrite, src_match, src_rewrite, target_kind, "
    "target_id, options, comment";

[[noreturn]] void refuse(const std::string& field, const std::string& why) { throw DialplanError(400, field, why); }

bool has_blank_or_control(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

bool has_control(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

using mi::lower;

void check_options(const json& options) {
  if (!options.is_object()) refuse("options", "must be a JSON object");
  for (auto it = options.begin(); it != options.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    if (key == "failover_causes") {
      if (!v.is_array()) refuse("options", "failover_causes must be an array of SIP status codes");
      if (v.size() > kDialplanMaxFailoverCauses)
        refuse("options", fmt::format("failover_causes has more than {} codes", kDialplanMaxFailoverCauses));
      for (const json& code : v)
        if (!code.is_number_integer() || code.get<std::int64_t>() < 300 || code.get<std::int64_t>() > 699)
          refuse("options", fmt::format("failover_causes: {} is not a SIP status code 300..699", code.dump()));
    } else if (key == "timeout_s") {
      if (!v.is_number_integer() || v.get<std::int64_t>() < 1 || v.get<std::int64_t>() > 600)
        refuse("options", "timeout_s must be an integer 1..600 (seconds)");
    } else if (key == "clir" || key == "enabled") {
      if (!v.is_boolean()) refuse("options", key + " must be true or false");
    } else {
      refuse("options", fmt::format("unknown key '{}' (known: failover_causes, timeout_s, clir, enabled)", key));
    }
  }
}

void check_source(const DialplanRule& r) {
  const std::string& kind = r.src_kind;
  const std::string& id = r.src_id;
  if (kind != "any" && kind != "account" && kind != "subscriber" && kind != "group" && kind != "port")
    refuse("src_kind", fmt::format("'{}' is not any, account, subscriber, group or port", kind));
  if (kind == "any") {
    if (!id.empty()) refuse("src_id", "must be empty for src_kind any");
    return;
  }
  if (id.size() > kDialplanMaxId) refuse("src_id", fmt::format("longer than {} bytes", kDialplanMaxId));
  if (has_blank_or_control(id)) refuse("src_id", "contains a blank or a control character");
  if (kind == "port" && !id.empty() &&
      (id.size() > 9 || !std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; })))
    refuse("src_id", fmt::format("'{}' is not a port number", id));
  if (kind == "subscriber") {
    auto at = id.find('@');
    if (at != std::string::npos && (at == 0 || at + 1 == id.size() || id.find('@', at + 1) != std::string::npos))
      refuse("src_id", fmt::format("'{}' is not USER or USER@DOMAIN", id));
  }
}

void check_target(const DialplanRule& r) {
  if (r.target_kind != "account" && r.target_kind != "user" && r.target_kind != "group")
    refuse("target_kind", fmt::format("'{}' is not account, user or group", r.target_kind));
  const std::string& id = r.target_id;
  if (id.empty()) refuse("target_id", "must not be empty");
  if (id.size() > kDialplanMaxId) refuse("target_id", fmt::format("longer than {} bytes", kDialplanMaxId));
  if (has_blank_or_control(id)) refuse("target_id", "contains a blank or a control character");
  for (auto p = id.find("${"); p != std::string::npos; p = id.find("${", p + 1))
    if (id.compare(p, 7, "${dest}") != 0) refuse("target_id", "the only variable is ${dest}");
}

/// True when `pattern` compiles for the backtracking executor: the polynomial one refused it
/// only for a back-reference.
bool compiles_with_backtracking(const std::string& pattern) {
  try {
    std::regex(pattern, std::regex::ECMAScript);
    return true;
  } catch (const std::regex_error&) {
    return false;
  }
}

std::regex compile_regex(const std::string& field, const std::string& pattern) {
  if (pattern.size() > kDialplanMaxPattern) refuse(field, fmt::format("longer than {} bytes", kDialplanMaxPattern));
  if (has_control(pattern)) refuse(field, "contains a control character");
  try {
    return std::regex(pattern, kRegexSyntax);
  } catch (const std::regex_error& e) {
    if (e.code() == std::regex_constants::error_complexity && compiles_with_backtracking(pattern))
      refuse(field, fmt::format("'{}' does not compile: back-references (\\1 …) are not supported inside "
                                "patterns, only in the rewrites",
                                pattern));
    refuse(field, fmt::format("'{}' does not compile: {}", pattern, e.what()));
  }
}

/// Checks a rewrite template: \0..\9 refer to groups of `match_field` (which has `groups`
/// capture groups), \\ is a backslash, any other backslash is an error.
void check_rewrite(const std::string& field, const std::string& tmpl, const std::string& match_field,
                   std::size_t groups) {
  if (tmpl.size() > kDialplanMaxPattern) refuse(field, fmt::format("longer than {} bytes", kDialplanMaxPattern));
  if (has_control(tmpl)) refuse(field, "contains a control character");
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] != '\\') continue;
    if (i + 1 == tmpl.size()) refuse(field, "ends with a lone backslash (write \\\\ for a backslash)");
    char next = tmpl[++i];
    if (next == '\\') continue;
    if (next < '0' || next > '9')
      refuse(field, fmt::format("'\\{}' is neither a back-reference \\0..\\9 nor \\\\", next));
    auto n = static_cast<std::size_t>(next - '0');
    if (n > groups)
      refuse(field, fmt::format("references \\{} but {} has {} group{}", n, match_field, groups, groups == 1 ? "" : "s"));
  }
}

/// The groups of a match (index 0 = the whole match); an empty pattern matches the whole number.
std::vector<std::string> groups_of(const std::smatch& m, bool empty_pattern, const std::string& number) {
  if (empty_pattern) return {number};
  std::vector<std::string> g;
  g.reserve(m.size());
  for (std::size_t i = 0; i < m.size(); ++i) g.push_back(m[i].matched ? m[i].str() : std::string());
  return g;
}

/// `tmpl` (already checked) with \N replaced by groups[N] and \\ by a backslash; "" = `number`.
std::string rewrite(const std::string& tmpl, const std::vector<std::string>& groups, const std::string& number) {
  if (tmpl.empty()) return number;
  std::string out;
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] != '\\' || i + 1 == tmpl.size()) {
      out += tmpl[i];
      continue;
    }
    char next = tmpl[++i];
    if (next == '\\') {
      out += '\\';
    } else {
      auto n = static_cast<std::size_t>(next - '0');
      if (n < groups.size()) out += groups[n];
    }
  }
  return out;
}

std::string expand_dest(std::string id, const std::string& dest) {
  for (auto p = id.find("${dest}"); p != std::string::npos; p = id.find("${dest}", p + dest.size()))
    id.replace(p, 7, dest);
  return id;
}

bool source_matches(const DialplanRule& r, const CallSource& src) {
  const std::string& kind = r.src_kind;
  const std::string& id = r.src_id;
  if (kind == "any") return true;
  if (kind == "group") {
    if (id.empty()) return !src.groups.empty();
    return std::find(src.groups.begin(), src.groups.end(), id) != src.groups.end();
  }
  if (kind != src.kind) return false;
  if (id.empty() || id == src.id) return true;
  if (kind != "subscriber") return false;
  // "alice" matches alice at any domain; "alice@example.com" matches with any case of the domain.
  auto at = src.id.find('@');
  std::string user = src.id.substr(0, at);
  auto rule_at = id.find('@');
  if (rule_at == std::string::npos) return id == user;
  return at != std::string::npos && id.substr(0, rule_at) == user &&
         lower(id.substr(rule_at + 1)) == lower(src.id.substr(at + 1));
}

/// Runs `re` on `text`; false when it does not match or the regex engine gives up.
bool search(const std::regex& re, const std::string& text, std::smatch& m, std::int64_t rule_id) {
  try {
    return std::regex_search(text, m, re);
  } catch (const std::regex_error& e) {
    spdlog::warn("dialplan: rule id {}: regex gave up on '{}': {}", rule_id, text, e.what());
    return false;
  }
}

DialplanRule rule_from_row(const Statement& st) {
  DialplanRule r;
  r.id = st.integer(0);
  r.position = st.integer(1);
  r.src_kind = st.text(2);
  r.src_id = st.text(3);
  r.dest_match = st.text(4);
  r.dest_rewrite = st.text(5);
  r.src_match = st.text(6);
  r.src_rewrite = st.text(7);
  r.target_kind = st.text(8);
  r.target_id = st.text(9);
  r.comment = st.text(11);
  return r;
}

/// Binds the content columns (everything but id and position) from parameter `first` on.
void bind_content(Statement& st, int first, const DialplanRule& r) {
  st.bind(first, r.src_kind).bind(first + 1, r.src_id);
  st.bind(first + 2, r.dest_match).bind(first + 3, r.dest_rewrite);
  st.bind(first + 4, r.src_match).bind(first + 5, r.src_rewrite);
  st.bind(first + 6, r.target_kind).bind(first + 7, r.target_id);
  st.bind(first + 8, r.options.dump()).bind(first + 9, r.comment);
}

}  // namespace

json parse_dialplan_options(const std::string& text) {
  if (text.size() > kDialplanMaxOptions) refuse("options", fmt::format("longer than {} bytes", kDialplanMaxOptions));
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
  if (const std::size_t max = mi::decode_limits().max_nesting; mi::json_nesting(text, max + 1) > max)
    refuse("options", fmt::format("nested deeper than {} levels (core.max_nesting)", max));
  json v = json::parse(text, nullptr, false);
  if (v.is_discarded()) refuse("options", "is not valid JSON");
  check_options(v);
  return v;
}

CompiledRule compile_dialplan_rule(const DialplanRule& rule) {
  CompiledRule c;
  c.rule = rule;
  check_source(rule);
  check_target(rule);
  check_options(rule.options);
  if (rule.options.dump().size() > kDialplanMaxOptions)
    refuse("options", fmt::format("longer than {} bytes", kDialplanMaxOptions));
  if (rule.comment.size() > kDialplanMaxComment)
    refuse("comment", fmt::format("longer than {} bytes", kDialplanMaxComment));
  if (has_control(rule.comment)) refuse("comment", "contains a control character");
  c.dest_re = compile_regex("dest_match", rule.dest_match);
  c.src_re = compile_regex("src_match", rule.src_match);
  check_rewrite("dest_rewrite", rule.dest_rewrite, "dest_match", c.dest_re.mark_count());
  check_rewrite("src_rewrite", rule.src_rewrite, "src_match", c.src_re.mark_count());
  c.enabled = rule.options.value("enabled", true);
  return c;
}

json dialplan_rule_value(const DialplanRule& r) {
  return json{{"id", r.id},
              {"position", r.position},
              {"src_kind", r.src_kind},
              {"src_id", r.src_id},
              {"dest_match", r.dest_match},
              {"dest_rewrite", r.dest_rewrite},
              {"src_match", r.src_match},
              {"src_rewrite", r.src_rewrite},
              {"target_kind", r.target_kind},
              {"target_id", r.target_id},
              {"options", r.options},
              {"comment", r.comment}};
}

// --- Dialplan ----------------------------------------------------------------------------------

Dialplan::Dialplan(Database& db, mi::Statistics& stats)
    : db_(db),
      active_(std::make_shared<const DialplanSnapshot>()),
      translations_(stats.counter("dialplan", "translations")),
      no_match_(stats.counter("dialplan", "no_match")),
      reloads_(stats.counter("dialplan", "reloads")),
      reload_errors_(stats.counter("dialplan", "reload_errors")),
      rules_(stats.gauge("dialplan", "rules")) {
  rules_.set(0);
}

Dialplan::~Dialplan() { rules_.set(0); }

std::shared_ptr<const DialplanSnapshot> Dialplan::read_table() {
  auto snapshot = std::make_shared<DialplanSnapshot>();
  std::vector<DialplanRule> rows;
  {
    auto st = db_.prepare(fmt::format("SELECT {} FROM dp_rule ORDER BY position, id", kColumns));
    while (st.step()) {
      if (rows.size() == kDialplanMaxRules)
        throw DialplanError(400, "", fmt::format("the dialplan holds more than {} rules", kDialplanMaxRules));
      DialplanRule r = rule_from_row(st);
      try {
        r.options = parse_dialplan_options(st.text(10));
      } catch (const DialplanError& e) {
        throw DialplanError(400, "", fmt::format("rule id {} at position {}: {}", r.id, r.position, e.what()));
      }
      rows.push_back(std::move(r));
    }
  }
  auto& renumber = db_.cached("UPDATE dp_rule SET position = ?1 WHERE id = ?2");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    DialplanRule& r = rows[i];
    auto position = static_cast<std::int64_t>(i + 1);
    try {
      snapshot->rules.push_back(compile_dialplan_rule(r));
    } catch (const DialplanError& e) {
      throw DialplanError(400, "", fmt::format("rule id {} at position {}: {}", r.id, r.position, e.what()));
    }
    if (r.position != position) {
      renumber.bind(1, position).bind(2, r.id).run();
      snapshot->rules.back().rule.position = position;
    }
  }
  return snapshot;
}

void Dialplan::publish(std::shared_ptr<const DialplanSnapshot> snapshot) {
  rules_.set(static_cast<std::int64_t>(snapshot->rules.size()));
  active_.store(std::move(snapshot));
}

std::size_t Dialplan::reload() {
  try {
    Transaction tx(db_);
    auto snapshot = read_table();
    tx.commit();
    std::size_t n = snapshot->rules.size();
    publish(std::move(snapshot));
    reloads_.inc();
    if (bus_ && reloaded_event_) bus_->raise_if(*reloaded_event_, [&] { return mi::Value{{"rules", n}}; });
    return n;
  } catch (...) {
    reload_errors_.inc();
    throw;
  }
}

const mi::EventSpec& Dialplan::declare_events(mi::EventRegistry& events) {
  using namespace mi::schema;
  return events.add({.name = "E_DIALPLAN_RELOADED", .module = "dialplan",
                     .summary = "The dialplan rules were (re)loaded: dp_reload, an edit, a configuration import",
                     .params = object({{"rules", uint("rules now active")}})});
}

std::vector<std::int64_t> Dialplan::ids_in_order() {
  std::vector<std::int64_t> ids;
  auto st = db_.prepare("SELECT id FROM dp_rule ORDER BY position, id");
  while (st.step()) ids.push_back(st.integer(0));
  return ids;
}

void Dialplan::write_positions(const std::vector<std::int64_t>& ids) {
  auto& st = db_.cached("UPDATE dp_rule SET position = ?1 WHERE id = ?2 AND position <> ?1");
  for (std::size_t i = 0; i < ids.size(); ++i) st.bind(1, static_cast<std::int64_t>(i + 1)).bind(2, ids[i]).run();
}

namespace {
/// The rule `id` of a published snapshot (it is there: the edit just wrote it).
DialplanRule stored(const DialplanSnapshot& s, std::int64_t id) {
  for (const auto& c : s.rules)
    if (c.rule.id == id) return c.rule;
  throw DialplanError(500, "", fmt::format("rule id {} vanished from the table", id));
}

void check_position(std::int64_t position, std::size_t last) {
  if (position < 1 || position > static_cast<std::int64_t>(last))
    refuse("position", fmt::format("{} is not in 1..{}", position, last));
}
}  // namespace

DialplanRule Dialplan::add(const DialplanRule& rule, std::optional<std::int64_t> position) {
  compile_dialplan_rule(rule);  // the new rule's own faults name its field
  Transaction tx(db_);
  std::vector<std::int64_t> ids = ids_in_order();
  if (ids.size() >= kDialplanMaxRules)
    throw DialplanError(400, "", fmt::format("the dialplan already holds the maximum of {} rules", kDialplanMaxRules));
  std::int64_t at = position.value_or(static_cast<std::int64_t>(ids.size() + 1));
  check_position(at, ids.size() + 1);
  auto st = db_.prepare(
      "INSERT INTO dp_rule (position, src_kind, src_id, dest_match, dest_rewrite, src_match, src_rewrite, "
      "target_kind, target_id, options, comment) VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id");
  st.bind(1, at);
  bind_content(st, 2, rule);
  if (!st.step()) throw StoreError("INSERT INTO dp_rule returned no id");
  std::int64_t id = st.integer(0);
  st.reset();
  ids.insert(ids.begin() + (at - 1), id);
  write_positions(ids);
  auto snapshot = read_table();
  tx.commit();
  publish(snapshot);
  return stored(*snapshot, id);
}

DialplanRule Dialplan::update(std::int64_t id, const DialplanRulePatch& patch) {
  Transaction tx(db_);
  auto st = db_.prepare(fmt::format("SELECT {} FROM dp_rule WHERE id = ?", kColumns));
  st.bind(1, id);
  if (!st.step()) throw DialplanError(404, "", "Rule not found");
  DialplanRule r = rule_from_row(st);
  std::string stored_options = st.text(10);
  st.reset();
  auto set = [](std::string& field, const std::optional<std::string>& v) {
    if (v) field = *v;
  };
  set(r.src_kind, patch.src_kind);
  set(r.src_id, patch.src_id);
  set(r.dest_match, patch.dest_match);
  set(r.dest_rewrite, patch.dest_rewrite);
  set(r.src_match, patch.src_match);
  set(r.src_rewrite, patch.src_rewrite);
  set(r.target_kind, patch.target_kind);
  set(r.target_id, patch.target_id);
  set(r.comment, patch.comment);
  if (patch.options) {
    r.options = *patch.options;
  } else {
    try {
      r.options = parse_dialplan_options(stored_options);
    } catch (const DialplanError& e) {  // corrupted in the table: only new options can fix it
      throw DialplanError(400, "", fmt::format("rule id {} at position {}: {}", r.id, r.position, e.what()));
    }
  }
  compile_dialplan_rule(r);
  auto up = db_.prepare(
      "UPDATE dp_rule SET src_kind = ?, src_id = ?, dest_match = ?, dest_rewrite = ?, src_match = ?, "
      "src_rewrite = ?, target_kind = ?, target_id = ?, options = ?, comment = ? WHERE id = ?");
  bind_content(up, 1, r);
  up.bind(11, id).run();
  auto snapshot = read_table();
  tx.commit();
  publish(snapshot);
  return stored(*snapshot, id);
}

void Dialplan::remove(std::int64_t id) {
  Transaction tx(db_);
  db_.prepare("DELETE FROM dp_rule WHERE id = ?").bind(1, id).run();
  if (db_.changes() == 0) throw DialplanError(404, "", "Rule not found");
  auto snapshot = read_table();
  tx.commit();
  publish(std::move(snapshot));
}

DialplanRule Dialplan::move(std::int64_t id, std::int64_t position) {
  Transaction tx(db_);
  std::vector<std::int64_t> ids = ids_in_order();
  auto it = std::find(ids.begin(), ids.end(), id);
  if (it == ids.end()) throw DialplanError(404, "", "Rule not found");
  check_position(position, ids.size());
  ids.erase(it);
  ids.insert(ids.begin() + (position - 1), id);
  write_positions(ids);
  auto snapshot = read_table();
  tx.commit();
  publish(snapshot);
  return stored(*snapshot, id);
}

std::optional<Translation> Dialplan::translate(const CallSource& src, const std::string& called,
                                               const std::string& caller, std::size_t from_index) const {
  if (called.size() > kDialplanMaxNumber || caller.size() > kDialplanMaxNumber) {
    no_match_.inc();
    return std::nullopt;
  }
  auto snapshot = active_.load();
  const auto& rules = snapshot->rules;
  for (std::size_t i = from_index; i < rules.size(); ++i) {
    const CompiledRule& c = rules[i];
    const DialplanRule& r = c.rule;
    if (!c.enabled || !source_matches(r, src)) continue;
    std::smatch dm, sm;
    if (!search(c.dest_re, called, dm, r.id)) continue;
    if (!r.src_match.empty() && !search(c.src_re, caller, sm, r.id)) continue;
    std::string new_called = rewrite(r.dest_rewrite, groups_of(dm, r.dest_match.empty(), called), called);
    std::string new_caller = rewrite(r.src_rewrite, groups_of(sm, r.src_match.empty(), caller), caller);
    if (new_called.size() > kDialplanMaxNumber || new_caller.size() > kDialplanMaxNumber) {
      spdlog::debug("dialplan: rule id {} passed over: the rewritten number is longer than {} bytes", r.id,
                    kDialplanMaxNumber);
      continue;
    }
    translations_.inc();
    Translation t;
    t.index = i;
    t.rule_id = r.id;
    t.target_kind = r.target_kind;
    t.target_id = expand_dest(r.target_id, new_called);
    t.called = std::move(new_called);
    t.caller = std::move(new_caller);
    t.options = r.options;
    return t;
  }
  no_match_.inc();
  return std::nullopt;
}

}  // namespace sb::gateway
