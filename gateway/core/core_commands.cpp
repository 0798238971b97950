// core_commands.cpp: the `core` module's commands (OpenSIPS 3.4 shapes, research §3.6).
#include "gateway/core/core_commands.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <cctype>
#include <climits>
#include <ctime>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "mi/reply_schema.h"
#include "mi/threads.h"

namespace sb::gateway {

using mi::Args;
using mi::CommandSpec;
using mi::Error;
using mi::ParamType;
using mi::Result;
using mi::Value;

namespace {

std::string ctime_text(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  // ctime_r costs thousands of instructions (asctime's printf), half of an `uptime` request:
  // each thread keeps the last two texts, which serve every request within the same second.
  thread_local std::pair<std::time_t, std::string> recent[2] = {{-1, {}}, {-1, {}}};
  for (const auto& [when, text] : recent)
    if (when == tt) return text;
  char buf[64];
  if (!::ctime_r(&tt, buf)) return {};
  std::string s(buf);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  static thread_local unsigned next = 0;
  recent[next++ % 2] = {tt, s};
  return s;
}

Value recipes(const CommandSpec& spec) {
  // One signature with optional trailing params = the OpenSIPS "recipes": every accepted prefix.
  Value out = Value::array();
  Value names = Value::array();
  std::size_t required = spec.required_count();
  for (std::size_t i = 0; i <= spec.params.size(); ++i) {
    if (i >= required) out.push_back(names);
    if (i < spec.params.size()) names.push_back(spec.params[i].name);
  }
  return out;
}

/// "ul_show_contact <table_name> <aor>", optional params in brackets, arrays with "...".
std::string usage_line(const CommandSpec& spec) {
  std::string line = spec.name;
  for (const auto& p : spec.params) {
    std::string name = p.name + (p.type == ParamType::array_ ? "..." : "");
    line += p.required ? " <" + name + ">" : " [" + name + "]";
  }
  return line;
}

Value help_value(const CommandSpec& spec) {
  Value out = Value::object();
  out["Usage"] = usage_line(spec);
  out["Help"] = spec.summary;
  if (!spec.description.empty()) out["Description"] = spec.description;
  out["Exported by"] = spec.module;
  Value params = Value::array();
  for (const auto& p : spec.params) {
    Value pv = Value::object();
    pv["name"] = p.name;
    pv["type"] = std::string(mi::to_string(p.type));
    pv["required"] = p.required;
    if (!p.required && !p.default_value.is_null())
      pv["default"] = p.sensitive ? Value("***") : p.default_value;
    if (p.min) pv["min"] = *p.min;
    if (p.max) pv["max"] = *p.max;
    if (!p.choices.empty()) pv["choices"] = p.choices;
    if (p.sensitive) pv["secret"] = true;
    pv["help"] = p.help;
    params.push_back(std::move(pv));
  }
  out["Params"] = std::move(params);
  Value flags = Value::array();
  if (spec.has(mi::kReadOnly)) flags.push_back("read_only");
  if (spec.has(mi::kAsync)) flags.push_back("async");
  if (spec.has(mi::kEngine)) flags.push_back("engine");
  if (spec.has(mi::kAdmin)) flags.push_back("admin");
  out["Flags"] = std::move(flags);
  out["Reply"] = mi::to_compact_json(spec.reply);
  return out;
}

std::vector<std::string> string_items(const Value& array) {
  std::vector<std::string> out;
  for (const Value& v : array) out.push_back(v.is_string() ? v.get<std::string>() : v.dump());
  return out;
}

// OpenSIPS log levels (-3 alert … 4 debug) and spdlog names both work.
std::optional<spdlog::level::level_enum> parse_level(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s == "warning") s = "warn";
  if (s == "err") s = "error";
  if (s == "crit" || s == "alert") s = "critical";
  if (s == "dbg") s = "debug";
  if (s == "notice") s = "info";
  static const std::pair<const char*, spdlog::level::level_enum> numeric[] = {
      {"-3", spdlog::level::critical}, {"-2", spdlog::level::critical},
      {"-1", spdlog::level::err},      {"0", spdlog::level::warn},
      {"1", spdlog::level::warn},      {"2", spdlog::level::info},
      {"3", spdlog::level::info},      {"4", spdlog::level::debug},
      {"5", spdlog::level::trace}};
  for (auto& [k, v] : numeric)
    if (s == k) return v;
  auto lvl = spdlog::level::from_str(s);
  if (lvl == spdlog::level::off && s != "off") return std::nullopt;
  return lvl;
}

// The names the config and `log_level` accept (spdlog itself calls warn "warning").
std::string level_name(spdlog::level::level_enum l) {
  if (l == spdlog::level::warn) return "warn";
  auto sv = spdlog::level::to_string_view(l);
  return std::string(sv.data(), sv.size());
}

}  // namespace

