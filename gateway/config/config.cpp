// config.cpp: value parsing and the inih-based loader over a ConfigSchema (see config.h).
//
// Threading: loading runs on one thread at startup; schemas are immutable once built.
// inih is used through ini_parse_stream() with our own line reader, so that every handler call
// and every syntax error can be tied to its line number (the Debian build of inih does not pass
// line numbers to the handler).
#include "gateway/config/config.h"

#include "mi/strings.h"

#include <ini.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>

#include <fmt/format.h>

namespace sb::gateway {

namespace {

constexpr std::string_view kLogLevels[] = {"trace", "debug",    "info", "warn",
                                           "error", "critical", "off"};

constexpr std::string_view kModulePrefix = "module.";

/// Module and module-parameter names: [A-Za-z_][A-Za-z0-9_]*.
bool identifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

/// `[module.<name>]`: a loadable module's parameters.
bool module_section(std::string_view section) {
  return section.substr(0, kModulePrefix.size()) == kModulePrefix &&
         identifier(section.substr(kModulePrefix.size()));
}


std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string unknown_key_message(const ConfigSchema& schema, std::string_view section,
                                std::string_view key) {
  std::vector<std::string> names;
  for (const KeySpec* s : schema.keys()) names.push_back(s->name());
  return fmt::format("unknown key '{}.{}'{}", section, key,
                     did_you_mean(fmt::format("{}.{}", section, key), names));
}

/// Parses `text` by the spec's type into `number`; returns why it is refused, or "".
std::string parse_value(const KeySpec& spec, std::string_view text, std::int64_t& number) {
  switch (spec.type) {
    case KeyType::string:
      break;
    case KeyType::integer: {
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
      bool whole = !text.empty() && end == text.data() + text.size();
      if (!whole || (ec != std::errc() && ec != std::errc::result_out_of_range))
        return fmt::format("'{}' is not an integer", text);
      if (ec == std::errc::result_out_of_range || number < spec.min || number > spec.max)
        return fmt::format("'{}' is out of range {}..{}", text, spec.min, spec.max);
      break;
    }
    case KeyType::boolean:
      if (text == "true" || text == "yes" || text == "on" || text == "1") number = 1;
      else if (text == "false" || text == "no" || text == "off" || text == "0") number = 0;
      else return fmt::format("'{}' is not a boolean (true|false|yes|no|on|off|1|0)", text);
      break;
    case KeyType::file_mode: {
      bool octal = !text.empty() && text.size() <= 12 &&
                   std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '7'; });
      if (octal) std::from_chars(text.data(), text.data() + text.size(), number, 8);
      if (!octal || number > spec.max)
        return fmt::format("'{}' is not an octal mode <= 0{:o}", text, spec.max);
      break;
    }
    case KeyType::log_level:
      if (std::find(std::begin(kLogLevels), std::end(kLogLevels), text) == std::end(kLogLevels))
        return fmt::format("'{}' is not a log level (trace|debug|info|warn|error|critical|off)",
                           text);
      break;
  }
  return spec.check ? spec.check(text) : std::string();
}

std::string_view trim(std::string_view s) { return mi::trim(s, mi::kWhitespace); }

/// State of one ini_parse_stream() run: the reader hands inih one line at a time, so `line` is
/// the number of the line the handler is being called for.
struct IniRun {
  /// Stores one value (Config's private setter); returns why it was refused, or "".
  std::function<std::string(std::string_view name, std::string_view value,
                            const std::string& origin)>
      set;
  /// "" for a known section, else the error message for it.
  std::function<std::string(std::string_view section)> check_section;
  const std::string* origin;
  std::string_view rest;
  int line = 0;
  std::string raw{};                    ///< current line, without its line break
  std::vector<std::string> lines{};     ///< every line read so far, for syntax-error messages
  std::map<int, std::string> errors{};  ///< first problem per line, without location
};

char* read_line(char* buf, int size, void* stream) {
  auto& run = *static_cast<IniRun*>(stream);
  if (run.rest.empty()) return nullptr;
  std::size_t nl = run.rest.find('\n');
  std::size_t len = nl == std::string_view::npos ? run.rest.size() : nl + 1;
  std::string_view text = run.rest.substr(0, len);
  run.rest.remove_prefix(len);
  ++run.line;
  run.raw.assign(text);
  while (!run.raw.empty() && (run.raw.back() == '\n' || run.raw.back() == '\r')) run.raw.pop_back();
  run.lines.push_back(run.raw);

  // inih's line buffer is fixed; a longer line would be split into two "lines" silently.
  std::size_t max = static_cast<std::size_t>(size) - 2;  // room for the line break and NUL
  if (run.raw.size() > max)
    run.errors.emplace(run.line, fmt::format("line is longer than {} characters", max));
  std::size_t n = std::min(text.size(), static_cast<std::size_t>(size) - 1);
  std::memcpy(buf, text.data(), n);
  buf[n] = '\0';

  // Section headers never reach the handler (and empty sections would go unnoticed).
  std::string_view t = trim(run.raw);
  if (run.line == 1 && t.substr(0, 3) == "\xEF\xBB\xBF") t.remove_prefix(3);  // UTF-8 BOM
  if (!t.empty() && t.front() == '[') {
    std::size_t close = t.find(']');
    if (close != std::string_view::npos) {
      if (std::string why = run.check_section(t.substr(1, close - 1)); !why.empty())
        run.errors.emplace(run.line, std::move(why));
    }
  }
  return buf;
}

