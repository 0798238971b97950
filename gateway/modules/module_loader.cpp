// module_loader.cpp: dlopen, descriptor checks, parameters, command registration, init/destroy
// (see module_loader.h). Threading: main thread only, at start-up and shutdown.
#include "gateway/modules/module_loader.h"

#include "mi/reply_schema.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>

#include "mi/module_bridge.h"

namespace sb::gateway {

namespace {

/// A `--set module.<name>.<key>=value` origin with the value masked.
std::string mask_module_origin(const std::string& origin) {
  static const ConfigSchema no_keys;  // module parameters are not schema keys
  return mask_assignment(no_keys, origin);
}


/// Size of the ABI 1.0 descriptor: the smallest one a 1.x module may have. When a minor version
/// appends fields to sb_module, this stays the 1.0 size.
constexpr std::size_t kDescriptorSizeV1_0 = offsetof(sb_module, destroy) + sizeof(sb_module::destroy);
constexpr std::size_t kMaxParams = 256;
constexpr std::size_t kMaxCommands = 1024;

std::vector<std::string> split(std::string_view text, std::string_view seps) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find_first_of(seps, start);
    std::string_view item = text.substr(start, end == std::string_view::npos ? end : end - start);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front())))
      item.remove_prefix(1);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back())))
      item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

bool identifier(const char* s) {
  if (!s || !*s || !(std::isalpha(static_cast<unsigned char>(*s)) || *s == '_')) return false;
  for (; *s; ++s)
    if (!std::isalnum(static_cast<unsigned char>(*s)) && *s != '_') return false;
  return true;
}

bool regular_file(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

/// The file a `load` entry names: absolute as is, else the first match in `path`.
std::string resolve(const std::string& entry, const ModuleSettings& s) {
  std::vector<std::string> names = {entry};
  if (entry.size() < 3 || entry.compare(entry.size() - 3, 3, ".so") != 0)
    names.push_back(entry + ".so");
  if (entry.front() == '/') {
    for (const auto& n : names)
      if (regular_file(n)) return n;
    throw ModuleError(fmt::format("{}: module '{}': file not found", s.load_origin, entry));
  }
  for (const auto& dir : s.path)
    for (const auto& n : names)
      if (std::string p = dir + "/" + n; regular_file(p)) return p;
  throw ModuleError(fmt::format(
      "{}: module '{}': file not found in modules.path ({})", s.load_origin, entry,
      s.path.empty() ? std::string("empty") : fmt::format("{}", fmt::join(s.path, ":"))));
}

/// Strings handed to modules through `var` must outlive every module: never freed.
const char* keep_string(const std::string& s) {
  static std::mutex mu;
  static auto* pool = new std::deque<std::string>;
  std::lock_guard lk(mu);
  return pool->emplace_back(s).c_str();
}

/// Runs a call into module code; a C++ exception escaping it becomes a message.
template <typename F>
std::string guarded(F&& body) {
  try {
    body();
    return {};
  } catch (const std::exception& e) {
    return fmt::format("threw: {}", e.what());
  } catch (...) {
    return "threw a non-standard exception";
  }
}

/// Parses a whole decimal int64; returns why it is refused, or "".
std::string parse_int(const std::string& text, std::int64_t& number) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    return fmt::format("'{}' is not an integer{}", text,
                       ec == std::errc::result_out_of_range ? " (out of range)" : "");
  return {};
}

struct DlClose {
  void operator()(void* h) const { ::dlclose(h); }
};

/// The descriptor's version and size fields, checked before any other field is read.
void check_abi(const sb_module& d, const std::string& who) {
  if (d.abi_major != SB_MODULE_ABI_MAJOR || d.abi_minor > SB_MODULE_ABI_MINOR)
    throw ModuleError(fmt::format(
        "{}: module ABI version mismatch: built for {}.{}, this switchboard provides {}.{} "
        "(rebuild the module against this switchboard's mi/module_abi.h)",
        who, d.abi_major, d.abi_minor, SB_MODULE_ABI_MAJOR, SB_MODULE_ABI_MINOR));
  if (d.struct_size < kDescriptorSizeV1_0 ||
      (d.abi_minor == SB_MODULE_ABI_MINOR && d.struct_size != sizeof(sb_module)))
    throw ModuleError(
        fmt::format("{}: descriptor size {} does not match ABI {}.{} ({} bytes): "
                    "the module was built against another mi/module_abi.h",
                    who, d.struct_size, d.abi_major, d.abi_minor, sizeof(sb_module)));
}

