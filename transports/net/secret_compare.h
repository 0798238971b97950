// secret_compare.h: comparing a secret a client sent (password, token) with the configured one
// without telling, by the time it takes, how much of it matched. Shared by the HTTP host and
// the monitor. (Digest responses compare hex case-insensitively: gateway/registrar/digest.h.)
// Threading: a pure function.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace sb::transports {

/// Compares in time that depends only on the lengths, not on where the texts differ.
inline bool constant_time_equal(std::string_view a, std::string_view b) {
  std::size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

}  // namespace sb::transports
