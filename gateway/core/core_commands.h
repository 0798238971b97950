// core_commands.h: module `core` — uptime, version, which, help, ps, pwd, arg, print,
// log_level, get_statistics, list_statistics, reset_statistics, kill (shapes as OpenSIPS 3.4).
//
// Threading: handlers run on dispatcher workers; CoreContext is read-only after start except
// `request_shutdown`, which must be thread-safe (it only signals the main thread).
#pragma once

#include <chrono>
#include <functional>
#include <tuple>
#include <string>
#include <string_view>
#include <vector>

#include "mi/dispatcher.h"

namespace sb::gateway {

struct CoreContext {
  std::chrono::system_clock::time_point started = std::chrono::system_clock::now();
  std::vector<std::string> argv;        ///< the daemon's command line (`arg`), secrets masked
  std::function<void()> request_shutdown;  ///< `kill`: begin a graceful shutdown (after the reply)
  /// `reload`: re-read the configuration and apply what can change live (Runtime::request_reload).
  std::function<mi::Value()> request_reload;
  /// True for a module loaded from a shared library (gateway/modules): `which` lists its
  /// commands as `module:name`, showing where they come from. Unset = none.
  std::function<bool(std::string_view module)> is_loadable_module;
  /// The daemon's components: {name, enabled, describe()} (system_info). Unset = none.
  std::function<std::vector<std::tuple<std::string, bool, std::string>>()> components;
};

/// Registers the core commands. `dispatcher` is used for introspection (which/help) only.
void register_core_commands(mi::Registry& registry, mi::Statistics& stats, CoreContext& ctx);

/// "Switchboard (<version> (<arch>/<os>))", as `version` prints it.
std::string server_banner();

}  // namespace sb::gateway
