// dialplan_commands.cpp: the `dialplan` module's commands. Results are objects with snake_case
// keys (the dp_rule columns), the list wrapped like subscriber_list ({"Rules": [...]}).
#include "gateway/dialplan/dialplan_commands.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "gateway/engine/command_helpers.h"
#include "mi/reply_schema.h"

namespace sb::gateway {


namespace {

/// Runs `fn(dialplan)`; a refused rule or edit becomes its 400/404, a bad field of the rule being
/// edited "400 Bad parameter '<param>'" (src_kind/src_id are the param `src`, target_* `target`).
template <typename Fn>
Result with_dialplan(const SipServices& s, Fn fn) {
  return with_service(s.dialplan, "dialplan", [&](Dialplan& dp) -> Result {
    try {
      return fn(dp);
    } catch (const DialplanError& e) {
      const std::string& f = e.field();
      if (f.empty()) return Error::failure(e.code(), e.what());
      if (f == "src_kind" || f == "src_id") return Error::bad_param("src", e.what());
      if (f == "target_kind" || f == "target_id") return Error::bad_param("target", e.what());
      return Error::bad_param(f, e.why());
    }
  });
}

/// "kind:id" → {kind, id}; "kind" → {kind, ""}.
std::pair<std::string, std::string> split_kind(const std::string& text) {
  auto colon = text.find(':');
  if (colon == std::string::npos) return {text, ""};
  return {text.substr(0, colon), text.substr(colon + 1)};
}

bool is_digits(const std::string& s) {
  return !s.empty() && s.size() <= 9 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// The rule fields the params of dp_rule_add / dp_rule_update give (options parsed and checked).
void apply_params(const Args& a, DialplanRulePatch& p) {
  if (a.has("src")) std::tie(p.src_kind, p.src_id) = split_kind(a.str("src"));
  if (a.has("target")) std::tie(p.target_kind, p.target_id) = split_kind(a.str("target"));
  if (a.has("dest_match")) p.dest_match = a.str("dest_match");
  if (a.has("dest_rewrite")) p.dest_rewrite = a.str("dest_rewrite");
  if (a.has("src_match")) p.src_match = a.str("src_match");
  if (a.has("src_rewrite")) p.src_rewrite = a.str("src_rewrite");
  if (a.has("options")) p.options = a.get("options");  // an object (binding); checked by the dialplan
  if (a.has("comment")) p.comment = a.str("comment");
}

}  // namespace

std::optional<CallSource> parse_call_source(const std::string& text, std::string& why) {
  if (text == "any") return CallSource{"any", "", {}};
  auto [kind, id] = split_kind(text);
  if (kind != "account" && kind != "subscriber" && kind != "port" && kind != "group") {
    why = "expected any, account:NAME, subscriber:USER[@DOMAIN], port:N or group:NAME";
    return std::nullopt;
  }
  if (id.empty()) {
    why = fmt::format("'{}:' needs a name after the colon", kind);
    return std::nullopt;
  }
  if (id.size() > kDialplanMaxId || std::any_of(id.begin(), id.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
      })) {
    why = fmt::format("the name is longer than {} bytes or contains a blank or a control character", kDialplanMaxId);
    return std::nullopt;
  }
  if (kind == "port" && !is_digits(id)) {
    why = fmt::format("'{}' is not a port number", id);
    return std::nullopt;
  }
  if (kind == "group") return CallSource{"port", "", {id}};
  return CallSource{kind, id, {}};
}

namespace {

// ---- handlers ---------------------------------------------------------------------------------

Result list_rules(Dialplan& dp, const Args&) {
  Value list = Value::array();
  for (const CompiledRule& c : dp.rules()->rules) list.push_back(dialplan_rule_value(c.rule));
  return Value{{"Rules", std::move(list)}};
}

Result reload(Dialplan& dp, const Args&) {
  try {
    std::size_t n = dp.reload();
    spdlog::info("dialplan: reloaded, {} rules", n);
  } catch (const DialplanError& e) {
    spdlog::error("dialplan: reload refused, the active rules stay: {}", e.what());
    throw;
  }
  return mi::ok_value();
}

/// dp_translate's checks before the engine is asked.
std::optional<Error> translate_params(const Args& a, std::optional<CallSource>& source) {
  std::string why;
  source = parse_call_source(a.str("source"), why);
  if (!source) return Error::bad_param("source", why);
  for (const char* p : {"number", "caller"})
    if (a.str(p).size() > kDialplanMaxNumber)
      return Error::bad_param(p, fmt::format("longer than {} bytes", kDialplanMaxNumber));
  return std::nullopt;
}

Result translate(Dialplan& dp, const CallSource& source, const Args& a) {
  auto t = dp.translate(source, a.str("number"), a.str("caller"));
  if (!t) return Error::failure(404, "No matching rule");
  return Value{{"rule_id", t->rule_id}, {"position", t->index + 1}, {"called", t->called},
               {"caller", t->caller},   {"target_kind", t->target_kind},
               {"target_id", t->target_id}, {"options", t->options}};
}

Result add_rule(Dialplan& dp, const Args& a) {
  DialplanRulePatch p;
  apply_params(a, p);
  DialplanRule r;
  r.src_kind = *p.src_kind;
  r.src_id = *p.src_id;
  r.dest_match = *p.dest_match;
  r.dest_rewrite = *p.dest_rewrite;
  r.src_match = *p.src_match;
  r.src_rewrite = *p.src_rewrite;
  r.target_kind = *p.target_kind;
  r.target_id = *p.target_id;
  r.options = *p.options;
  r.comment = *p.comment;
  std::optional<std::int64_t> position;
  if (a.has("position")) position = a.integer("position");
  DialplanRule added = dp.add(r, position);
  spdlog::info("dialplan: rule id {} added at position {}", added.id, added.position);
  return dialplan_rule_value(added);
}

constexpr const char* kEditableFields[] = {"src",       "dest_match",  "dest_rewrite", "target",
                                           "src_match", "src_rewrite", "options",      "comment"};

/// The given fields, then `position` (a move), when given.
Result update_rule(Dialplan& dp, const Args& a) {
  // A bad position is refused before anything changes (the fields would be written first).
  if (a.has("position")) {
    auto n = static_cast<std::int64_t>(dp.rules()->rules.size());
    if (a.integer("position") < 1 || a.integer("position") > n)
      return Error::bad_param("position", fmt::format("must be 1..{}", n));
  }
  bool fields = std::any_of(std::begin(kEditableFields), std::end(kEditableFields),
                            [&](const char* f) { return a.has(f); });
  DialplanRule updated;
  if (fields) {
    DialplanRulePatch p;
    apply_params(a, p);
    updated = dp.update(a.integer("id"), p);
    spdlog::info("dialplan: rule id {} updated", updated.id);
  }
  if (a.has("position")) {
    updated = dp.move(a.integer("id"), a.integer("position"));
    spdlog::info("dialplan: rule id {} moved to position {}", updated.id, updated.position);
  }
  return dialplan_rule_value(updated);
}

Result show_rule(Dialplan& dp, const Args& a) {
  for (const CompiledRule& c : dp.rules()->rules)
    if (c.rule.id == a.integer("id")) return dialplan_rule_value(c.rule);
  return Error::failure(404, "Rule not found");
}

Result remove_rule(Dialplan& dp, const Args& a) {
  dp.remove(a.integer("id"));
  spdlog::info("dialplan: rule id {} removed", a.integer("id"));
  return mi::ok_value();
}

Result move_rule(Dialplan& dp, const Args& a) {
  DialplanRule moved = dp.move(a.integer("id"), a.integer("position"));
  spdlog::info("dialplan: rule id {} moved to position {}", moved.id, moved.position);
  return dialplan_rule_value(moved);
}

// ---- reply schemas ----------------------------------------------------------------------------

Value options_reply() {
  using namespace mi::schema;
  return object({{"failover_causes", opt(array_of(uint(), "SIP codes 300..699 that try the next rule"))},
                 {"timeout_s", opt(uint())},
                 {"clir", opt(boolean())},
                 {"enabled", opt(boolean())}});
}

Value rule_reply() {
  using namespace mi::schema;
  return object({{"id", uint()},           {"position", uint("1..N, evaluation order")},
                 {"src_kind", str()},      {"src_id", str()},
                 {"dest_match", str()},    {"dest_rewrite", str()},
                 {"src_match", str()},     {"src_rewrite", str()},
                 {"target_kind", str()},   {"target_id", str()},
                 {"options", options_reply()}, {"comment", str()}});
}

}  // namespace

void register_dialplan_commands(mi::Registry& registry, const SipServices& s) {
  using namespace mi::schema;
  namespace rest = mi::rest;
  const std::string m = "dialplan";
  auto src_help = "call source: any | account[:NAME] | subscriber[:USER[@DOMAIN]] | group[:NAME] | port[:N] "
                  "(no name = any of that kind)";
  auto target_help = "account:NAME | user:ID | group:NAME; ${dest} in the id = the rewritten called number";
  auto dest_match_help = "ECMAScript regex searched in the called number (anchor with ^ $); '' = any";
  auto dest_rewrite_help = "the new called number, \\0..\\9 = groups of dest_match, \\\\ = a backslash; '' = unchanged";
  auto src_match_help = "regex searched in the caller number; '' = any caller";
  auto src_rewrite_help = "the new caller number, \\0..\\9 = groups of src_match; '' = unchanged";
  auto options_help = "object: failover_causes [SIP codes 300..699], timeout_s 1..600, clir bool, enabled bool "
                      "(as JSON text in the text dialects)";
  auto id = mi::param("id", ParamType::uint_, "rule id (dp_list shows it)");
  // Runs fn(dialplan, args); a refused rule or edit becomes its 400/404 (with_dialplan).
  auto on_dialplan = [&s](Result (*fn)(Dialplan&, const Args&)) -> mi::SyncHandler {
    return [&s, fn](const Args& a) { return with_dialplan(s, [&](Dialplan& dp) { return fn(dp, a); }); };
  };

  registry.add({.name = "dp_list", .module = m,
                .summary = "List the active dialplan rules in evaluation order (first match wins)",
                .flags = mi::kEngine | mi::kReadOnly,
                .reply = object({{"Rules", array_of(rule_reply())}}),
                .rest = {rest::get("/dialplan/rules")},
                .handler = on_dialplan(list_rules)});

  registry.add({.name = "dp_rule_show", .module = m,
                .summary = "Show one dialplan rule",
                .params = {id},
                .flags = mi::kEngine | mi::kReadOnly,
                .reply = rule_reply(),
                // Its position moves when rules are added before it: not part of its version.
                .rest = {rest::get("/dialplan/rules/{id}").etag_ignoring({"position"})},
                .handler = on_dialplan(show_rule)});

  registry.add({.name = "dp_reload", .module = m,
                .summary = "Re-read the dialplan from the database; a bad rule set is refused and the active one kept",
                .flags = mi::kEngine,
                .reply = ok(),
                .rest = {rest::post("/dialplan/reload")},
                .handler = on_dialplan(reload)});

  registry.add({.name = "dp_translate", .module = m,
                .summary = "Show which rule a call would match, the rewritten numbers and the target",
                .params = {mi::param("source", ParamType::string_,
                                     "any | account:NAME | subscriber:USER[@DOMAIN] | port:N | group:NAME"),
                           mi::param("number", ParamType::string_, "the called number"),
                           mi::optional_param("caller", ParamType::string_, "the caller number", "")},
                .flags = mi::kEngine | mi::kReadOnly,
                .reply = object({{"rule_id", uint()}, {"position", uint()}, {"called", str("the rewritten called number")},
                                 {"caller", str("the rewritten caller number")}, {"target_kind", str()},
                                 {"target_id", str()}, {"options", options_reply()}}),
                .rest = {rest::post("/dialplan/test")},
                .handler = [&s](const Args& a) -> Result {
                  std::optional<CallSource> source;
                  if (auto e = translate_params(a, source)) return *e;
                  return with_dialplan(s, [&](Dialplan& dp) { return translate(dp, *source, a); });
                }});

  registry.add({.name = "dp_rule_add", .module = m,
                .summary = "Add a dialplan rule (at `position`, default last); returns it with its id",
                .params = {mi::param("src", ParamType::string_, src_help),
                           mi::param("dest_match", ParamType::string_, dest_match_help),
                           mi::param("dest_rewrite", ParamType::string_, dest_rewrite_help),
                           mi::param("target", ParamType::string_, target_help),
                           mi::optional_param("src_match", ParamType::string_, src_match_help, ""),
                           mi::optional_param("src_rewrite", ParamType::string_, src_rewrite_help, ""),
                           mi::optional_param("options", ParamType::object_, options_help, Value::object()),
                           mi::optional_param("position", ParamType::int_, "1..N+1; default: last"),
                           mi::optional_param("comment", ParamType::string_, "free text", "")},
                .flags = mi::kEngine | mi::kConfig,
                .reply = rule_reply(),
                .rest = {rest::post("/dialplan/rules").created("/dialplan/rules/{id}")},
                .handler = on_dialplan(add_rule)});

  registry.add({.name = "dp_rule_update", .module = m,
                .summary = "Change the given fields of a dialplan rule; returns the rule",
                .params = {id,
                           mi::optional_param("src", ParamType::string_, src_help),
                           mi::optional_param("dest_match", ParamType::string_, dest_match_help),
                           mi::optional_param("dest_rewrite", ParamType::string_, dest_rewrite_help),
                           mi::optional_param("target", ParamType::string_, target_help),
                           mi::optional_param("src_match", ParamType::string_, src_match_help),
                           mi::optional_param("src_rewrite", ParamType::string_, src_rewrite_help),
                           mi::optional_param("options", ParamType::object_, options_help + std::string(" (replaces them all)")),
                           mi::optional_param("comment", ParamType::string_, "free text"),
                           mi::optional_param("position", ParamType::int_, "move it to this position, 1..N")},
                .flags = mi::kEngine | mi::kConfig,
                .reply = rule_reply(),
                .rest = {rest::patch("/dialplan/rules/{id}").if_match()},
                .handler = [update = on_dialplan(update_rule)](const Args& a) -> Result {
                  if (!a.has("position") &&
                      std::none_of(std::begin(kEditableFields), std::end(kEditableFields),
                                   [&](const char* f) { return a.has(f); }))
                    return Error::arity("dp_rule_update needs at least one field to change (or a position) besides the id");
                  return update(a);
                }});

  registry.add({.name = "dp_rule_rm", .module = m,
                .summary = "Remove a dialplan rule (the rules after it move up)",
                .params = {id},
                .flags = mi::kEngine | mi::kConfig,
                .reply = ok(),
                .rest = {rest::del("/dialplan/rules/{id}").if_match().no_content()},
                .handler = on_dialplan(remove_rule)});

  registry.add({.name = "dp_rule_move", .module = m,
                .summary = "Move a dialplan rule to another position; returns the rule",
                .params = {id, mi::param("position", ParamType::int_, "the new position, 1..N")},
                .flags = mi::kEngine | mi::kConfig,
                .reply = rule_reply(),
                .handler = on_dialplan(move_rule)});
}

}  // namespace sb::gateway
