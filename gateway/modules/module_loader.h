// module_loader.h: loads third-party modules (mi/module_abi.h) at start-up — the OpenSIPS
// `loadmodule` + `modparam` equivalent — and the `module_list` command.
//
// Purpose: ModuleHost::load_all() resolves each `[modules] load` entry against `[modules] path`,
// dlopen()s it (RTLD_NOW | RTLD_LOCAL), reads the one `sb_module_exports` descriptor, refuses
// another ABI major (or a newer minor), checks the `[module.<name>]` parameters against the
// exported ones (unknown key with "did you mean", bad int, setter refusal), registers the
// commands through the Registry (duplicates refused with its message, prefixed with the
// module), then runs the init hooks. Every failure is a ModuleError whose message names the
// module (its file when the descriptor cannot be trusted) and the problem, and starts with the
// config origin when a config value is at fault — a start-up error, never a half-loaded daemon.
// Modules stay mapped until the process exits (commands and module threads may still point into
// them); unload() runs the destroy hooks in reverse order.
// Threading: load_all()/unload() on the main thread, before serving / after the last call;
// modules() is immutable in between and may be read from any thread (module_list).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "gateway/config/config.h"
#include "mi/module_abi.h"
#include "mi/registry.h"

namespace sb::gateway {

class ModuleError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// What to load and how to configure it (from [modules] and [module.<name>], see
/// module_settings()).
struct ModuleSettings {
  std::vector<std::string> path;             ///< directories searched in order for relative names
  std::vector<std::string> load;             ///< module files, in load order
  std::string load_origin = "modules.load";  ///< where `load` was set, for messages
  ModuleParams params;                       ///< module name → key → value
};

/// The [modules] and [module.<name>] settings of a configuration.
ModuleSettings module_settings(const Config& cfg);

/// A loaded module as `module_list` shows it.
struct ModuleInfo {
  struct Param {
    std::string name, type, value, default_value, help;  ///< value, default "***" when secret
    bool secret = false;
  };
  std::string name, version, summary, file;
  unsigned abi_major = 0, abi_minor = 0;
  std::vector<Param> params;
  std::vector<std::string> commands;
};

class ModuleHost {
 public:
  ModuleHost() = default;
  ~ModuleHost() { unload(); }
  ModuleHost(const ModuleHost&) = delete;
  ModuleHost& operator=(const ModuleHost&) = delete;

  /// Loads, configures and registers every module of `settings`, then (when `run_init`) runs
  /// their init hooks in load order. Throws ModuleError on the first problem. `--check-config`
  /// passes run_init = false: everything is checked, nothing starts.
  void load_all(const ModuleSettings& settings, mi::Registry& registry, bool run_init = true);
  /// Runs the destroy hook of every initialised module, in reverse load order. Idempotent.
  void unload();

  const std::vector<ModuleInfo>& modules() const { return infos_; }
  /// True when a module of that name is loaded (`which` lists its commands as module:name).
  bool has(std::string_view name) const;
  /// True when a loaded module declares `key` secret (ABI 1.1 secret_params); also true for a
  /// module that is not loaded (unknown: mask it).
  bool secret_param(std::string_view module, std::string_view key) const;

 private:
  void load_one(const std::string& entry, const ModuleSettings& settings, mi::Registry& registry);

  std::vector<ModuleInfo> infos_;
  std::vector<const sb_module*> exports_;  ///< parallel to infos_
  std::size_t initialised_ = 0;            ///< modules [0, initialised_) ran init
};

/// Registers `module_list` (module `core`): loaded modules, versions, parameters and commands.
void register_module_commands(mi::Registry& registry, const ModuleHost& host);

}  // namespace sb::gateway
