// config_file.h: what is generated from a ConfigSchema — the documented ini file
// (conf/switchboard.conf is this text; a test compares them) and the --help key reference.
// Threading: pure functions of an immutable schema.
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include "gateway/config/config.h"

namespace sb::gateway {

/// The documented configuration file: the schema's header, then per section its intro, each key
/// (its doc as `# ` comments, then `key = value` at KeySpec::conf_value()) and its outro.
std::string render_config_file(const ConfigSchema& schema);
/// The same, with `values` ("section.key" → value as written) instead of the shipped values:
/// the installed configuration (system paths). An undeclared key throws std::invalid_argument.
std::string render_config_file(const ConfigSchema& schema, const std::map<std::string, std::string>& values);

/// The key reference for --help: one entry per key, `section.key = default` plus its help and
/// limits, indented by `indent` spaces.
std::string config_reference(const ConfigSchema& schema, std::size_t indent = 2);

}  // namespace sb::gateway
