// config.h: a generic ini configuration — a schema of declared keys and a loader (inih).
//
// Purpose: the loader knows no component. Each component declares its own keys next to its
// code, as a ConfigSection (section name, documentation, one KeySpec per key: type, default,
// range, one-line help, the paragraph written into the generated conf file, `sensitive`,
// `path`); the daemon collects them into one ConfigSchema (gateway/daemon/components.h).
// From that schema come the loader's checks, `switchboard --help`'s key reference
// (config_reference) and the documented conf/switchboard.conf (render_config_file, see
// config_file.h); a test fails when the committed file differs.
// load_config() reads an ini file, applies `--set section.key=value` overrides and checks the
// keys against each other (KeySpec::at_most, KeySpec::together_with). Unknown sections or keys,
// malformed lines and bad values are errors (ConfigError) whose message starts with where the
// value came from: `<file>:<line>: …` or `--set <arg>: …`, with a "did you mean" hint.
// Loadable modules' parameters live in `[module.<name>]` sections (`--set module.<name>.<key>=v`):
// their keys are not in the schema; they are kept as text with their origin and checked against
// the module's exported parameters when it is loaded (gateway/modules/module_loader.h).
// A key given twice keeps the last value (file order, then the --set overrides in order), except
// a repeatable key, which collects every value (KeySpec::repeatable).
// Threading: a schema and a Config are built on one thread at startup and are immutable
// afterwards; const member functions may then be called from any thread. A Config refers to its
// schema, which must outlive it (the daemon's is a static).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sb::gateway {

/// A configuration error; what() names the file and line (or the --set argument) and the key.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class KeyType {
  string,     ///< any text; an empty value usually disables something
  integer,    ///< decimal integer within [min, max]
  boolean,    ///< true|false|yes|no|on|off|1|0
  file_mode,  ///< octal permission bits, at most `max` (e.g. 0660 <= 0777)
  log_level,  ///< trace|debug|info|warn|error|critical|off
};

/// One declared key. `check` (optional) adds a rule to the type's own parsing: it returns an
/// explanation of why the (already type-checked) text is refused, or an empty string.
struct KeySpec {
  std::string_view section;
  std::string_view key;
  KeyType type;
  std::string_view default_value;  ///< as it would be written in the ini file
  std::string_view help;           ///< one line, shown by --help
  std::int64_t min = 0;            ///< integer: smallest accepted value
  std::int64_t max = 0;            ///< integer: largest accepted value; file_mode: largest mode
  std::string (*check)(std::string_view value) = nullptr;
  /// A secret (password, token): its value is never echoed — not in error messages, not in
  /// origins ("--set http.tokens=***"), not in `arg`, not in logs.
  bool sensitive = false;
  /// A file path: a relative value written in a config file is relative to that file's
  /// directory (not to the daemon's working directory); a --set value stays as given.
  bool path = false;
  /// The value written in the generated conf file when it differs from default_value (the
  /// shipped file runs the daemon from the repository: its paths point to ../var).
  std::string_view shipped = {};
  /// Another key ("section.key") whose value this integer key may not exceed.
  std::string_view at_most = {};
  /// Another key that must be set (non-empty) exactly when this one is.
  std::string_view together_with = {};
  /// The comment written above the key in the generated conf file, lines separated by '\n'
  /// (no '#'); empty = the key follows the previous one directly (a shared comment).
  std::string_view doc = {};
  /// A list key (string type): each assignment adds one item instead of replacing the value
  /// (`subscribe = …` lines); an empty assignment clears the list. Read with Config::get_list.
  bool repeatable = false;
  /// `reload` (and SIGHUP) applies a new value without a restart (the component's reload());
  /// any other key's change is reported as needing a restart.
  bool live = false;

  std::string name() const;  ///< "section.key"
  /// What the generated conf file writes for it (shipped, else default_value).
  std::string_view conf_value() const { return shipped.empty() ? default_value : shipped; }
};

/// One `[section]`, declared by the component that reads it.
struct ConfigSection {
  std::string_view name;
  std::vector<KeySpec> keys;
  /// Comment paragraphs ('\n' between lines, no '#') written after the `[name]` header / after
  /// the last key of the section in the generated conf file; may be empty.
  std::vector<std::string_view> intro = {};
  std::vector<std::string_view> outro = {};
};

/// Every section the daemon knows, in documentation order. Sections are referred to, not
/// copied: they must outlive the schema (components declare them as statics).
class ConfigSchema {
 public:
  /// Adds a section; a section or key declared twice is a programming error (std::logic_error).
  void add(const ConfigSection& section);
  /// The file's opening comment in the generated conf file ('\n' between lines, no '#').
  void set_header(std::string_view header) { header_ = header; }

  const std::vector<const ConfigSection*>& sections() const { return sections_; }
  const std::vector<const KeySpec*>& keys() const { return keys_; }
  std::string_view header() const { return header_; }
  const KeySpec* find(std::string_view name) const;  ///< "section.key", or null
  bool has_section(std::string_view section) const;
  /// True for a declared sensitive key ("http.tokens"); false for unknown names.
  bool is_sensitive(std::string_view name) const;

