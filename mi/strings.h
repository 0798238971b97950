// strings.h: the few ASCII string helpers every layer needs (protocol tokens, config values,
// typed lines), in one place instead of a private copy per file.
// Threading: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace sb::mi {

inline constexpr std::string_view kBlanks = " \t";        ///< spaces and tabs
inline constexpr std::string_view kWhitespace = " \t\r\n";  ///< and line ends

inline std::string_view trim_left(std::string_view s, std::string_view chars = kBlanks) {
  auto b = s.find_first_not_of(chars);
  return b == std::string_view::npos ? std::string_view() : s.substr(b);
}

inline std::string_view trim_right(std::string_view s, std::string_view chars = kBlanks) {
  auto e = s.find_last_not_of(chars);
  return e == std::string_view::npos ? std::string_view() : s.substr(0, e + 1);
}

inline std::string_view trim(std::string_view s, std::string_view chars = kBlanks) {
  return trim_right(trim_left(s, chars), chars);
}

/// ASCII lower case (locale-independent: header names, methods, domains, command names).
inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace sb::mi