int on_key(void* user, const char* section, const char* name, const char* value) {
  auto& run = *static_cast<IniRun*>(user);
  std::string_view sec(section), key(name);
  if (!run.raw.empty() && (run.raw.front() == ' ' || run.raw.front() == '\t')) {
    run.errors.emplace(run.line,
                       "unexpected indentation (an indented line continues the previous value "
                       "in ini files); start keys at the beginning of the line");
    return 0;
  }
  if (sec.empty()) {
    run.errors.emplace(run.line, fmt::format("key '{}' is outside any [section]", key));
    return 0;
  }
  if (std::string why = run.check_section(sec); !why.empty()) {
    run.errors.emplace(run.line, std::move(why));  // also reported at its header line, first
    return 0;
  }
  std::string msg =
      run.set(fmt::format("{}.{}", sec, key), value, fmt::format("{}:{}", *run.origin, run.line));
  if (msg.empty()) return 1;
  run.errors.emplace(run.line, std::move(msg));
  return 0;
}

std::string syntax_error(std::string_view line) {
  std::string_view t = trim(line);
  if (!t.empty() && t.front() == '[')
    return fmt::format("malformed section header '{}' (expected [section])", t);
  return fmt::format("syntax error: expected 'key = value', '[section]' or a comment, got '{}'",
                     t);
}

}  // namespace

std::string did_you_mean(std::string_view wrong, const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  std::size_t best_d = 3;
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(wrong, c);
    if (d < best_d) best_d = d, best = &c;
  }
  return best ? fmt::format(" (did you mean '{}'?)", *best) : std::string();
}

std::string KeySpec::name() const { return fmt::format("{}.{}", section, key); }

void ConfigSchema::add(const ConfigSection& section) {
  if (has_section(section.name))
    throw std::logic_error(fmt::format("config section [{}] declared twice", section.name));
  sections_.push_back(&section);
  for (const KeySpec& k : section.keys) {
    if (k.section != section.name || find(k.name()))
      throw std::logic_error(fmt::format("config key '{}' misplaced or declared twice", k.name()));
    keys_.push_back(&k);
  }
}

const KeySpec* ConfigSchema::find(std::string_view name) const {
  for (const KeySpec* k : keys_)
    if (name.size() == k->section.size() + 1 + k->key.size() && name.substr(0, k->section.size()) == k->section &&
        name[k->section.size()] == '.' && name.substr(k->section.size() + 1) == k->key)
      return k;
  return nullptr;
}

bool ConfigSchema::has_section(std::string_view section) const {
  return std::any_of(sections_.begin(), sections_.end(),
                     [&](const ConfigSection* s) { return s->name == section; });
}

