// config_checks.cpp: see config_checks.h.
#include "transports/net/config_checks.h"

#include <fmt/format.h>

#include "transports/net/address.h"

namespace sb::transports {

std::string check_host_port(std::string_view value) {
  if (value.empty()) return {};
  std::string why;
  return parse_host_port(value, &why) ? std::string() : why;
}

std::string check_role(std::string_view value) {
  return mi::role_from_string(value) ? std::string()
                                     : fmt::format("'{}' is not read_only, operator or admin", value);
}

mi::Role role_of(std::string_view value) {
  return mi::role_from_string(value).value_or(mi::Role::read_only);
}

}  // namespace sb::transports