/// The reply schema the descriptor declares for `command` (ABI >= 1.2). A module without a
/// reply_schemas array (built for 1.0/1.1, or an older source recompiled against 1.2) gets a
/// schema accepting anything, with a warning; a module that has the array but leaves a command
/// out, or gives text that is not a JSON object, is refused (ModuleError).
mi::Value reply_schema(const sb_module& d, const std::string& command, const std::string& who) {
  const bool has_field =
      d.abi_minor >= 2 && d.struct_size >= offsetof(sb_module, reply_schemas) + sizeof d.reply_schemas;
  if (!has_field || !d.reply_schemas) {
    if (has_field)
      spdlog::warn("{}: command '{}' has no reply schema (sb_module.reply_schemas is NULL): its "
                   "replies are not described nor checked", who, command);
    return mi::schema::any("the module declares no reply schemas");
  }
  std::size_t n = 0;
  for (const sb_reply_schema_export* r = d.reply_schemas; r->command; ++r) {
    if (++n > kMaxCommands)
      throw ModuleError(fmt::format("{}: more than {} reply schemas (is the reply_schemas array "
                                    "NULL-terminated?)", who, kMaxCommands));
    if (command != r->command) continue;
    mi::Value schema = mi::Value::parse(r->schema ? r->schema : "", nullptr, false);
    if (schema.is_discarded() || !schema.is_object())
      throw ModuleError(fmt::format("{}: command '{}': its reply schema is not a JSON object", who,
                                    command));
    return schema;
  }
  throw ModuleError(fmt::format("{}: command '{}' has no entry in sb_module.reply_schemas", who,
                                command));
}

/// True when the descriptor (ABI >= 1.1, large enough) lists `name` among its secret params.
bool secret_param(const sb_module& d, std::string_view name) {
  if (d.struct_size < offsetof(sb_module, secret_params) + sizeof d.secret_params) return false;
  for (const char* const* p = d.secret_params; p && *p; ++p)
    if (name == *p) return true;
  return false;
}

/// Checks the configured values against the exported parameters and hands each effective value
/// to the module (var, setter). Returns what module_list shows.
std::vector<ModuleInfo::Param> configure(const sb_module& d, const std::string& who,
                                         const ModuleSettings& settings) {
  const std::string name = d.name;
  std::vector<const sb_param_export*> exported;
  std::vector<std::string> names;
  for (const sb_param_export* p = d.params; p && p->name; ++p) {
    if (exported.size() == kMaxParams)
      throw ModuleError(
          fmt::format("{}: more than {} parameters (is the params array "
                      "NULL-terminated?)",
                      who, kMaxParams));
    if (!identifier(p->name))
      throw ModuleError(fmt::format("{}: parameter name '{}' is not valid", who, p->name));
    if (p->type != SB_PARAM_STRING && p->type != SB_PARAM_INT)
      throw ModuleError(
          fmt::format("{}: parameter '{}' has unknown type {}", who, p->name, p->type));
    if (!p->help || !*p->help)
      throw ModuleError(fmt::format("{}: parameter '{}' has no help text", who, p->name));
    if (std::find(names.begin(), names.end(), p->name) != names.end())
      throw ModuleError(fmt::format("{}: parameter '{}' is declared twice", who, p->name));
    exported.push_back(p);
    names.emplace_back(p->name);
  }
  static const std::map<std::string, ModuleParamSetting> kNone;
  auto cfg_it = settings.params.find(name);
  const auto& configured = cfg_it == settings.params.end() ? kNone : cfg_it->second;
  for (const auto& [key, setting] : configured) {
    if (std::find(names.begin(), names.end(), key) == names.end())
      throw ModuleError(
          fmt::format("{}: module '{}': unknown parameter '{}'{}",
                      mask_module_origin(setting.origin),  // a misspelt secret stays secret
                      name, key,
                      names.empty() ? fmt::format(" (module '{}' has no parameters)", name)
                                    : did_you_mean(key, names)));
  }
  std::vector<ModuleInfo::Param> out;
  for (const sb_param_export* p : exported) {
    bool is_int = p->type == SB_PARAM_INT;
    std::string def = p->default_value ? p->default_value : (is_int ? "0" : "");
    auto it = configured.find(p->name);
    const std::string& text = it == configured.end() ? def : it->second.value;
    std::string where = it == configured.end()
                            ? fmt::format("{}: default of", who)
                            : fmt::format("{}: module '{}':",
                                          secret_param(d, p->name) ? mask_module_origin(it->second.origin)
                                                                   : it->second.origin,
                                          name);
    std::int64_t number = 0;
    if (is_int) {
      if (std::string why = parse_int(def, number); !why.empty())
        throw ModuleError(fmt::format("{}: default of parameter '{}': {}", who, p->name, why));
      if (std::string why = parse_int(text, number); !why.empty())
        throw ModuleError(fmt::format("{} bad value for parameter '{}': {}", where, p->name, why));
      if (p->var) *static_cast<std::int64_t*>(p->var) = number;
    } else if (p->var) {
      *static_cast<const char**>(p->var) = keep_string(text);
    }
    if (p->set) {
      char err[512] = {0};
      int rc = 0;
      std::string threw =
          guarded([&] { rc = p->set(p->name, text.c_str(), number, err, sizeof err); });
      err[sizeof err - 1] = '\0';
      const bool secret = secret_param(d, p->name);
      if (!threw.empty() || rc != 0)
        throw ModuleError(fmt::format("{} parameter '{}' = '{}' refused: {}", where, p->name,
                                      secret ? std::string(kMaskedValue) : text,
                                      !threw.empty() ? "the setter " + threw
                                      : *err         ? std::string(err)
                                                     : std::string("no reason given")));
    }
    const bool secret = secret_param(d, p->name);
    out.push_back({p->name, is_int ? "int" : "string", secret ? std::string(kMaskedValue) : text,
                   secret ? std::string(kMaskedValue) : def, p->help, secret});
  }
  return out;
}

}  // namespace