std::string server_banner() {
  // Computed once: `version` and system_info are cheap reads.
  static const std::string banner = [] {
    struct utsname u {};
    std::string arch = "unknown", os = "unknown";
    if (::uname(&u) == 0) {
      arch = u.machine;
      os = u.sysname;
      for (char& c : os) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
#ifdef SB_VERSION
    const char* version = SB_VERSION;
#else
    const char* version = "dev";
#endif
    return fmt::format("Switchboard ({} ({}/{}))", version, arch, os);
  }();
  return banner;
}

namespace {

// ---- handlers (named so that the table below reads as one row per command) ----------------

Result uptime(const CoreContext& ctx) {
  auto now = std::chrono::system_clock::now();
  auto up = std::chrono::duration_cast<std::chrono::seconds>(now - ctx.started);
  // Built member by member: an initializer list of pairs costs ~20 allocations more.
  Value out = Value::object();
  out.get_ref<Value::object_t&>().reserve(3);
  out["Now"] = ctime_text(now);
  out["Up since"] = ctime_text(ctx.started);
  out["Up time"] = fmt::format("{} [sec]", up.count());
  return out;
}

Result which(const mi::Registry& registry, const CoreContext& ctx, const Args& a) {
  if (a.has("command")) {
    const CommandSpec* s = registry.find(a.str("command"));
    if (!s) return Error::failure(404, "unknown MI command");
    return recipes(*s);
  }
  Value out = Value::array();
  for (const CommandSpec* s : registry.all()) {
    if (s->has(mi::kHidden)) continue;
    bool loadable = ctx.is_loadable_module && ctx.is_loadable_module(s->module);
    out.push_back(loadable ? s->module + ":" + s->name : s->name);
  }
  return out;
}

Result help(const mi::Registry& registry, const Args& a) {
  if (!a.has("mi_cmd"))
    return Value("Usage: help <command> - describes <command>; 'which' lists every command");
  const CommandSpec* s = registry.find(a.str("mi_cmd"));
  if (!s) return Error::failure(404, "unknown MI command");
  return help_value(*s);
}

Result threads() {
  Value list = Value::array();
  for (const auto& t : mi::list_threads())
    list.push_back(Value{{"ID", t.id}, {"TID", t.tid}, {"Type", t.type}});
  return Value{{"Processes", std::move(list)}};
}

Result working_directory() {
  char buf[PATH_MAX];
  if (!::getcwd(buf, sizeof buf)) return Error::failure(500, "getcwd failed");
  return Value{{"WD", buf}};
}

Result command_line(const CoreContext& ctx) {
  Value out = Value::array();
  for (const auto& s : ctx.argv) out.push_back(s);
  return out;
}

Result log_level(const Args& a) {
  if (a.has("pid") && a.integer("pid") != ::getpid()) return Error::failure(404, "Process not found");
  if (!a.has("level")) return Value{{"Log level", level_name(spdlog::get_level())}};
  auto lvl = parse_level(a.str("level"));
  if (!lvl) return Error::bad_param("level", fmt::format("unknown log level '{}'", a.str("level")));
  spdlog::set_level(*lvl);
  spdlog::info("log level set to {}", level_name(*lvl));
  return Value{{"New global log level", level_name(*lvl)}};
}

Result get_statistics(const mi::Statistics& stats, const Args& a) {
  auto found = stats.match(string_items(a.array("statistics")));
  if (found.empty()) return Error::failure(404, "Statistics Not Found");
  Value out = Value::object();
  for (const mi::Stat* s : found) out[s->full_name()] = s->get();
  return out;
}

Result list_statistics(const mi::Statistics& stats, const Args& a) {
  auto found = stats.match(a.has("statistics") ? string_items(a.array("statistics"))
                                               : std::vector<std::string>{"all"});
  if (found.empty()) return Error::failure(404, "Statistics Not Found");
  Value out = Value::object();
  for (const mi::Stat* s : found)
    out[s->full_name()] = s->kind() == mi::StatKind::counter ? "incremental" : "non-incremental";
  return out;
}

Result reset_statistics(mi::Statistics& stats, const Args& a) {
  if (stats.reset(string_items(a.array("statistics"))) == 0)
    return Error::failure(404, "Statistics Not Found");
  return mi::ok_value();
}

Result kill(const CoreContext& ctx, const Args& a) {
  spdlog::warn("kill requested over {} ({})", a.caller().transport, a.caller().peer);
  if (ctx.request_shutdown) ctx.request_shutdown();
  return mi::ok_value();
}

Result reload(const CoreContext& ctx, const Args& a) {
  if (!ctx.request_reload) return Error::failure(503, "reload is not available");
  spdlog::info("reload requested over {} ({})", a.caller().transport, a.caller().peer);
  try {
    return ctx.request_reload();
  } catch (const std::invalid_argument& e) {  // the file: nothing changed
    return Error::failure(400, "configuration not reloaded", e.what());
  } catch (const std::exception& e) {
    return Error::failure(500, "configuration not reloaded", e.what());
  }
}

// ---- reply schemas ---------------------------------------------------------------------------

Value help_reply() {
  using namespace mi::schema;
  Value param = object({{"name", str()},
                        {"type", enum_of({"string", "int", "uint", "bool", "double", "array", "object"})},
                        {"required", boolean()},
                        {"default", opt(any("the value used when the param is not given"))},
                        {"min", opt(integer())},
                        {"max", opt(integer())},
                        {"choices", opt(array_of(str()))},
                        {"secret", opt(boolean("the value is a secret: never echoed"))},
                        {"help", str()}});
  return any_of({str("without a command: how to use help"),
                 object({{"Usage", str("e.g. ul_show_contact <table_name> <aor>")},
                         {"Help", str()},
                         {"Description", opt(str())},
                         {"Exported by", str("the module")},
                         {"Params", array_of(param)},
                         {"Flags", array_of(enum_of({"read_only", "async", "engine", "admin"}))},
                         {"Reply", str("the reply's JSON Schema, as compact JSON text")}})});
}

}  // namespace

void register_core_commands(mi::Registry& registry, mi::Statistics& stats, CoreContext& ctx) {
  using namespace mi::schema;
  const std::string m = "core";
  const unsigned cheap_read = mi::kReadOnly | mi::kInline;
  const auto stat_items = [](bool required) {
    const char* help = "statistics: `all`, `group:`, `group:name` or `name`";
    return required ? mi::param("statistics", ParamType::array_, help)
                    : mi::optional_param("statistics", ParamType::array_,
                                         "statistics to list (default: all)");
  };

  registry.add({.name = "uptime", .module = m,
                .summary = "Show the current time, the start time and the uptime in seconds",
                .flags = cheap_read,
                .reply = object({{"Now", str()}, {"Up since", str()}, {"Up time", str("\"<seconds> [sec]\"")}}),
                .handler = [&ctx](const Args&) { return uptime(ctx); }});

  registry.add({.name = "version", .module = m, .summary = "Show the server version",
                .flags = cheap_read,
                .reply = object({{"Server", str("Switchboard (<version> (<arch>/<os>))")}}),
                .handler = [](const Args&) -> Result { return Value{{"Server", server_banner()}}; }});

  registry.add({.name = "which", .module = m,
                .summary = "List every command (a loadable module's as module:name), or the "
                           "parameter lists one command accepts",
                .params = {mi::optional_param("command", ParamType::string_,
                                              "a command name; show the parameter lists it accepts")},
                .flags = cheap_read,
                .reply = any_of({array_of(str(), "every command name"),
                                 array_of(array_of(str()), "each accepted list of param names")}),
                .handler = [&registry, &ctx](const Args& a) { return which(registry, ctx, a); }});

  registry.add({.name = "help", .module = m,
                .summary = "Show what a command does, its parameters and the module exporting it",
                .params = {mi::optional_param("mi_cmd", ParamType::string_, "the command to describe")},
                .flags = cheap_read,
                .reply = help_reply(),
                .handler = [&registry](const Args& a) { return help(registry, a); }});

  registry.add({.name = "ps", .module = m, .summary = "List the server's threads (ID, TID, Type)",
                .flags = cheap_read,
                .reply = object({{"Processes", array_of(object({{"ID", uint()}, {"TID", uint()}, {"Type", str()}}))}}),
                .handler = [](const Args&) { return threads(); }});

  registry.add({.name = "pwd", .module = m, .summary = "Show the server's working directory",
                .flags = cheap_read,
                .reply = object({{"WD", str()}}),
                .handler = [](const Args&) { return working_directory(); }});

  // Admin only, and secrets (--set http.tokens=…, module secret params) are masked anyway.
  registry.add({.name = "arg", .module = m, .summary = "Show the server's command line, one argument per item",
                .description = "Values of secret keys (tokens, passwords, module secrets) are shown as ***.",
                .flags = mi::kAdmin | mi::kInline,  // (read_only and admin exclude each other)
                .reply = array_of(str()),
                .handler = [&ctx](const Args&) { return command_line(ctx); }});

  registry.add({.name = "print", .module = m, .summary = "Echo a text back (SER's FIFO test command)",
                .params = {mi::param("text", ParamType::string_, "the text to echo")},
                .flags = cheap_read,
                .reply = str("the text"),
                .handler = [](const Args& a) -> Result { return Value(a.str("text")); }});

  registry.add({.name = "log_level", .module = m,
                .summary = "Show the log level, or set it",
                .params = {mi::optional_param("level", ParamType::string_,
                                              "new level: trace, debug, info, warn, error, critical, off, "
                                              "or an OpenSIPS number (-3 alert … 4 debug)"),
                           mi::optional_param("pid", ParamType::int_,
                                              "process id (OpenSIPS compatibility): must be the daemon's "
                                              "own pid, as all its threads share one level")},
                .reply = any_of({object({{"Log level", str()}}), object({{"New global log level", str()}})}),
                .handler = [](const Args& a) { return log_level(a); }});

  registry.add({.name = "get_statistics", .module = m,
                .summary = "Show statistics by name, by group (`group:`) or all of them (`all`)",
                .description = "`all` leaves out the per-command series (mi:<cmd>_calls, _errors, "
                               "_latency_total_us, _latency_max_us): ask for `mi:` or a name to see them.",
                .params = {stat_items(true)},
                .flags = cheap_read,
                .reply = map_of(integer(), "group:name → value"),
                .handler = [&stats](const Args& a) { return get_statistics(stats, a); }});

  registry.add({.name = "list_statistics", .module = m,
                .summary = "List statistics and whether each is incremental",
                .params = {stat_items(false)},
                .flags = cheap_read,
                .reply = map_of(enum_of({"incremental", "non-incremental"}), "group:name → kind"),
                .handler = [&stats](const Args& a) { return list_statistics(stats, a); }});

  registry.add({.name = "reset_statistics", .module = m,
                .summary = "Reset statistics to zero (gauges and computed values are kept)",
                .params = {stat_items(true)},
                .reply = ok(),
                .handler = [&stats](const Args& a) { return reset_statistics(stats, a); }});

  registry.add({.name = "reload", .module = m,
                .summary = "Read the configuration file again and apply what can change without a restart",
                .description = "As SIGHUP does: the file given with -c is read again (the command line's --set "
                               "overrides still win) and checked whole; a file with an error changes nothing "
                               "(400 with the error). Each key that can change live (core.log_level; "
                               "registrar.auth, realm, min_expires, max_expires, default_expires, max_contacts) "
                               "and changed is applied and listed in `applied`; every other changed key keeps its "
                               "running value and is listed in `restart_needed`.",
                .flags = mi::kAdmin,
                .reply = object({{"applied", array_of(str(), "keys changed and applied")},
                                 {"restart_needed", array_of(str(), "keys changed that apply at the next start")}}),
                .handler = [&ctx](const Args& a) { return reload(ctx, a); }});

  registry.add({.name = "kill", .module = m,
                .summary = "Shut the server down gracefully (the reply is sent first)",
                .flags = mi::kAdmin,
                .reply = ok(),
                .handler = [&ctx](const Args& a) { return kill(ctx, a); }});
}

}  // namespace sb::gateway
