// provisioning_commands.cpp: the `config` module's commands — the whole configuration as one
// document (export, import with dry_run and impact report, revisions, restore).
#include "gateway/provisioning/provisioning_commands.h"

#include <ctime>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "gateway/engine/command_helpers.h"
#include "gateway/provisioning/config_document.h"
#include "gateway/provisioning/config_revisions.h"
#include "mi/reply_schema.h"

namespace sb::gateway {

namespace {

constexpr std::size_t kMaxReportedProblems = 200;

Error refused(const std::vector<ConfigProblem>& problems) {
  Error e = Error::failure(422, fmt::format("Configuration refused: {} problem{}", problems.size(),
                                            problems.size() == 1 ? "" : "s"));
  for (const ConfigProblem& p : problems) {
    if (e.problems.size() == kMaxReportedProblems) break;
    e.problems.emplace_back(p.pointer, p.detail);
    e.detail += (e.detail.empty() ? "" : "; ") + (p.pointer.empty() ? "/" : p.pointer) + ": " + p.detail;
  }
  return e;
}

/// Checks `doc` whole, reports what it changes; unless dry_run, writes it and the new revision
/// in one transaction, then applies it. `source` names the revision ("config_restore 7").
Result import(const SipServices& s, ConfigRevisions& revisions, const Value& doc, const Args& a,
              const std::string& source) {
  std::int64_t now_rev = revisions.current();
  if (a.has("if_revision") && a.integer("if_revision") != now_rev)
    return Error::failure(412, "Precondition Failed",
                          fmt::format("the configuration is at revision {}, not {}", now_rev, a.integer("if_revision")));
  Value next;
  if (auto problems = check_config(doc, s, &next); !problems.empty()) return refused(problems);
  Value current = export_config(s);
  Value report = config_changes(current, next);
  bool dry_run = a.has("dry_run") && a.boolean("dry_run");
  if (dry_run) {
    return Value{{"revision", now_rev}, {"dry_run", true}, {"changes", report["changes"]}, {"impact", report["impact"]}};
  }
  std::int64_t revision;
  {
    Transaction tx(*s.db);
    write_config(s, current, next, static_cast<std::int64_t>(std::time(nullptr)));
    revision = revisions.record(source);
    tx.commit();
  }
  Value not_applied = apply_config(s, report);
  spdlog::info("config: {} imported as revision {}", source, revision);
  Value reply{{"revision", revision}, {"dry_run", false}, {"changes", report["changes"]}, {"impact", report["impact"]}};
  if (!not_applied.empty()) reply["not_applied"] = std::move(not_applied);
  return reply;
}

Value report_reply() {
  using namespace mi::schema;
  Value keys = array_of(str());
  Value per_kind = object({{"added", keys}, {"changed", keys}, {"removed", keys}});
  return object({{"revision", uint("the revision now (unchanged by a dry run)")},
                 {"dry_run", boolean()},
                 {"changes", object({{"subscribers", per_kind}, {"accounts", per_kind}, {"dialplan", per_kind},
                                     {"ports", per_kind}, {"port_groups", per_kind}})},
                 {"impact", array_of(object({{"kind", str()}, {"key", str()},
                                             {"change", enum_of({"added", "changed", "removed"})},
                                             {"impact", enum_of({"none", "live", "reregister", "restart"})},
                                             {"applied", opt(boolean())}, {"detail", opt(str())}}))},
                 {"not_applied", opt(array_of(object({{"kind", str()}, {"detail", str()}}),
                                              "committed but not in use until a restart (see the log)"))}});
}

Value document_reply() {
  using namespace mi::schema;
  return object({{"schema_version", uint()},
                 {"revision", uint()},
                 {"generated_at", uint("unix time")},
                 {"subscribers", array_of(object({{"username", str()}, {"domain", str()},
                                                  {"ha1", str("MD5(username:domain:password)")},
                                                  {"ha1b", str("MD5(username@domain:domain:password)")}}))},
                 {"accounts", array_of(object({{"name", str()}, {"address", str()}, {"transport", str()},
                                               {"username", str()}, {"auth_user", str()}, {"secret", str()},
                                               {"displayname", str()}, {"domain", str()}, {"register", boolean()},
                                               {"expires", uint()}, {"matchtype", str()},
                                               {"options", map_of(any())}}))},
                 {"dialplan", array_of(object({{"id", opt(uint())}, {"src_kind", str()}, {"src_id", str()},
                                               {"dest_match", str()}, {"dest_rewrite", str()}, {"src_match", str()},
                                               {"src_rewrite", str()}, {"target_kind", str()}, {"target_id", str()},
                                               {"options", map_of(any())}, {"comment", str()}}),
                                       "in evaluation order")},
                 {"ports", array_of(object({{"port", uint()}, {"driver", str()}, {"channels", uint()},
                                            {"label", str()}, {"options", map_of(any())}}))},
                 {"port_groups", array_of(object({{"name", str()}, {"ports", array_of(uint())}, {"hunt", str()}}))},
                 {"cause_map", any("read-only here: set by calls.q850_to_sip and calls.sip_to_q850")}},
                "the whole provisioned configuration");
}

/// What config_import accepts: config_export's document, where what has a default may be left
/// out, a subscriber may give its password instead of its hashes and a new rule has no id.
Value import_shape() {
  using namespace mi::schema;
  Value subscriber = any_of({object({{"username", str()}, {"domain", str()}, {"password", str()}}),
                             object({{"username", str()}, {"domain", str()}, {"ha1", str()}, {"ha1b", str()}})});
  return object({{"schema_version", uint("1")},
                 {"revision", opt(uint("ignored: If-Match or if_revision say which revision it replaces"))},
                 {"generated_at", opt(uint("ignored"))},
                 {"subscribers", array_of(subscriber)},
                 {"accounts", array_of(object({{"name", str()}, {"address", str()}, {"username", str()},
                                               {"secret", str()}, {"transport", opt(str())},
                                               {"auth_user", opt(str())}, {"displayname", opt(str())},
                                               {"domain", opt(str())}, {"register", opt(boolean())},
                                               {"expires", opt(uint())}, {"matchtype", opt(str())},
                                               {"options", opt(map_of(any()))}}))},
                 {"dialplan", array_of(object({{"id", opt(uint())}, {"src_kind", opt(str())}, {"src_id", opt(str())},
                                               {"dest_match", opt(str())}, {"dest_rewrite", opt(str())},
                                               {"src_match", opt(str())}, {"src_rewrite", opt(str())},
                                               {"target_kind", str()}, {"target_id", str()},
                                               {"options", opt(map_of(any()))}, {"comment", opt(str())}}),
                                       "in evaluation order")},
                 {"ports", array_of(object({{"port", uint()}, {"driver", str()}, {"channels", opt(uint())},
                                            {"label", opt(str())}, {"options", opt(map_of(any()))}}))},
                 {"port_groups", array_of(object({{"name", str()}, {"ports", array_of(uint())}, {"hunt", opt(str())}}))},
                 {"cause_map", opt(any("must equal the running one to be applied: it is set in the configuration file"))}},
                "a configuration document");
}

/// The text dialect (FIFO, sbctl) prints a document as one line of JSON, so that
/// `sbctl config_export > backup.json` and `sbctl config_import "$(cat backup.json)"` round-trip.
std::string document_text(const Value& doc) { return "200 OK\n" + mi::to_compact_json(doc) + "\n\n"; }

}  // namespace

void register_provisioning_commands(mi::Registry& registry, const SipServices& s) {
  using namespace mi::schema;
  namespace rest = mi::rest;
  const std::string m = "config";
  auto on_revisions = [&s](auto fn) { return on_service(s, &SipServices::revisions, "config", fn); };
  auto revision = mi::param("revision", ParamType::uint_, "a revision number (config_revisions lists them)");
  auto dry_run = mi::optional_param("dry_run", ParamType::bool_, "1: only report what would change", false);
  auto if_revision = mi::optional_param("if_revision", ParamType::uint_,
                                        "refuse (412) unless the configuration is at this revision");

  registry.add({.name = "config_export", .module = m,
                .summary = "The whole provisioned configuration as one JSON document (a backup; secrets included)",
                .description = "Subscribers (HA1 hashes), accounts with their secrets, dialplan rules in order, "
                               "ports, port groups, the cause map. config_import takes it back.",
                .flags = mi::kEngine | mi::kReadOnly | mi::kAdmin,
                .text_reply = document_text,
                .reply = document_reply(),
                .rest = {rest::get("/config").etag_from("revision")},
                .handler = on_revisions([](ConfigRevisions& r, const Args&) -> Result { return r.document(); })});

  registry.add({.name = "config_import", .module = m,
                .summary = "Replace the whole configuration with a document, atomically; report what changed and its impact",
                .description = "The document is checked whole first: any problem refuses it (422, every problem by JSON "
                               "Pointer) and nothing changes. Otherwise it is written in one transaction with a new "
                               "revision and applied live (dialplan swapped, ports reread keeping their calls, changed "
                               "accounts re-register). dry_run reports without changing anything.",
                .params = {mi::param("document", ParamType::object_, "the document (config_export's form; a subscriber "
                                                                      "may give `password` instead of ha1/ha1b)")
                               .shaped(import_shape()),
                           if_revision, dry_run},
                .flags = mi::kEngine | mi::kAdmin,
                .reply = report_reply(),
                .rest = {rest::put("/config").body_as("document").if_match().reporting()},
                .handler = on_revisions([&s](ConfigRevisions& r, const Args& a) {
                  return import(s, r, a.get("document"), a, "config_import");
                })});

  registry.add({.name = "config_revisions", .module = m,
                .summary = "List the kept configuration revisions (newest first): number, time, what made it",
                .flags = mi::kEngine | mi::kReadOnly,
                .reply = object({{"current", uint()},
                                 {"Revisions", array_of(object({{"revision", uint()}, {"created", uint("unix time")},
                                                                {"source", str("the command that made it")}}))}}),
                .rest = {rest::get("/config/revisions")},
                .handler = on_revisions([](ConfigRevisions& r, const Args&) -> Result {
                  return Value{{"current", r.current()}, {"Revisions", r.list()}};
                })});

  registry.add({.name = "config_revision_show", .module = m,
                .summary = "The configuration document of a kept revision (secrets included)",
                .params = {revision},
                .flags = mi::kEngine | mi::kReadOnly | mi::kAdmin,
                .text_reply = document_text,
                .reply = document_reply(),
                .rest = {rest::get("/config/revisions/{revision}").etag_from("revision")},
                .handler = on_revisions([](ConfigRevisions& r, const Args& a) -> Result {
                  auto doc = r.find(a.integer("revision"));
                  if (!doc) return Error::failure(404, "Revision not kept");
                  return *doc;
                })});

  registry.add({.name = "config_restore", .module = m,
                .summary = "Go back to a kept revision: import its document (a new revision), report what changed",
                .params = {revision, if_revision, dry_run},
                .flags = mi::kEngine | mi::kAdmin,
                .reply = report_reply(),
                .rest = {rest::post("/config/revisions/{revision}/restore").if_match_of("/config")},
                .handler = on_revisions([&s](ConfigRevisions& r, const Args& a) -> Result {
                  auto doc = r.find(a.integer("revision"));
                  if (!doc) return Error::failure(404, "Revision not kept");
                  return import(s, r, *doc, a, fmt::format("config_restore {}", a.integer("revision")));
                })});
}

}  // namespace sb::gateway