bool ConfigSchema::is_sensitive(std::string_view name) const {
  const KeySpec* k = find(name);
  return k && k->sensitive;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  std::string_view rest(text);
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view item = trim(rest.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

bool Config::known_section(std::string_view section) const {
  return module_section(section) || schema_->has_section(section);
}

std::string Config::unknown_section_message(std::string_view section) const {
  std::vector<std::string> bracketed;
  for (const ConfigSection* s : schema_->sections()) bracketed.push_back(fmt::format("[{}]", s->name));
  return fmt::format("unknown section [{}]{}", section,
                     did_you_mean(fmt::format("[{}]", section), bracketed));
}

Config::Config(const ConfigSchema& schema) : schema_(&schema) {
  for (const KeySpec* s : schema.keys()) {
    Entry e{s, std::string(s->default_value)};
    [[maybe_unused]] std::string err = parse_value(*s, e.text, e.number);
    entries_.emplace(s->name(), std::move(e));
  }
}

std::string Config::set_module_param(std::string_view name, std::string_view value,
                                     const std::string& origin) {
  std::string_view rest = name.substr(kModulePrefix.size());
  std::size_t dot = rest.find('.');
  std::string_view module = rest.substr(0, dot);
  if (dot == std::string_view::npos || !identifier(module))
    return fmt::format("'{}' is not module.<name>.<key> (names: letters, digits, '_')", name);
  std::string_view key = rest.substr(dot + 1);
  if (!identifier(key))
    return fmt::format("bad module parameter name '{}' in [module.{}] (letters, digits, '_')", key,
                       module);
  auto [it, inserted] = module_params_.try_emplace(std::string(module));
  it->second[std::string(key)] = ModuleParamSetting{std::string(value), origin};
  return {};
}

std::string Config::set(std::string_view name, std::string_view value, const std::string& origin) {
  if (name.substr(0, kModulePrefix.size()) == kModulePrefix)
    return set_module_param(name, value, origin);
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    std::size_t dot = name.find('.');
    std::string_view section = name.substr(0, dot);
    if (!known_section(section)) return unknown_section_message(section);
    return unknown_key_message(*schema_, section, name.substr(dot + 1));
  }
  Entry& e = it->second;
  std::int64_t number = 0;
  if (std::string why = parse_value(*e.spec, value, number); !why.empty())
    return fmt::format("bad value for '{}': {}", name, why);
  e.text.assign(value);
  if (e.spec->path && !base_dir_.empty() && !value.empty() && value.front() != '/') {
    e.text = (std::filesystem::path(base_dir_) / std::string(value)).lexically_normal().string();
  }
  e.number = number;
  e.origin = origin;
  e.seq = next_seq_++;
  if (e.spec->repeatable) {
    if (value.empty()) e.items.clear();
    else e.items.emplace_back(e.text, origin);
  }
  return {};
}

void Config::load_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw ConfigError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::string text;
  char buf[8192];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  int err = std::ferror(f) ? errno : 0;
  std::fclose(f);
  if (err) throw ConfigError(fmt::format("{}: cannot read: {}", path, std::strerror(err)));
  auto slash = path.rfind('/');
  base_dir_ = slash == std::string::npos ? std::string(".") : path.substr(0, slash == 0 ? 1 : slash);
  try {
    load_string(text, path);
  } catch (...) {
    base_dir_.clear();
    throw;
  }
  base_dir_.clear();
}

void Config::load_string(std::string_view text, const std::string& origin) {
  Config next = *this;
  IniRun run{[&next](std::string_view n, std::string_view v, const std::string& o) {
                return next.set(n, v, o);
              },
              [&next](std::string_view section) {
                return next.known_section(section) ? std::string()
                                                   : next.unknown_section_message(section);
              },
              &origin, text};
  int rc = ini_parse_stream(read_line, &run, on_key, &run);
  if (rc == -2) throw ConfigError(fmt::format("{}: out of memory while parsing", origin));
  if (rc > 0 && !run.errors.count(rc) && rc <= static_cast<int>(run.lines.size()))
    run.errors.emplace(rc, syntax_error(run.lines[rc - 1]));
  if (!run.errors.empty()) {
    const auto& [line, msg] = *run.errors.begin();
    throw ConfigError(fmt::format("{}:{}: {}", origin, line, msg));
  }
  *this = std::move(next);
}

std::string mask_assignment(const ConfigSchema& schema, std::string_view assignment,
                            SecretModuleParam secret_module_param, const void* ctx) {
  constexpr std::string_view kSet = "--set ";
  if (assignment.substr(0, kSet.size()) == kSet)
    return std::string(kSet) +
           mask_assignment(schema, assignment.substr(kSet.size()), secret_module_param, ctx);
  std::size_t eq = assignment.find('=');
  if (eq == std::string_view::npos) return std::string(assignment);
  std::string_view name = trim(assignment.substr(0, eq));
  bool secret = schema.is_sensitive(name);
  if (name.substr(0, kModulePrefix.size()) == kModulePrefix) {
    std::string_view rest = name.substr(kModulePrefix.size());
    std::size_t dot = rest.find('.');
    secret = dot != std::string_view::npos &&
             (!secret_module_param || secret_module_param(rest.substr(0, dot), rest.substr(dot + 1), ctx));
  }
  if (!secret) return std::string(assignment);
  return fmt::format("{}={}", assignment.substr(0, eq), kMaskedValue);
}

std::vector<std::string> mask_command_line(const ConfigSchema& schema,
                                           const std::vector<std::string>& argv,
                                           SecretModuleParam secret_module_param, const void* ctx) {
  std::vector<std::string> out;
  out.reserve(argv.size());
  bool value_next = false;
  for (const std::string& a : argv) {
    if (value_next) {
      out.push_back(mask_assignment(schema, a, secret_module_param, ctx));
      value_next = false;
    } else if (a == "--set") {
      out.push_back(a);
      value_next = true;
    } else if (a.rfind("--set=", 0) == 0) {
      out.push_back("--set=" +
                    mask_assignment(schema, std::string_view(a).substr(6), secret_module_param, ctx));
    } else {
      out.push_back(a);
    }
  }
  return out;
}

