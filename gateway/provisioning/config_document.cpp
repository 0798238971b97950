// config_document.cpp: export, check (every problem, by pointer), compare, write, apply.
#include "gateway/provisioning/config_document.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "gateway/accounts/accounts.h"
#include "gateway/calls/calls.h"
#include "gateway/dialplan/dialplan.h"
#include "gateway/ports/port_driver.h"
#include "gateway/ports/ports.h"
#include "gateway/registrar/digest.h"
#include "gateway/registrar/subscribers.h"
#include "gateway/store/database.h"
#include "mi/strings.h"

namespace sb::gateway {

using mi::Value;

namespace {

constexpr std::int64_t kMaxRuleId = 2'147'483'647;
constexpr const char* kKinds[] = {"subscribers", "accounts", "dialplan", "ports", "port_groups"};

// ---- export -------------------------------------------------------------------------------

Value parsed_object(const std::string& text) {
  Value v = Value::parse(text, nullptr, false);
  return v.is_object() ? v : Value::object();
}

Value port_list_value(const std::string& text) {
  std::string why;
  Value out = Value::array();
  for (int n : parse_port_list(text, &why)) out.push_back(n);
  return out;
}

}  // namespace

Value export_config(const SipServices& s) {
  Database& db = *s.db;
  Value doc = Value::object();
  doc["schema_version"] = kConfigSchemaVersion;
  doc["revision"] = 0;
  doc["generated_at"] = 0;
  Value subs = Value::array();
  auto st = db.prepare("SELECT username, domain, ha1, ha1b FROM subscriber ORDER BY domain, username");
  while (st.step())
    subs.push_back(Value{{"username", st.text(0)}, {"domain", st.text(1)}, {"ha1", st.text(2)}, {"ha1b", st.text(3)}});
  doc["subscribers"] = std::move(subs);

  Value accounts = Value::array();
  auto acc = db.prepare("SELECT name, address, transport, username, auth_user, secret, displayname, domain, register, "
                  "expires, matchtype, options FROM sip_account ORDER BY name");
  while (acc.step())
    accounts.push_back(Value{{"name", acc.text(0)}, {"address", acc.text(1)}, {"transport", acc.text(2)},
                             {"username", acc.text(3)}, {"auth_user", acc.text(4)}, {"secret", acc.text(5)},
                             {"displayname", acc.text(6)}, {"domain", acc.text(7)}, {"register", acc.integer(8) != 0},
                             {"expires", acc.integer(9)}, {"matchtype", acc.text(10)},
                             {"options", parsed_object(acc.text(11))}});
  doc["accounts"] = std::move(accounts);

  Value rules = Value::array();
  auto rule = db.prepare("SELECT id, src_kind, src_id, dest_match, dest_rewrite, src_match, src_rewrite, target_kind, "
                  "target_id, options, comment FROM dp_rule ORDER BY position, id");
  while (rule.step())
    rules.push_back(Value{{"id", rule.integer(0)}, {"src_kind", rule.text(1)}, {"src_id", rule.text(2)},
                          {"dest_match", rule.text(3)}, {"dest_rewrite", rule.text(4)}, {"src_match", rule.text(5)},
                          {"src_rewrite", rule.text(6)}, {"target_kind", rule.text(7)}, {"target_id", rule.text(8)},
                          {"options", parsed_object(rule.text(9))}, {"comment", rule.text(10)}});
  doc["dialplan"] = std::move(rules);

  Value ports = Value::array();
  auto port = db.prepare("SELECT number, driver, channels, label, options FROM port ORDER BY number");
  while (port.step())
    ports.push_back(Value{{"port", port.integer(0)}, {"driver", port.text(1)}, {"channels", port.integer(2)},
                          {"label", port.text(3)}, {"options", parsed_object(port.text(4))}});
  doc["ports"] = std::move(ports);

  Value groups = Value::array();
  auto grp = db.prepare("SELECT name, ports, hunt FROM port_group ORDER BY name");
  while (grp.step())
    groups.push_back(Value{{"name", grp.text(0)}, {"ports", port_list_value(grp.text(1))}, {"hunt", grp.text(2)}});
  doc["port_groups"] = std::move(groups);
  doc["cause_map"] = s.calls ? s.calls->causes().value() : Value::object();
  return doc;
}

// ---- check --------------------------------------------------------------------------------

namespace {

/// Reads one object of a list, collecting every problem with its pointer.
class Item {
 public:
  Item(const Value& v, std::string pointer, std::vector<ConfigProblem>& out,
       std::initializer_list<const char*> members)
      : v_(v), ptr_(std::move(pointer)), out_(out) {
    if (!v.is_object()) {
      problem("", "must be an object");
      return;
    }
    for (auto it = v.begin(); it != v.end(); ++it)
      if (std::none_of(members.begin(), members.end(), [&](const char* m) { return it.key() == m; }))
        problem(it.key(), "is not a member of this object");
  }
  bool ok() const { return v_.is_object(); }
  void problem(std::string_view member, std::string detail) {
    out_.push_back({member.empty() ? ptr_ : ptr_ + "/" + std::string(member), std::move(detail)});
  }
  bool has(const char* m) const { return v_.is_object() && v_.contains(m); }
  std::string str(const char* m, bool required, std::string def = {}) {
    if (!has(m)) {
      if (required) problem(m, "is required");
      return def;
    }
    if (!v_[m].is_string()) {
      problem(m, "must be a string");
      return def;
    }
    return v_[m].get<std::string>();
  }
  std::int64_t integer(const char* m, bool required, std::int64_t def, std::int64_t lo, std::int64_t hi) {
    if (!has(m)) {
      if (required) problem(m, "is required");
      return def;
    }
    if (!v_[m].is_number_integer() || v_[m].get<std::int64_t>() < lo || v_[m].get<std::int64_t>() > hi) {
      problem(m, fmt::format("must be an integer {}..{}", lo, hi));
      return def;
    }
    return v_[m].get<std::int64_t>();
  }
  bool boolean(const char* m, bool def) {
    if (!has(m)) return def;
    if (!v_[m].is_boolean()) {
      problem(m, "must be true or false");
      return def;
    }
    return v_[m].get<bool>();
  }
  Value object(const char* m) {
    if (!has(m)) return Value::object();
    if (!v_[m].is_object()) {
      problem(m, "must be an object");
      return Value::object();
    }
    return v_[m];
  }

