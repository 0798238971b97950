// architecture_test.cpp: ARCHITECTURE.md stays true — every path it names in backticks exists,
// and every component and engine module the daemon builds is named in it.
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "gateway/daemon/components.h"
#include "gateway/engine/engine_modules.h"

namespace sb::gateway {
namespace {

std::string architecture() {
  std::ifstream in(SB_GOLDEN_DIR "/../../ARCHITECTURE.md");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(Architecture, EveryNamedPathExists) {
  const std::string doc = architecture();
  ASSERT_FALSE(doc.empty());
  const std::filesystem::path root = SB_GOLDEN_DIR "/../..";
  std::regex path_re("`((?:mi|gateway|transports|tests|scripts|conf)/[A-Za-z0-9_./]+)`");
  int named = 0;
  for (std::sregex_iterator it(doc.begin(), doc.end(), path_re), end; it != end; ++it, ++named)
    EXPECT_TRUE(std::filesystem::exists(root / (*it)[1].str())) << (*it)[1].str();
  EXPECT_GT(named, 20);
}

TEST(Architecture, NamesEveryComponentAndEngineModule) {
  const std::string doc = architecture();
  for (const auto& c : make_components())
    EXPECT_NE(doc.find("| " + std::string(c->name()) + " |"), std::string::npos) << c->name();
  for (const auto& m : make_engine_modules())
    EXPECT_NE(doc.find(std::string(m->name())), std::string::npos) << m->name();
}

}  // namespace
}  // namespace sb::gateway