 private:
  std::vector<const ConfigSection*> sections_;
  std::vector<const KeySpec*> keys_;
  std::string_view header_;
};

/// One `[module.<name>] key = value` (or `--set module.<name>.<key>=value`): the text as written
/// and where it came from ("<file>:<line>" or "--set <arg>").
struct ModuleParamSetting {
  std::string value;
  std::string origin;
};
/// Module name → parameter key → setting (the last assignment of a key wins).
using ModuleParams = std::map<std::string, std::map<std::string, ModuleParamSetting>, std::less<>>;

/// " (did you mean 'x'?)" for the candidate closest to `wrong` (within two edits), else "".
std::string did_you_mean(std::string_view wrong, const std::vector<std::string>& candidates);

/// The text shown in place of a sensitive value.
inline constexpr std::string_view kMaskedValue = "***";
/// Says whether a loaded module declares `key` secret (null: every module parameter is).
using SecretModuleParam = bool (*)(std::string_view module, std::string_view key, const void* ctx);
/// `section.key=value` with the value replaced by kMaskedValue when the key is sensitive, or
/// when `secret_module_param` says so of a `module.<name>.<key>` (null: every module parameter's
/// value is masked). Also takes an origin "--set section.key=value".
std::string mask_assignment(const ConfigSchema& schema, std::string_view assignment,
                            SecretModuleParam secret_module_param = nullptr,
                            const void* ctx = nullptr);
/// A command line with every `--set` value of a sensitive key masked (both `--set k=v` and
/// `--set=k=v`), for `arg` and logs.
std::vector<std::string> mask_command_line(const ConfigSchema& schema,
                                           const std::vector<std::string>& argv,
                                           SecretModuleParam secret_module_param = nullptr,
                                           const void* ctx = nullptr);

/// Comma-separated items, each trimmed; empty items are dropped.
std::vector<std::string> split_list(std::string_view text);

class Config {
 public:
  /// All keys at their defaults.
  explicit Config(const ConfigSchema& schema);

  // The loaders change nothing when they throw (all or nothing).
  /// Reads an ini file; error messages start with `path` as given. Relative values of path
  /// keys (KeySpec::path) are resolved against the file's directory.
  void load_file(const std::string& path);
  /// Parses ini text; `origin` stands for the file name in error messages.
  void load_string(std::string_view text, const std::string& origin);
  /// Applies one `section.key=value` override (the argument of --set); the value is taken
  /// verbatim (an empty value is allowed and usually disables something).
  void apply_override(std::string_view assignment);
  /// Cross-key rules (at_most, together_with); call after the last change.
  void validate() const;

  // Typed getters, by "section.key". Asking for an undeclared key, or with the wrong type, is a
  // programming error (std::logic_error).
  const std::string& get_string(std::string_view name) const;  ///< string and log_level keys
  std::int64_t get_int(std::string_view name) const;
  bool get_bool(std::string_view name) const;
  mode_t get_mode(std::string_view name) const;
  /// A repeatable key's items in assignment order, each with its origin ("<file>:<line>").
  std::vector<std::pair<std::string, std::string>> get_list(std::string_view name) const;

  /// Where the current value came from: "<file>:<line>", "--set <arg>" or "default".
  const std::string& origin(std::string_view name) const;
  /// The value as written (a repeatable key: its items joined by '\n'), for comparing two
  /// configurations (reload).
  std::string text(std::string_view name) const;

  /// The `[module.<name>]` parameters, unchecked (the module declares its parameters).
  const ModuleParams& module_params() const { return module_params_; }
  const ConfigSchema& schema() const { return *schema_; }

 private:
  struct Entry {
    const KeySpec* spec;
    std::string text;          ///< the value as written
    std::int64_t number = 0;   ///< integer, boolean (0/1) and file_mode values
    std::string origin = "default";
    std::uint64_t seq = 0;     ///< order of assignment (0 = default)
    std::vector<std::pair<std::string, std::string>> items{};  ///< repeatable: {value, origin}
  };
  /// Parses and stores a value; returns why it was refused (without location) or "".
  std::string set(std::string_view name, std::string_view value, const std::string& origin);
  const Entry& entry(std::string_view name, KeyType type) const;
  const Entry& entry(std::string_view name) const;
  bool known_section(std::string_view section) const;
  std::string unknown_section_message(std::string_view section) const;

  /// Stores a `module.<name>.<key>` assignment; returns why it was refused or "".
  std::string set_module_param(std::string_view name, std::string_view value,
                               const std::string& origin);

  const ConfigSchema* schema_;
  std::map<std::string, Entry, std::less<>> entries_;
  ModuleParams module_params_;
  std::uint64_t next_seq_ = 1;
  std::string base_dir_;  ///< while a file is loaded: its directory (path keys resolve against it)

};

/// Defaults, then `file` (when not empty), then the overrides in order, then validate().
Config load_config(const ConfigSchema& schema, const std::string& file,
                   const std::vector<std::string>& overrides);

}  // namespace sb::gateway
