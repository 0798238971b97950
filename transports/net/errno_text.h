// errno_text.h: an errno value as the message operators know ("Address already in use"),
// thread-safe (std::system_category, not strerror's static buffer).
// Threading: pure function.
#pragma once

#include <string>
#include <system_error>

namespace sb::transports {

inline std::string errno_text(int err) { return std::system_category().message(err); }

}  // namespace sb::transports