ModuleSettings module_settings(const Config& cfg) {
  ModuleSettings s;
  s.path = split(cfg.get_string("modules.path"), ":");
  s.load = split(cfg.get_string("modules.load"), ",");
  s.load_origin = cfg.origin("modules.load");
  s.params = cfg.module_params();
  return s;
}

bool ModuleHost::has(std::string_view name) const {
  return std::any_of(infos_.begin(), infos_.end(),
                     [&](const ModuleInfo& m) { return m.name == name; });
}

bool ModuleHost::secret_param(std::string_view module, std::string_view key) const {
  for (const ModuleInfo& m : infos_) {
    if (m.name != module) continue;
    for (const ModuleInfo::Param& p : m.params)
      if (p.name == key) return p.secret;
    return false;  // not a parameter of this module: nothing to hide
  }
  return true;
}

void ModuleHost::load_one(const std::string& entry, const ModuleSettings& settings,
                          mi::Registry& registry) {
  std::string file = resolve(entry, settings);
  std::string who = fmt::format("module '{}' ({})", entry, file);
  ::dlerror();
  std::unique_ptr<void, DlClose> handle(::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL));
  if (!handle) {
    const char* why = ::dlerror();
    throw ModuleError(fmt::format("{}: cannot load: {}", who, why ? why : "unknown dlopen error"));
  }
  const auto* d = static_cast<const sb_module*>(::dlsym(handle.get(), SB_MODULE_EXPORTS_SYMBOL));
  if (!d)
    throw ModuleError(
        fmt::format("{}: missing symbol '{}': not a switchboard module (define it "
                    "with SB_MODULE_EXPORTS, see mi/module_abi.h)",
                    who, SB_MODULE_EXPORTS_SYMBOL));
  check_abi(*d, who);
  if (!identifier(d->name))
    throw ModuleError(fmt::format("{}: module name '{}' is not valid (letters, digits, '_')", who,
                                  d->name ? d->name : "(null)"));
  who = fmt::format("module '{}' ({})", d->name, file);
  for (const ModuleInfo& m : infos_)
    if (m.name == d->name)
      throw ModuleError(
          fmt::format("{}: a module named '{}' is already loaded from {}", who, m.name, m.file));
  ModuleInfo info{d->name,
                  d->version ? d->version : "",
                  d->summary ? d->summary : "",
                  file,
                  d->abi_major,
                  d->abi_minor,
                  configure(*d, who, settings),
                  {}};

  // Every spec is built and checked before the first is registered.
  std::vector<mi::CommandSpec> specs;
  for (const sb_command_export* c = d->commands; c && c->name; ++c) {
    if (specs.size() == kMaxCommands)
      throw ModuleError(
          fmt::format("{}: more than {} commands (is the commands array "
                      "NULL-terminated?)",
                      who, kMaxCommands));
    try {
      specs.push_back(mi::module_command_spec(info.name, *c, reply_schema(*d, c->name, who)));
    } catch (const std::invalid_argument& e) {
      throw ModuleError(fmt::format("{}: {}", who, e.what()));
    }
    if (std::string why = mi::Registry::validate(specs.back()); !why.empty())
      throw ModuleError(fmt::format("{}: {}", who, why));
  }
  // Its events (ABI 1.3), checked before anything is registered.
  std::vector<mi::EventSpec> events;
  const bool has_events = d->abi_minor >= 3 && d->struct_size >= offsetof(sb_module, events) + sizeof d->events;
  for (const sb_event_export* e = has_events ? d->events : nullptr; e && e->name; ++e) {
    if (events.size() == kMaxCommands)
      throw ModuleError(fmt::format("{}: more than {} events (is the events array NULL-terminated?)", who, kMaxCommands));
    mi::Value params = e->params_schema ? mi::Value::parse(e->params_schema, nullptr, false) : mi::Value();
    if (params.is_discarded() || !params.is_object())
      throw ModuleError(fmt::format("{}: event '{}': params_schema is not a JSON object", who, e->name));
    mi::EventSpec spec{.name = e->name, .module = info.name, .summary = e->summary ? e->summary : "",
                       .params = std::move(params)};
    if (std::string why = mi::EventRegistry::validate(spec); !why.empty())
      throw ModuleError(fmt::format("{}: event '{}': {}", who, e->name, why));
    if (registry.events().find(spec.name))
      throw ModuleError(fmt::format("{}: event '{}' is already declared", who, e->name));
    events.push_back(std::move(spec));
  }
  for (auto& spec : specs) {
    info.commands.push_back(spec.name);
    try {
      registry.add(std::move(spec));
    } catch (const mi::RegistryError& e) {
      throw ModuleError(fmt::format("{}: {}", who, e.what()));
    }
  }
  for (auto& e : events) {
    try {
      registry.events().add(std::move(e));
    } catch (const mi::RegistryError& ex) {
      throw ModuleError(fmt::format("{}: {}", who, ex.what()));
    }
  }
  spdlog::info("module '{}' {} loaded from {} ({} commands, {} events)", info.name, info.version, file,
               info.commands.size(), events.size());
  infos_.push_back(std::move(info));
  exports_.push_back(d);
  (void)handle.release();  // mapped until the process exits
}

