// cursor.cpp: hex of the key parts joined by NUL.
#include "mi/cursor.h"

namespace sb::mi {

namespace {
constexpr char kHex[] = "0123456789abcdef";
int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}
}  // namespace

std::string make_cursor(const std::vector<std::string>& parts) {
  std::string joined;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) joined += '\0';
    joined += parts[i];
  }
  std::string out;
  out.reserve(joined.size() * 2);
  for (unsigned char c : joined) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::optional<std::vector<std::string>> read_cursor(std::string_view cursor, std::size_t count) {
  if (cursor.empty() || cursor.size() % 2 != 0 || cursor.size() > 4096) return std::nullopt;
  std::vector<std::string> parts(1);
  for (std::size_t i = 0; i < cursor.size(); i += 2) {
    int hi = nibble(cursor[i]), lo = nibble(cursor[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    char c = static_cast<char>(hi * 16 + lo);
    if (c == '\0') parts.emplace_back();
    else parts.back() += c;
  }
  if (parts.size() != count) return std::nullopt;
  return parts;
}

}  // namespace sb::mi
