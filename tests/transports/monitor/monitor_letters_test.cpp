// monitor_letters_test.cpp: the letter table is checked against the registry at start-up —
// every letter's command exists and takes its params, every reply field the monitor reads is
// declared by the command's reply schema — so a renamed command or field fails loudly.
// (The positive case against the real commands runs in every daemon test: a daemon whose table
// does not fit refuses to start.)
#include "transports/monitor/letters.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "mi/reply_schema.h"

namespace sb::transports::monitor {
namespace {

using namespace mi::schema;

mi::CommandSpec command(std::string name, std::vector<mi::ParamSpec> params, mi::Value reply) {
  mi::CommandSpec s;
  s.name = std::move(name);
  s.module = "test";
  s.summary = "A stand-in.";
  s.params = std::move(params);
  s.reply = std::move(reply);
  s.handler = [](const mi::Args&) -> mi::Result { return mi::ok_value(); };
  return s;
}

bool mentions(const std::vector<std::string>& problems, const std::string& text) {
  return std::any_of(problems.begin(), problems.end(),
                     [&](const std::string& p) { return p.find(text) != std::string::npos; });
}

TEST(MonitorLetters, AMissingCommandIsNamed) {
  mi::Registry registry;
  auto problems = check_letters(registry);
  EXPECT_TRUE(mentions(problems, "letter 'i' runs 'port_list', which no module registers"));
  EXPECT_TRUE(mentions(problems, "letter 'R' runs 'ul_dump'"));
  EXPECT_TRUE(mentions(problems, "the monitor reads 'Log level' of 'log_level'"));
}

TEST(MonitorLetters, ALetterMustFitItsCommandsParams) {
  mi::Registry registry;
  // blX gives port_block one param (the number); a command needing two does not fit.
  registry.add(command("port_block",
                       {mi::param("port", mi::ParamType::int_, "port"),
                        mi::param("block", mi::ParamType::bool_, "flag")},
                       ok()));
  EXPECT_TRUE(mentions(check_letters(registry), "letter 'blX' gives 'port_block' 1 param(s), it needs 2"));
}

TEST(MonitorLetters, AFieldTheMonitorReadsMustBeDeclared) {
  mi::Registry registry;
  // ul_dump without "Q" in its contacts: R would print nothing for it.
  registry.add(command(
      "ul_dump", {},
      object({{"Domains",
               array_of(object({{"AORs", array_of(object({{"AOR", str()},
                                                          {"Contacts", opt(array_of(object(
                                                                           {{"Contact", str()},
                                                                            {"Expires", uint()},
                                                                            {"User-agent", opt(str())}})))}}))}}))}})));
  auto problems = check_letters(registry);
  EXPECT_TRUE(mentions(problems, "reads 'Domains[].AORs[].Contacts[].Q' of the 'ul_dump' reply, "
                                 "which its reply schema does not declare"));
  EXPECT_FALSE(mentions(problems, "Contacts[].Contact'"));
  EXPECT_FALSE(mentions(problems, ".AOR'"));
}

TEST(MonitorLetters, DeclaresFollowsPropertiesItemsAndAlternatives) {
  mi::Value s = any_of({object({{"Log level", str()}}), object({{"New global log level", str()}})});
  EXPECT_EQ(declares(s, {"Log level"}), Declared::always);
  EXPECT_EQ(declares(s, {"Nope"}), Declared::no);
  mi::Value nested = object({{"A", opt(array_of(object({{"b", str()}})))}});
  EXPECT_EQ(declares(nested, {"A", "[]", "b"}), Declared::optional);
  EXPECT_EQ(declares(map_of(uint()), {"anything"}), Declared::optional);
}

}  // namespace
}  // namespace sb::transports::monitor