void ModuleHost::load_all(const ModuleSettings& settings, mi::Registry& registry, bool run_init) {
  for (const auto& entry : settings.load) load_one(entry, settings, registry);
  std::vector<std::string> loaded;
  for (const auto& m : infos_) loaded.push_back(m.name);
  for (const auto& [module, keys] : settings.params)
    if (!has(module))
      throw ModuleError(
          fmt::format("{}: [module.{}] configures module '{}', which is not loaded "
                      "(see modules.load){}",
                      keys.begin()->second.origin, module, module, did_you_mean(module, loaded)));
  if (!run_init) return;
  for (; initialised_ < exports_.size(); ++initialised_) {
    const sb_module& d = *exports_[initialised_];
    if (!d.init) continue;
    char err[512] = {0};
    int rc = 0;
    std::string threw = guarded([&] { rc = d.init(err, sizeof err); });
    err[sizeof err - 1] = '\0';
    if (!threw.empty() || rc != 0)
      throw ModuleError(fmt::format("module '{}' ({}): init failed: {}", d.name,
                                    infos_[initialised_].file,
                                    !threw.empty() ? threw
                                    : *err         ? std::string(err)
                                                   : "no reason given"));
  }
}

void ModuleHost::unload() {
  while (initialised_ > 0) {
    const sb_module& d = *exports_[--initialised_];
    if (!d.destroy) continue;
    if (std::string threw = guarded([&] { d.destroy(); }); !threw.empty())
      spdlog::error("module '{}': destroy {}", d.name, threw);
  }
}

}  // namespace sb::gateway
