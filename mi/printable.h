// printable.h: client-supplied text made safe for a log line.
//
// Purpose: a client string logged raw can carry ESC sequences (rewriting an operator's
// terminal) or line breaks (forging log lines that fail2ban would act on). printable() escapes
// every control byte and DEL as \xHH (and a backslash as \\), and cuts the text at `max` bytes.
// Threading: pure function.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

namespace sb::mi {

inline std::string printable(std::string_view s, std::size_t max = 200) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::min(s.size(), max) + 8);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace sb::mi
