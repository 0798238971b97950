// system_commands.cpp: system_info, statistics_show, command_list.
#include "gateway/core/system_commands.h"

#include <atomic>
#include <memory>

#include <fmt/format.h>

#include "gateway/engine/command_helpers.h"
#include "mi/param_schema.h"
#include "mi/reply_schema.h"

namespace sb::gateway {

namespace {

std::int64_t unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

/// Everything but the uptime, built once the components have started (their lines do not change
/// afterwards): a panel polls /system, so each call is one copy and one field.
Value system_base(const CoreContext& ctx) {
  Value components = Value::array();
  if (ctx.components)
    for (const auto& [name, enabled, detail] : ctx.components())
      components.push_back(Value{{"name", name}, {"enabled", enabled}, {"detail", detail}});
  Value v = Value::object();
  v["version"] = SB_VERSION;
  v["server"] = server_banner();
  v["started"] = unix_seconds(ctx.started);
  v["uptime_s"] = 0;
  v["build"] = Value{{"compiler", __VERSION__}, {"cxx_standard", static_cast<std::int64_t>(__cplusplus)}};
  v["components"] = std::move(components);
  // config_import and every write apply at once (dialplan swap, ports reread, changed
  // accounts re-register): nothing waits for a restart.
  v["pending_impact"] = "none";
  return v;
}

Result system_info(const CoreContext& ctx) {
  static std::atomic<std::shared_ptr<const Value>> cached;
  std::shared_ptr<const Value> base = cached.load();
  if (!base) {
    auto built = std::make_shared<const Value>(system_base(ctx));
    if (!(*built)["components"].empty()) cached.store(built);  // before start: not kept
    base = std::move(built);
  }
  Value v = *base;
  v["uptime_s"] = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - ctx.started).count();
  return v;
}

Result statistics_show(const mi::Statistics& stats, const Args& a) {
  std::string group = a.str("group");
  auto found = stats.match({group.empty() ? std::string("all") : group + ":"});
  if (found.empty()) return Error::failure(404, "Statistics Not Found");
  Value out = Value::object();
  for (const mi::Stat* s : found) out[s->full_name()] = s->get();
  return out;
}

Value flag_names(const mi::CommandSpec& s) {
  Value out = Value::array();
  if (s.has(mi::kReadOnly)) out.push_back("read_only");
  if (s.has(mi::kAdmin)) out.push_back("admin");
  if (s.has(mi::kEngine)) out.push_back("engine");
  if (s.has(mi::kAsync)) out.push_back("async");
  return out;
}

Result command_list(const mi::Registry& registry, const Args& a) {
  Value list = Value::array();
  for (const mi::CommandSpec* s : registry.all()) {
    if (s->has(mi::kHidden)) continue;
    if (a.has("module") && s->module != a.str("module")) continue;
    Value rest = Value::array();
    for (const mi::RestBinding& b : s->rest) rest.push_back(Value{{"method", b.method}, {"path", "/api/v1" + b.path}});
    list.push_back(Value{{"name", s->name},
                         {"module", s->module},
                         {"summary", s->summary},
                         {"flags", flag_names(*s)},
                         {"params", mi::params_object_schema(*s, [](const mi::ParamSpec&) { return true; })},
                         {"reply", s->reply},
                         {"rest", std::move(rest)}});
  }
  return Value{{"Commands", std::move(list)}};
}

}  // namespace

void register_system_commands(mi::Registry& registry, mi::Statistics& stats, CoreContext& ctx) {
  using namespace mi::schema;
  namespace rest = mi::rest;
  const std::string m = "core";
  const unsigned cheap_read = mi::kReadOnly | mi::kInline;

  registry.add({.name = "system_info", .module = m,
                .summary = "Show the version, the start time, the uptime, the build and the components",
                .flags = cheap_read,
                .reply = object({{"version", str()},
                                 {"server", str("as `version` prints it")},
                                 {"started", uint("unix time")},
                                 {"uptime_s", uint()},
                                 {"build", object({{"compiler", str()}, {"cxx_standard", uint()}})},
                                 {"components", array_of(object({{"name", str()}, {"enabled", boolean()},
                                                                 {"detail", str("as the start-up line shows it")}}))},
                                 {"pending_impact", enum_of({"none"}, "changes waiting for a restart: none, "
                                                                      "every write applies at once")}}),
                .rest = {rest::get("/system")},
                .handler = [&ctx](const Args&) { return system_info(ctx); }});

  registry.add({.name = "statistics_show", .module = m,
                .summary = "Show the statistics of one group (core, mi, http, sip …), or all of them",
                .description = "As get_statistics `<group>:` (or `all`: the per-command series are left out; "
                               "ask for the group `mi` to see them).",
                .params = {mi::optional_param("group", ParamType::string_, "a group, e.g. http; empty = all", "")},
                .flags = cheap_read,
                .reply = map_of(integer(), "group:name → value"),
                .rest = {rest::get("/statistics")},
                .handler = [&stats](const Args& a) { return statistics_show(stats, a); }});

  registry.add({.name = "command_list", .module = m,
                .summary = "The command catalogue: each command with its flags, params (a JSON Schema), reply "
                           "schema and REST bindings",
                .params = {mi::optional_param("module", ParamType::string_, "only this module's commands")},
                .flags = mi::kReadOnly,
                .reply = object({{"Commands", array_of(object({{"name", str()},
                                                                {"module", str()},
                                                                {"summary", str()},
                                                                {"flags", array_of(enum_of({"read_only", "admin", "engine", "async"}))},
                                                                {"params", any("JSON Schema of the params as an object")},
                                                                {"reply", any("JSON Schema of the reply")},
                                                                {"rest", array_of(object({{"method", str()}, {"path", str()}}))}}))}}),
                .rest = {rest::get("/commands")},
                .handler = [&registry](const Args& a) { return command_list(registry, a); }});

  registry.add({.name = "whoami", .module = m,
                .summary = "Show who is asking: the caller's name, role and transport (what the web panel "
                           "enables its controls by)",
                .description = "role read_only runs only read-only commands, operator all but admin ones, admin all.",
                .flags = cheap_read,
                .reply = object({{"name", str("user name, token label or peer, as the logs show it")},
                                 {"role", enum_of({"read_only", "operator", "admin"})},
                                 {"transport", str("fifo, datagram, http, monitor…")}}),
                .rest = {rest::get("/whoami")},
                .handler = [](const Args& a) -> Result {
                  const mi::Caller& c = a.caller();
                  return Value{{"name", c.peer}, {"role", std::string(mi::to_string(c.role))},
                               {"transport", c.transport}};
                }});
}

}  // namespace sb::gateway
