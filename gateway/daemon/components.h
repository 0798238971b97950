// components.h: the daemon's components, in start order, and the configuration schema they
// declare together.
// Threading: called on the main thread at start-up (daemon_schema() builds a static once).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gateway/component/component.h"
#include "gateway/config/config.h"

namespace sb::gateway {

/// A fresh instance of every component, in start order (stopped in reverse).
std::vector<std::unique_ptr<Component>> make_components();

/// Every section every component declares, in component order: the daemon's configuration.
const ConfigSchema& daemon_schema();

/// load_config() over daemon_schema().
Config load_daemon_config(const std::string& file, const std::vector<std::string>& overrides);

}  // namespace sb::gateway