void Config::apply_override(std::string_view assignment) {
  // The origin is quoted in error messages: never with a secret in it. A module parameter's
  // secrecy is known only once its module is loaded: the module loader masks those origins.
  std::string origin = fmt::format(
      "--set {}", mask_assignment(*schema_, assignment,
                                  [](std::string_view, std::string_view, const void*) { return false; }));
  std::size_t eq = assignment.find('=');
  std::string_view name = eq == std::string_view::npos ? assignment : trim(assignment.substr(0, eq));
  std::size_t dot = name.find('.');
  if (eq == std::string_view::npos || dot == std::string_view::npos || dot == 0 ||
      dot + 1 == name.size())
    throw ConfigError(fmt::format("{}: expected section.key=value", origin));
  if (std::string why = set(name, assignment.substr(eq + 1), origin); !why.empty())
    throw ConfigError(fmt::format("{}: {}", origin, why));
}

void Config::validate() const {
  for (const KeySpec* k : schema_->keys()) {
    if (k->together_with.empty()) continue;
    const Entry& a = entry(k->name());
    const Entry& b = entry(k->together_with);
    if (a.text.empty() == b.text.empty()) continue;
    const Entry& set = a.text.empty() ? b : a;
    const std::string first = k->name(), second(k->together_with);
    throw ConfigError(fmt::format("{}: bad value for '{}': {} and {} go together (set both, or "
                                  "neither)",
                                  set.origin, a.text.empty() ? second : first, first, second));
  }
  // A key that may not exceed another. Blame whichever of the two was set last: that is the
  // one the user just changed.
  for (const KeySpec* k : schema_->keys()) {
    if (k->at_most.empty()) continue;
    const std::string low_key = k->name();
    const std::string_view high_key = k->at_most;
    const Entry& lo = entry(low_key, KeyType::integer);
    const Entry& hi = entry(high_key, KeyType::integer);
    if (hi.number >= lo.number) continue;
    if (hi.seq >= lo.seq)
      throw ConfigError(fmt::format("{}: bad value for '{}': {} is less than {} ({}, {})", hi.origin,
                                    high_key, hi.number, low_key, lo.number, lo.origin));
    throw ConfigError(fmt::format("{}: bad value for '{}': {} is greater than {} ({}, {})", lo.origin,
                                  low_key, lo.number, high_key, hi.number, hi.origin));
  }
}

const Config::Entry& Config::entry(std::string_view name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) throw std::logic_error(fmt::format("undeclared config key '{}'", name));
  return it->second;
}

const Config::Entry& Config::entry(std::string_view name, KeyType type) const {
  const Entry& e = entry(name);
  if (e.spec->type != type)
    throw std::logic_error(fmt::format("config key '{}' read with the wrong type", name));
  return e;
}

std::vector<std::pair<std::string, std::string>> Config::get_list(std::string_view name) const {
  const Entry& e = entry(name, KeyType::string);
  if (!e.spec->repeatable) throw std::logic_error("config key is not a list: " + std::string(name));
  if (e.seq == 0 && !e.text.empty()) return {{e.text, "default"}};
  return e.items;
}

const std::string& Config::get_string(std::string_view name) const {
  const Entry& e = entry(name);
  if (e.spec->type != KeyType::string && e.spec->type != KeyType::log_level)
    throw std::logic_error(fmt::format("config key '{}' is not a string", name));
  return e.text;
}

std::int64_t Config::get_int(std::string_view name) const {
  return entry(name, KeyType::integer).number;
}

bool Config::get_bool(std::string_view name) const {
  return entry(name, KeyType::boolean).number != 0;
}

mode_t Config::get_mode(std::string_view name) const {
  return static_cast<mode_t>(entry(name, KeyType::file_mode).number);
}

const std::string& Config::origin(std::string_view name) const { return entry(name).origin; }

std::string Config::text(std::string_view name) const {
  const Entry& e = entry(name);
  if (!e.spec->repeatable) return e.text;
  std::string out;
  for (const auto& [value, origin] : e.items) out += value + '\n';
  return out;
}

Config load_config(const ConfigSchema& schema, const std::string& file,
                   const std::vector<std::string>& overrides) {
  Config cfg(schema);
  if (!file.empty()) cfg.load_file(file);
  for (const auto& o : overrides) cfg.apply_override(o);
  cfg.validate();
  return cfg;
}

}  // namespace sb::gateway
