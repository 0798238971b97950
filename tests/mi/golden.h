// golden.h: golden-file comparison for renderer tests.
//
// A golden file under SB_GOLDEN_DIR holds the exact bytes a renderer must produce. On a mismatch
// the test prints both texts with control characters made visible and the first differing
// offset. With SB_UPDATE_GOLDEN=1 in the environment the golden is (re)written from the actual
// output instead; regenerated goldens must be reviewed by hand against spec/wire.md before commit.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace sb::mi::test {

inline std::string golden_path(const std::string& name) {
  return std::string(SB_GOLDEN_DIR) + "/" + name;
}

/// `s` with control characters, backslashes and non-ASCII bytes spelled out, one line.
inline std::string visible(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\\': out += "\\\\"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

inline bool update_goldens() {
  const char* e = std::getenv("SB_UPDATE_GOLDEN");
  return e && std::string(e) == "1";
}

/// Compares `actual` with the golden file byte for byte (or rewrites it with SB_UPDATE_GOLDEN=1).
inline ::testing::AssertionResult matches_golden(const std::string& name, const std::string& actual) {
  const std::string path = golden_path(name);
  if (update_goldens()) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << actual;
    if (!out) return ::testing::AssertionFailure() << "cannot write golden " << path;
    std::printf("[golden] rewrote %s\n", path.c_str());
    return ::testing::AssertionSuccess();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return ::testing::AssertionFailure()
           << "golden " << path << " is missing (SB_UPDATE_GOLDEN=1 creates it; review it by hand)";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string expected = ss.str();
  if (expected == actual) return ::testing::AssertionSuccess();
  std::size_t at = 0;
  while (at < expected.size() && at < actual.size() && expected[at] == actual[at]) ++at;
  return ::testing::AssertionFailure()
         << "output differs from golden " << path << " at byte " << at << "\n"
         << "  expected (" << expected.size() << " bytes): " << visible(expected) << "\n"
         << "  actual   (" << actual.size() << " bytes): " << visible(actual) << "\n"
         << "--- expected ---\n" << expected << "\n--- actual ---\n" << actual << "\n---";
}

}  // namespace sb::mi::test