 private:
  const Value& v_;
  std::string ptr_;
  std::vector<ConfigProblem>& out_;
};

bool hex32(const std::string& s) {
  return s.size() == 32 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

/// Reports the second of two items with the same key.
class Unique {
 public:
  bool seen(const std::string& key) { return !keys_.insert(key).second; }

 private:
  std::set<std::string> keys_;
};

Value check_subscribers(const Value& list, std::vector<ConfigProblem>& out) {
  Value norm = Value::array();
  Unique unique;
  for (std::size_t i = 0; i < list.size(); ++i) {
    Item it(list[i], fmt::format("/subscribers/{}", i), out, {"username", "domain", "password", "ha1", "ha1b"});
    if (!it.ok()) continue;
    std::string user = it.str("username", true), domain = mi::lower(it.str("domain", true));
    if (auto why = subscriber_name_problem(user, false); !why.empty() && it.has("username")) it.problem("username", why);
    if (auto why = subscriber_name_problem(domain, true); !why.empty() && it.has("domain")) it.problem("domain", why);
    std::string ha1, ha1b;
    if (it.has("password")) {
      std::string password = it.str("password", true);
      if (password.empty()) it.problem("password", "must not be empty");
      ha1 = digest_ha1(user, domain, password);
      ha1b = digest_ha1(user + "@" + domain, domain, password);
      if (it.has("ha1") || it.has("ha1b")) it.problem("password", "give a password or ha1 and ha1b, not both");
    } else {
      ha1 = it.str("ha1", true);
      ha1b = it.str("ha1b", true);
      if (it.has("ha1") && !hex32(ha1)) it.problem("ha1", "must be 32 lower-case hex digits (an MD5)");
      if (it.has("ha1b") && !hex32(ha1b)) it.problem("ha1b", "must be 32 lower-case hex digits (an MD5)");
    }
    if (unique.seen(user + "@" + domain)) it.problem("", fmt::format("{}@{} is listed twice", user, domain));
    norm.push_back(Value{{"username", user}, {"domain", domain}, {"ha1", ha1}, {"ha1b", ha1b}});
  }
  return norm;
}

Value check_accounts(const Value& list, const SipServices& s, std::vector<ConfigProblem>& out) {
  Value norm = Value::array();
  Unique unique;
  for (std::size_t i = 0; i < list.size(); ++i) {
    Item it(list[i], fmt::format("/accounts/{}", i), out,
            {"name", "address", "transport", "username", "auth_user", "secret", "displayname", "domain",
             "register", "expires", "matchtype", "options"});
    if (!it.ok()) continue;
    Account a;
    a.name = it.str("name", true);
    a.address = it.str("address", true);
    a.transport = it.str("transport", false, "udp");
    a.username = it.str("username", true);
    a.auth_user = it.str("auth_user", false);
    a.secret = it.str("secret", true);
    a.displayname = it.str("displayname", false);
    a.domain = it.str("domain", false);
    a.do_register = it.boolean("register", true);
    a.expires = static_cast<int>(it.integer("expires", false, kDefaultAccountExpires, kMinAccountExpires, kMaxAccountExpires));
    a.matchtype = it.str("matchtype", false, "address");
    std::string why;
    if (auto options = parse_account_options(it.object("options").dump(), &why)) a.options = *options;
    else it.problem("options", why);
    auto bad = validate_account(a);
    if (bad) it.problem(bad->param, bad->why);
    if (s.accounts && !(bad && bad->param == "transport"))
      if (auto problem = s.accounts->transport_problem(a.transport); !problem.empty()) it.problem("transport", problem);
    if (unique.seen(a.name)) it.problem("name", fmt::format("'{}' is listed twice", a.name));
    norm.push_back(Value{{"name", a.name}, {"address", a.address}, {"transport", a.transport},
                         {"username", a.username}, {"auth_user", a.auth_user}, {"secret", a.secret},
                         {"displayname", a.displayname}, {"domain", a.domain}, {"register", a.do_register},
                         {"expires", a.expires}, {"matchtype", a.matchtype}, {"options", a.options}});
  }
  return norm;
}

Value check_dialplan(const Value& list, std::vector<ConfigProblem>& out) {
  Value norm = Value::array();
  Unique unique;
  if (list.size() > kDialplanMaxRules)
    out.push_back({"/dialplan", fmt::format("has {} rules; at most {}", list.size(), kDialplanMaxRules)});
  for (std::size_t i = 0; i < list.size(); ++i) {
    Item it(list[i], fmt::format("/dialplan/{}", i), out,
            {"id", "src_kind", "src_id", "dest_match", "dest_rewrite", "src_match", "src_rewrite", "target_kind",
             "target_id", "options", "comment"});
    if (!it.ok()) continue;
    DialplanRule r;
    // An id keeps a rule's identity across a backup and restore (CDRs name it); a new rule has
    // none. Bounded so that new rules always find an id after the largest (AUTOINCREMENT).
    r.id = it.integer("id", false, 0, 1, kMaxRuleId);
    r.src_kind = it.str("src_kind", false, "any");
    r.src_id = it.str("src_id", false);
    r.dest_match = it.str("dest_match", false);
    r.dest_rewrite = it.str("dest_rewrite", false);
    r.src_match = it.str("src_match", false);
    r.src_rewrite = it.str("src_rewrite", false);
    r.target_kind = it.str("target_kind", true);
    r.target_id = it.str("target_id", true);
    r.comment = it.str("comment", false);
    try {
      r.options = parse_dialplan_options(it.object("options").dump());
      compile_dialplan_rule(r);
    } catch (const DialplanError& e) {
      it.problem(e.field().empty() ? "" : e.field(), e.why());
    }
    if (r.id && unique.seen(std::to_string(r.id))) it.problem("id", fmt::format("rule id {} is listed twice", r.id));
    Value v{{"id", r.id}, {"src_kind", r.src_kind}, {"src_id", r.src_id}, {"dest_match", r.dest_match},
            {"dest_rewrite", r.dest_rewrite}, {"src_match", r.src_match}, {"src_rewrite", r.src_rewrite},
            {"target_kind", r.target_kind}, {"target_id", r.target_id}, {"options", r.options},
            {"comment", r.comment}};
    if (!r.id) v.erase("id");
    norm.push_back(std::move(v));
  }
  return norm;
}

Value check_ports(const Value& list, const SipServices& s, std::vector<ConfigProblem>& out) {
  Value norm = Value::array();
  Unique unique;
  for (std::size_t i = 0; i < list.size(); ++i) {
    Item it(list[i], fmt::format("/ports/{}", i), out, {"port", "driver", "channels", "label", "options"});
    if (!it.ok()) continue;
    Port p;
    p.number = static_cast<int>(it.integer("port", true, 0, 1, kMaxPort));
    p.driver = it.str("driver", true);
    p.channels = static_cast<int>(it.integer("channels", false, 1, 1, kMaxChannels));
    p.label = it.str("label", false);
    if (p.label.size() > 128) it.problem("label", "longer than 128 bytes");
    Value options = it.object("options");
    if (it.has("driver"))
      if (auto why = parse_port_options(p.driver, options.dump(), p); !why.empty())
        it.problem(find_port_driver(p.driver) ? "options" : "driver", why);
    if (p.number && unique.seen(std::to_string(p.number))) it.problem("port", fmt::format("port {} is listed twice", p.number));
    norm.push_back(Value{{"port", p.number}, {"driver", p.driver}, {"channels", p.channels}, {"label", p.label},
                         {"options", p.options}});
  }
  // A port carrying calls stays: removing it would drop them.
  if (s.ports)
    for (const auto& [n, port] : s.ports->all()) {
      bool kept = std::any_of(norm.begin(), norm.end(), [&](const Value& v) { return v["port"] == n; });
      if (!kept && port.in_use > 0)
        out.push_back({"/ports", fmt::format("port {} carries {} call(s) now and cannot be removed", n, port.in_use)});
    }
  return norm;
}

Value check_groups(const Value& list, const Value& ports, std::vector<ConfigProblem>& out) {
  Value norm = Value::array();
  Unique unique;
  for (std::size_t i = 0; i < list.size(); ++i) {
    Item it(list[i], fmt::format("/port_groups/{}", i), out, {"name", "ports", "hunt"});
    if (!it.ok()) continue;
    std::string name = it.str("name", true);
    if (it.has("name") && !valid_port_group_name(name)) it.problem("name", "1..64 letters, digits, '_', '-' or '.'");
    std::string hunt = it.str("hunt", false, "linear");
    if (hunt != "linear" && hunt != "roundrobin") it.problem("hunt", "must be linear or roundrobin");
    Value members = Value::array();
    const Value& given = list[i].contains("ports") ? list[i]["ports"] : Value();
    if (!given.is_array() || given.empty()) {
      it.problem("ports", "must be a non-empty array of port numbers");
    } else {
      for (std::size_t j = 0; j < given.size(); ++j) {
        bool exists = given[j].is_number_integer() &&
                      std::any_of(ports.begin(), ports.end(), [&](const Value& p) { return p["port"] == given[j]; });
        if (!exists) it.problem(fmt::format("ports/{}", j), "is not a port of this document");
        else members.push_back(given[j]);
      }
    }
    if (unique.seen(name)) it.problem("name", fmt::format("'{}' is listed twice", name));
    norm.push_back(Value{{"name", name}, {"ports", std::move(members)}, {"hunt", hunt}});
  }
  return norm;
}

}  // namespace

std::vector<ConfigProblem> check_config(const Value& doc, const SipServices& s, Value* normalized) {
  std::vector<ConfigProblem> out;
  if (!doc.is_object()) return {{"", "the document must be a JSON object"}};
  static const std::set<std::string> kTop = {"schema_version", "revision", "generated_at", "subscribers", "accounts",
                                             "dialplan", "ports", "port_groups", "cause_map"};
  for (auto it = doc.begin(); it != doc.end(); ++it)
    if (!kTop.count(it.key())) out.push_back({"/" + it.key(), "is not a member of a configuration document"});
  if (!doc.contains("schema_version") || doc["schema_version"] != kConfigSchemaVersion)
    out.push_back({"/schema_version", fmt::format("must be {} (this server's document version)", kConfigSchemaVersion)});
  bool lists = true;
  for (const char* kind : kKinds)
    if (!doc.contains(kind) || !doc[kind].is_array()) {
      out.push_back({std::string("/") + kind, "must be an array (give [] for none: a missing list would remove them all)"});
      lists = false;
    }
  if (doc.contains("cause_map") && !doc["cause_map"].is_object()) out.push_back({"/cause_map", "must be an object"});
  if (!lists) return out;

  Value norm = Value::object();
  norm["schema_version"] = kConfigSchemaVersion;
  norm["subscribers"] = check_subscribers(doc["subscribers"], out);
  norm["accounts"] = check_accounts(doc["accounts"], s, out);
  norm["dialplan"] = check_dialplan(doc["dialplan"], out);
  norm["ports"] = check_ports(doc["ports"], s, out);
  norm["port_groups"] = check_groups(doc["port_groups"], norm["ports"], out);
  norm["cause_map"] = doc.contains("cause_map") ? doc["cause_map"] : Value();
  if (normalized) *normalized = std::move(norm);
  return out;
}

// ---- compare --------------------------------------------------------------------------------

namespace {

std::string key_of(const std::string& kind, const Value& item) {
  if (kind == "subscribers") return item["username"].get<std::string>() + "@" + item["domain"].get<std::string>();
  if (kind == "accounts" || kind == "port_groups") return item["name"].get<std::string>();
  if (kind == "ports") return std::to_string(item["port"].get<std::int64_t>());
  return item.contains("id") ? std::to_string(item["id"].get<std::int64_t>()) : std::string();
}

/// berofix's impact classes: none (nothing behaves differently), live (used from the next
/// call or request on), reregister (the account's registration restarts), restart (needs a
/// daemon restart; not applied here).
std::string impact_of(const std::string& kind, const Value* before, const Value* after) {
  if (kind == "accounts" && before && after) {
    for (const char* f : {"address", "transport", "username", "auth_user", "secret", "domain", "register",
                          "expires", "displayname"})
      if ((*before)[f] != (*after)[f]) return "reregister";
    return "live";
  }
  if (kind == "accounts") return after && (*after)["register"] == true ? "reregister" : "live";
  if (kind == "dialplan" && before && after) {
    Value a = *before, b = *after;
    a.erase("comment");
    b.erase("comment");
    return a == b ? "none" : "live";
  }
  return "live";
}

}  // namespace

Value config_changes(const Value& current, const Value& next) {
  Value changes = Value::object();
  Value impact = Value::array();
  for (const char* kind : kKinds) {
    std::map<std::string, const Value*> before, after;
    for (const Value& v : current[kind]) before[key_of(kind, v)] = &v;
    std::vector<const Value*> unkeyed;  // dialplan rules without an id: new
    for (const Value& v : next[kind]) {
      std::string k = key_of(kind, v);
      if (k.empty()) unkeyed.push_back(&v);
      else after[k] = &v;
    }
    Value added = Value::array(), changed = Value::array(), removed = Value::array();
    auto note = [&](const std::string& key, const char* change, const Value* b, const Value* a) {
      impact.push_back(Value{{"kind", kind}, {"key", key}, {"change", change}, {"impact", impact_of(kind, b, a)}});
    };
    for (const auto& [k, v] : after) {
      auto it = before.find(k);
      if (it == before.end()) {
        added.push_back(k);
        note(k, "added", nullptr, v);
      } else if (*it->second != *v) {
        changed.push_back(k);
        note(k, "changed", it->second, v);
      }
    }
    for (const Value* v : unkeyed) {
      added.push_back("(new rule)");
      note("(new rule)", "added", nullptr, v);
    }
    for (const auto& [k, v] : before)
      if (!after.count(k)) {
        removed.push_back(k);
        note(k, "removed", v, nullptr);
      }
    // The dialplan's order is part of it: the same rules in another order change routing.
    if (std::string(kind) == "dialplan" && added.empty() && removed.empty() && changed.empty()) {
      std::vector<std::string> order_before, order_after;
      for (const Value& v : current[kind]) order_before.push_back(key_of(kind, v));
      for (const Value& v : next[kind]) order_after.push_back(key_of(kind, v));
      if (order_before != order_after) {
        changed.push_back("(order)");
        note("(order)", "changed", &current[kind], &next[kind]);
      }
    }
    changes[kind] = Value{{"added", std::move(added)}, {"changed", std::move(changed)}, {"removed", std::move(removed)}};
  }
  if (!next["cause_map"].is_null() && next["cause_map"] != current["cause_map"])
    impact.push_back(Value{{"kind", "cause_map"}, {"key", "cause_map"}, {"change", "changed"}, {"impact", "restart"},
                           {"applied", false},
                           {"detail", "the cause map is set in the configuration file (calls.q850_to_sip, "
                                      "calls.sip_to_q850); edit it there and restart"}});
  return Value{{"changes", std::move(changes)}, {"impact", std::move(impact)}};
}

bool config_changed(const Value& report) {
  for (const char* kind : kKinds) {
    const Value& c = report["changes"][kind];
    if (!c["added"].empty() || !c["changed"].empty() || !c["removed"].empty()) return true;
  }
  return false;
}

// ---- write and apply ------------------------------------------------------------------------

namespace {

bool kind_changed(const Value& report, const char* kind) {
  const Value& c = report["changes"][kind];
  return !c["added"].empty() || !c["changed"].empty() || !c["removed"].empty();
}

}  // namespace

void write_config(const SipServices& s, const Value& current, const Value& next, std::int64_t now) {
  Database& db = *s.db;
  Value report = config_changes(current, next);
  // Subscribers and accounts: upserted (a subscriber or account that stays keeps its `created`),
  // then the ones the document no longer has are deleted.
  auto removed = [&](const char* kind) {
    std::set<std::string> keep;
    for (const Value& v : next[kind]) keep.insert(key_of(kind, v));
    std::vector<const Value*> out;
    for (const Value& v : current[kind])
      if (!keep.count(key_of(kind, v))) out.push_back(&v);
    return out;
  };
  if (kind_changed(report, "subscribers")) {
    for (const Value& v : next["subscribers"])
      db.prepare("INSERT INTO subscriber (username, domain, ha1, ha1b, created) VALUES (?,?,?,?,?) "
                 "ON CONFLICT (username, domain) DO UPDATE SET ha1 = excluded.ha1, ha1b = excluded.ha1b, "
                 "version = subscriber.version + 1")
          .bind(1, v["username"].get<std::string>()).bind(2, v["domain"].get<std::string>())
          .bind(3, v["ha1"].get<std::string>()).bind(4, v["ha1b"].get<std::string>()).bind(5, now).run();
    for (const Value* v : removed("subscribers"))
      db.prepare("DELETE FROM subscriber WHERE username = ? AND domain = ?")
          .bind(1, (*v)["username"].get<std::string>()).bind(2, (*v)["domain"].get<std::string>()).run();
  }
  if (kind_changed(report, "accounts")) {
    for (const Value& v : next["accounts"])
      db.prepare("INSERT INTO sip_account (name, address, transport, username, auth_user, secret, displayname, "
                 "domain, register, expires, matchtype, options, created, modified) "
                 "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (name) DO UPDATE SET "
                 "address = excluded.address, transport = excluded.transport, username = excluded.username, "
                 "auth_user = excluded.auth_user, secret = excluded.secret, displayname = excluded.displayname, "
                 "domain = excluded.domain, register = excluded.register, expires = excluded.expires, "
                 "matchtype = excluded.matchtype, options = excluded.options, modified = excluded.modified, "
                 "version = sip_account.version + 1")
          .bind(1, v["name"].get<std::string>()).bind(2, v["address"].get<std::string>())
          .bind(3, v["transport"].get<std::string>()).bind(4, v["username"].get<std::string>())
          .bind(5, v["auth_user"].get<std::string>()).bind(6, v["secret"].get<std::string>())
          .bind(7, v["displayname"].get<std::string>()).bind(8, v["domain"].get<std::string>())
          .bind(9, static_cast<std::int64_t>(v["register"].get<bool>())).bind(10, v["expires"].get<std::int64_t>())
          .bind(11, v["matchtype"].get<std::string>()).bind(12, v["options"].dump()).bind(13, now).bind(14, now)
          .run();
    for (const Value* v : removed("accounts"))
      db.prepare("DELETE FROM sip_account WHERE name = ?").bind(1, (*v)["name"].get<std::string>()).run();
  }
  if (kind_changed(report, "dialplan")) {
    db.exec("DELETE FROM dp_rule");
    std::int64_t position = 0;
    for (const Value& v : next["dialplan"]) {
      auto st = db.prepare("INSERT INTO dp_rule (id, position, src_kind, src_id, dest_match, dest_rewrite, src_match, "
                           "src_rewrite, target_kind, target_id, options, comment) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
      if (v.contains("id")) st.bind(1, v["id"].get<std::int64_t>());
      else st.bind_null(1);
      st.bind(2, ++position).bind(3, v["src_kind"].get<std::string>()).bind(4, v["src_id"].get<std::string>())
          .bind(5, v["dest_match"].get<std::string>()).bind(6, v["dest_rewrite"].get<std::string>())
          .bind(7, v["src_match"].get<std::string>()).bind(8, v["src_rewrite"].get<std::string>())
          .bind(9, v["target_kind"].get<std::string>()).bind(10, v["target_id"].get<std::string>())
          .bind(11, v["options"].dump()).bind(12, v["comment"].get<std::string>()).run();
    }
  }
  if (kind_changed(report, "ports")) {
    // A port that stays keeps its blocked flag (operator state, not configuration).
    std::map<std::int64_t, std::int64_t> blocked;
    auto st = db.prepare("SELECT number, blocked FROM port");
    while (st.step()) blocked[st.integer(0)] = st.integer(1);
    db.exec("DELETE FROM port");
    for (const Value& v : next["ports"]) {
      std::int64_t n = v["port"].get<std::int64_t>();
      db.prepare("INSERT INTO port (number, driver, channels, blocked, label, options) VALUES (?,?,?,?,?,?)")
          .bind(1, n).bind(2, v["driver"].get<std::string>()).bind(3, v["channels"].get<std::int64_t>())
          .bind(4, blocked.count(n) ? blocked[n] : 0).bind(5, v["label"].get<std::string>())
          .bind(6, v["options"].dump()).run();
    }
  }
  if (kind_changed(report, "port_groups")) {
    db.exec("DELETE FROM port_group");
    for (const Value& v : next["port_groups"]) {
      std::string ports;
      for (const Value& p : v["ports"]) ports += (ports.empty() ? "" : ",") + std::to_string(p.get<std::int64_t>());
      db.prepare("INSERT INTO port_group (name, ports, hunt) VALUES (?,?,?)")
          .bind(1, v["name"].get<std::string>()).bind(2, ports).bind(3, v["hunt"].get<std::string>()).run();
    }
  }
}

Value apply_config(const SipServices& s, const Value& report) {
  Value failed = Value::array();
  // Each step on its own: the document is committed, so one that fails (it should not: the
  // checks are the same) must not keep the others from running. It says so; a restart reads
  // the committed tables.
  auto step = [&](const char* kind, const std::function<void()>& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      spdlog::error("config: the new {} are committed but could not be applied: {}", kind, e.what());
      failed.push_back(Value{{"kind", kind}, {"detail", e.what()}});
    }
  };
  if (kind_changed(report, "dialplan") && s.dialplan) step("dialplan", [&] { s.dialplan->reload(); });
  if ((kind_changed(report, "ports") || kind_changed(report, "port_groups")) && s.ports)
    step("ports", [&] { s.ports->reload(); });
  if (kind_changed(report, "accounts") && s.accounts) step("accounts", [&] { s.accounts->reload(false); });
  return failed;
}

}  // namespace sb::gateway
