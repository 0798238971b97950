// config.h: the daemon's configuration — a declared schema of ini keys and a loader.
//
// Purpose: every key the daemon reads is declared once in config_schema() (section, key, type,
// default, one-line help, limits); conf/switchboard.conf documents the same keys for humans and
// `switchboard --help` renders config_reference() from the schema. load_config() reads an ini
// file (inih), applies `--set section.key=value` overrides and checks the keys against each
// other. Unknown sections or keys, malformed lines and bad values are errors (ConfigError) whose
// message starts with where the value came from: `<file>:<line>: …` or `--set <arg>: …`.
// Loadable modules' parameters live in `[module.<name>]` sections (`--set module.<name>.<key>=v`):
// their keys are not in the schema; they are kept as text with their origin and checked against
// the module's exported parameters when it is loaded (gateway/modules/module_loader.h).
// A key given twice keeps the last value (file order, then the --set overrides in order).
// Threading: a Config is built on one thread at startup and is immutable afterwards; const
// member functions may then be called from any thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "mi/dispatcher.h"
#include "mi/codec/limits.h"
#include "transports/datagram/datagram_transport.h"
#include "transports/fifo/fifo_transport.h"
#include "transports/http/http_transport.h"
#include "transports/monitor/monitor_transport.h"

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

  std::string name() const;  ///< "section.key"
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

/// Every key the daemon knows, in documentation order.
const std::vector<KeySpec>& config_schema();

/// The text shown in place of a sensitive value.
inline constexpr std::string_view kMaskedValue = "***";
/// True for a declared sensitive key ("http.tokens"); false for unknown names.
bool is_sensitive_key(std::string_view name);
/// `section.key=value` with the value replaced by kMaskedValue when the key is sensitive, or
/// when `secret_module_param` says so of a `module.<name>.<key>` (may be null: then every
/// module parameter's value is masked). Also takes an origin "--set section.key=value".
std::string mask_assignment(std::string_view assignment,
                            bool (*secret_module_param)(std::string_view module, std::string_view key,
                                                        const void* ctx) = nullptr,
                            const void* ctx = nullptr);
/// A command line with every `--set` value of a sensitive key masked (both `--set k=v` and
/// `--set=k=v`), for `arg` and logs.
std::vector<std::string> mask_command_line(
    const std::vector<std::string>& argv,
    bool (*secret_module_param)(std::string_view module, std::string_view key, const void* ctx) = nullptr,
    const void* ctx = nullptr);

/// The key reference for --help: one entry per key, `section.key = default` plus its help and
/// limits, indented by `indent` spaces.
std::string config_reference(std::size_t indent = 2);

class Config {
 public:
  /// All keys at their defaults.
  Config();

  // The loaders change nothing when they throw (all or nothing).
  /// Reads an ini file; error messages start with `path` as given. Relative values of path
  /// keys (KeySpec::path) are resolved against the file's directory.
  void load_file(const std::string& path);
  /// Parses ini text; `origin` stands for the file name in error messages.
  void load_string(std::string_view text, const std::string& origin);
  /// Applies one `section.key=value` override (the argument of --set); the value is taken
  /// verbatim (an empty value is allowed and usually disables something).
  void apply_override(std::string_view assignment);
  /// Cross-key rules (e.g. core.workers_max >= core.workers_min); call after the last change.
  void validate() const;

  // Typed getters, by "section.key". Asking for an undeclared key, or with the wrong type, is a
  // programming error (std::logic_error).
  const std::string& get_string(std::string_view name) const;  ///< string and log_level keys
  std::int64_t get_int(std::string_view name) const;
  bool get_bool(std::string_view name) const;
  mode_t get_mode(std::string_view name) const;

  /// Where the current value came from: "<file>:<line>", "--set <arg>" or "default".
  const std::string& origin(std::string_view name) const;

  /// The `[module.<name>]` parameters, unchecked (the module declares its parameters).
  const ModuleParams& module_params() const { return module_params_; }

 private:
  struct Entry {
    const KeySpec* spec;
    std::string text;          ///< the value as written
    std::int64_t number = 0;   ///< integer, boolean (0/1) and file_mode values
    std::string origin = "default";
    std::uint64_t seq = 0;     ///< order of assignment (0 = default)
  };
  /// Parses and stores a value; returns why it was refused (without location) or "".
  std::string set(std::string_view name, std::string_view value, const std::string& origin);
  const Entry& entry(std::string_view name, KeyType type) const;
  const Entry& entry(std::string_view name) const;

  /// Stores a `module.<name>.<key>` assignment; returns why it was refused or "".
  std::string set_module_param(std::string_view name, std::string_view value,
                               const std::string& origin);

  std::map<std::string, Entry, std::less<>> entries_;
  ModuleParams module_params_;
  std::uint64_t next_seq_ = 1;
  std::string base_dir_;  ///< while a file is loaded: its directory (path keys resolve against it)
};

/// Defaults, then `file` (when not empty), then the overrides in order, then validate().
Config load_config(const std::string& file, const std::vector<std::string>& overrides);

/// The FIFO transport's settings from [fifo] (path empty = FIFO disabled).
/// core.max_nesting and core.max_batch, for mi::set_decode_limits().
mi::DecodeLimits decode_limits(const Config& cfg);
transports::FifoConfig fifo_config(const Config& cfg);
/// The dispatcher's settings from [core] (workers, call timeout).
transports::DatagramConfig datagram_config(const Config& cfg);
transports::HttpConfig http_config(const Config& cfg);
/// Parses `user:password:role, …` (or `token:role, …` when `tokens`); on a malformed list
/// returns an empty vector and sets `why`.
std::vector<transports::HttpCredential> parse_credentials(std::string_view text, bool tokens,
                                                         std::string* why);
/// The ISGW telnet monitor's settings from [monitor] (listen empty = monitor disabled).
transports::MonitorConfig monitor_config(const Config& cfg);
mi::DispatcherOptions dispatcher_options(const Config& cfg);

}  // namespace sb::gateway
