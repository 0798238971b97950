// config_checks.h: value checks shared by the transports' configuration keys (KeySpec::check)
// and the conversions that go with them.
// Threading: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "mi/command.h"

namespace sb::transports {

/// "" for an empty value or a valid host:port (IPv4 or [IPv6]:port), else why not.
std::string check_host_port(std::string_view value);
/// "" for read_only|operator|admin, else why not.
std::string check_role(std::string_view value);
/// The role a checked value names (read_only for anything else).
mi::Role role_of(std::string_view value);

}  // namespace sb::transports
