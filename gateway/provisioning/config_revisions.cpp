// config_revisions.cpp: the config_revision table.
#include "gateway/provisioning/config_revisions.h"
#include "mi/reply_schema.h"

#include <ctime>

#include "gateway/provisioning/config_document.h"
#include "gateway/store/database.h"

namespace sb::gateway {

ConfigRevisions::ConfigRevisions(const SipServices& services, std::size_t keep)
    : services_(services), keep_(keep) {}

std::int64_t ConfigRevisions::current() const {
  auto st = services_.db->prepare("SELECT COALESCE(MAX(revision), 0) FROM config_revision");
  st.step();
  return st.integer(0);
}

mi::Value ConfigRevisions::document() const {
  mi::Value doc = export_config(services_);
  doc["revision"] = current();
  doc["generated_at"] = static_cast<std::int64_t>(std::time(nullptr));
  return doc;
}

std::int64_t ConfigRevisions::record(const std::string& source) {
  Database& db = *services_.db;
  Transaction tx(db);  // a savepoint inside an import's transaction
  std::int64_t n = current() + 1;
  auto now = static_cast<std::int64_t>(std::time(nullptr));
  mi::Value doc = export_config(services_);
  doc["revision"] = n;
  doc["generated_at"] = now;
  db.prepare("INSERT INTO config_revision (revision, created, source, document) VALUES (?,?,?,?)")
      .bind(1, n).bind(2, now).bind(3, source).bind(4, mi::to_compact_json(doc)).run();
  std::optional<mi::Value> previous;
  bool raise = bus_ && changed_event_ && bus_->wanted(*changed_event_);
  if (raise) {
    previous = find(n - 1);
    if (!previous && n == 1) {  // the first change: against the configuration with nothing in it
      previous = doc;
      for (auto& [kind, v] : previous->items())
        if (v.is_array()) v = mi::Value::array();
    }
  }
  db.prepare("DELETE FROM config_revision WHERE revision <= ?")
      .bind(1, n - static_cast<std::int64_t>(keep_)).run();
  tx.commit();
  if (raise) {
    mi::Value changes = mi::Value::object();
    if (previous) {
      mi::Value all = config_changes(*previous, doc);
      for (const auto& [kind, what] : all["changes"].items()) {
        bool any = !what["added"].empty() || !what["changed"].empty() || !what["removed"].empty();
        if (any) changes[kind] = what;
      }
    }
    bus_->raise(*changed_event_, mi::Value{{"revision", n}, {"source", source},
                                           {"changes", previous ? changes : mi::Value(nullptr)}});
  }
  return n;
}

const mi::EventSpec& ConfigRevisions::declare_events(mi::EventRegistry& events) {
  using namespace mi::schema;
  const mi::Value keys = array_of(str(), "keys: user@domain, account names, rule ids, port numbers");
  return events.add(
      {.name = "E_CONFIG_CHANGED", .module = "config",
       .summary = "The provisioned configuration changed: a new revision was recorded",
       .params = object({{"revision", uint("the new revision (config_revisions)")},
                         {"source", str("the command that made it (subscriber_add, config_import …)")},
                         {"changes", nullable(map_of(object({{"added", keys}, {"changed", keys}, {"removed", keys}}),
                                                     "per kind; null when the previous revision is not kept"))}})});
}

mi::Value ConfigRevisions::list() const {
  mi::Value out = mi::Value::array();
  auto st = services_.db->prepare("SELECT revision, created, source FROM config_revision ORDER BY revision DESC");
  while (st.step())
    out.push_back(mi::Value{{"revision", st.integer(0)}, {"created", st.integer(1)}, {"source", st.text(2)}});
  return out;
}

std::optional<mi::Value> ConfigRevisions::find(std::int64_t n) const {
  auto st = services_.db->prepare("SELECT document FROM config_revision WHERE revision = ?");
  st.bind(1, n);
  if (!st.step()) return std::nullopt;
  mi::Value doc = mi::Value::parse(st.text(0), nullptr, false);
  if (doc.is_discarded()) return std::nullopt;
  return doc;
}

}  // namespace sb::gateway
