// registry_test.cpp: the Registry refuses incomplete or clashing specs (with a message naming the
// command) and finds commands by `name`, `module:name` and, on request, case-insensitively.
#include "mi/registry.h"
#include "mi/reply_schema.h"

#include <gtest/gtest.h>

#include <string>

namespace sb::mi {
namespace {

CommandSpec sync_spec(std::string name, std::string module = "core") {
  CommandSpec s;
  s.name = std::move(name);
  s.module = std::move(module);
  s.summary = "Do something.";
  s.reply = schema::ok();
  s.handler = [](const Args&) -> Result { return ok_value(); };
  return s;
}

// Adds the spec expecting a RegistryError whose message contains every `needles` entry.
void expect_refused(Registry& r, CommandSpec spec, std::initializer_list<std::string> needles) {
  std::string name = spec.name;
  try {
    r.add(std::move(spec));
    ADD_FAILURE() << "spec '" << name << "' was accepted";
  } catch (const RegistryError& e) {
    std::string msg = e.what();
    for (const auto& n : needles) EXPECT_NE(msg.find(n), std::string::npos) << msg << " lacks " << n;
  }
}

TEST(Registry, AcceptsACompleteSpec) {
  Registry r;
  CommandSpec s = sync_spec("ul_show_contact", "usrloc");
  s.params = {param("table_name", ParamType::string_, "Table, e.g. location"),
              param("aor", ParamType::string_, "AOR")};
  const CommandSpec& added = r.add(std::move(s));
  EXPECT_EQ(added.name, "ul_show_contact");
  EXPECT_EQ(r.size(), 1u);
  EXPECT_EQ(Registry::validate(added), "");
}

TEST(Registry, RefusesEmptySummary) {
  Registry r;
  CommandSpec s = sync_spec("nosummary");
  s.summary.clear();
  expect_refused(r, std::move(s), {"'nosummary'", "summary"});
  EXPECT_EQ(r.size(), 0u);
  EXPECT_EQ(r.find("nosummary"), nullptr);
}

TEST(Registry, RefusesParamWithoutHelp) {
  Registry r;
  CommandSpec s = sync_spec("nohelp");
  s.params = {param("aor", ParamType::string_, "")};
  expect_refused(r, std::move(s), {"'nohelp'", "'aor'", "help"});
  EXPECT_EQ(r.find("nohelp"), nullptr);
}

TEST(Registry, RefusesMissingHandler) {
  Registry r;
  CommandSpec s = sync_spec("nohandler");
  s.handler = nullptr;
  expect_refused(r, std::move(s), {"'nohandler'", "handler"});
}

TEST(Registry, RefusesDuplicateNameInSameModule) {
  Registry r;
  r.add(sync_spec("uptime"));
  expect_refused(r, sync_spec("uptime"), {"'uptime'", "already registered"});
  EXPECT_EQ(r.size(), 1u);
}

TEST(Registry, RefusesDuplicateNameAcrossModules) {
  Registry r;
  r.add(sync_spec("dump", "usrloc"));
  expect_refused(r, sync_spec("dump", "dialog"), {"'dump'", "usrloc", "dialog"});
  EXPECT_EQ(r.size(), 1u);
  // The refused spec left nothing behind: its qualified name is unknown too.
  EXPECT_EQ(r.find("dialog:dump"), nullptr);
  ASSERT_NE(r.find("usrloc:dump"), nullptr);
  EXPECT_EQ(r.find("usrloc:dump")->module, "usrloc");
}

TEST(Registry, RefusesANameThatSpellsAnotherCommandsQualifiedName) {
  // A plain name can never take over another command's `module:name` alias: ':' is not allowed
  // in names, so the attempt is refused (naming the command) and the alias keeps its target.
  Registry r;
  r.add(sync_spec("uptime", "core"));
  expect_refused(r, sync_spec("core:uptime", "other"), {"'core:uptime'", "not valid"});
  ASSERT_NE(r.find("core:uptime"), nullptr);
  EXPECT_EQ(r.find("core:uptime")->module, "core");
  // Nor can a module name carry a ':' to forge a `module:name` pair.
  expect_refused(r, sync_spec("uptime", "co:re"), {"'uptime'", "'co:re'"});
  EXPECT_EQ(r.size(), 1u);
}

TEST(Registry, RefusesInvalidNames) {
  for (const char* bad : {"", "1abc", "with space", "semi;colon", "a/b", "col:on", "ümlaut"}) {
    Registry r;
    expect_refused(r, sync_spec(bad), {std::string("'") + bad + "'"});
    EXPECT_EQ(r.size(), 0u) << bad;
  }
  // 65 characters is over the limit; 64 is fine.
  {
    Registry r;
    expect_refused(r, sync_spec(std::string(65, 'a')), {std::string(65, 'a')});
    EXPECT_NO_THROW(r.add(sync_spec(std::string(64, 'a'))));
  }
  // Allowed characters: letters, digits, '_', '.', '-' (leading letter or '_').
  Registry r;
  for (const char* good : {"uptime", "_private", "t_uac_dlg", "dlg.list", "get-stats", "A1"})
    EXPECT_NO_THROW(r.add(sync_spec(good))) << good;
  // Param names are checked too.
  CommandSpec s = sync_spec("badparam");
  s.params = {param("bad name", ParamType::string_, "help")};
  expect_refused(r, std::move(s), {"'badparam'", "'bad name'"});
  // And the module name.
  expect_refused(r, sync_spec("okname", ""), {"'okname'", "module"});
}

TEST(Registry, RefusesAsyncFlagWithoutAsyncHandler) {
  Registry r;
  CommandSpec s = sync_spec("t_uac_dlg", "tm");
  s.flags = kAsync;
  s.handler = nullptr;
  expect_refused(r, std::move(s), {"'t_uac_dlg'", "async"});
  // Flagged async with only a sync handler: refused as well.
  CommandSpec s2 = sync_spec("t_uac_dlg", "tm");
  s2.flags = kAsync;
  expect_refused(r, std::move(s2), {"'t_uac_dlg'", "async"});
  EXPECT_EQ(r.size(), 0u);
}

TEST(Registry, RefusesSyncAndAsyncHandlersTogether) {
  Registry r;
  CommandSpec s = sync_spec("both");
  s.flags = kAsync;
  s.async_handler = [](const Args&, Completion c) { c(ok_value()); };
  expect_refused(r, std::move(s), {"'both'", "sync handler"});
  // An async handler without the flag is never called: refused (no sync handler).
  CommandSpec s2 = sync_spec("unflagged");
  s2.handler = nullptr;
  s2.async_handler = [](const Args&, Completion c) { c(ok_value()); };
  expect_refused(r, std::move(s2), {"'unflagged'"});
  EXPECT_EQ(r.size(), 0u);
  // Properly flagged async is fine.
  CommandSpec ok = sync_spec("async_ok");
  ok.handler = nullptr;
  ok.flags = kAsync;
  ok.async_handler = [](const Args&, Completion c) { c(ok_value()); };
  EXPECT_NO_THROW(r.add(std::move(ok)));
}

TEST(Registry, RefusesRequiredAfterOptional) {
  Registry r;
  CommandSpec s = sync_spec("order");
  s.params = {optional_param("a", ParamType::string_, "optional a"),
              param("b", ParamType::string_, "required b")};
  expect_refused(r, std::move(s), {"'order'", "'b'", "optional"});
}

TEST(Registry, RefusesArrayParamThatIsNotLast) {
  Registry r;
  CommandSpec s = sync_spec("arr");
  s.params = {param("items", ParamType::array_, "the items"),
              param("x", ParamType::string_, "after the array")};
  expect_refused(r, std::move(s), {"'arr'", "'items'", "last"});
  CommandSpec ok = sync_spec("arr");
  ok.params = {param("x", ParamType::string_, "first"),
               optional_param("items", ParamType::array_, "the items")};
  EXPECT_NO_THROW(r.add(std::move(ok)));
}

TEST(Registry, RefusesDuplicateParamNames) {
  Registry r;
  CommandSpec s = sync_spec("dup_param");
  s.params = {param("a", ParamType::string_, "one"), param("a", ParamType::int_, "two")};
  expect_refused(r, std::move(s), {"'dup_param'", "'a'"});
}

TEST(Registry, AcceptsReadOnlyAdminAsAReadOfSecrets) {
  // config_export: changes nothing, but only an admin may read what it shows.
  Registry r;
  CommandSpec s = sync_spec("config_export");
  s.flags = kReadOnly | kAdmin;
  EXPECT_NO_THROW(r.add(std::move(s)));
}

TEST(Registry, RefusesAConfigWriteThatIsReadOnlyOrAsync) {
  Registry r;
  CommandSpec off_engine = sync_spec("w0");
  off_engine.flags = kConfig;
  expect_refused(r, std::move(off_engine), {"'w0'", "config", "engine"});
  CommandSpec ro = sync_spec("w1");
  ro.flags = kConfig | kEngine | kReadOnly;
  expect_refused(r, std::move(ro), {"'w1'", "config", "read_only"});
  CommandSpec as = sync_spec("w2");
  as.flags = kConfig | kEngine | kAsync;
  as.handler = nullptr;
  as.async_handler = [](const Args&, Completion) {};
  expect_refused(r, std::move(as), {"'w2'", "config", "async"});
  CommandSpec ok = sync_spec("w3");
  ok.flags = kConfig | kEngine;
  EXPECT_NO_THROW(r.add(std::move(ok)));
}

TEST(Registry, FindsByNameAndByModuleQualifiedName) {
  Registry r;
  const CommandSpec& up = r.add(sync_spec("uptime", "core"));
  const CommandSpec& ul = r.add(sync_spec("ul_dump", "usrloc"));
  EXPECT_EQ(r.find("uptime"), &up);
  EXPECT_EQ(r.find("core:uptime"), &up);
  EXPECT_EQ(r.find("ul_dump"), &ul);
  EXPECT_EQ(r.find("usrloc:ul_dump"), &ul);
  EXPECT_EQ(r.find("usrloc:uptime"), nullptr);  // wrong module
  EXPECT_EQ(r.find("core:"), nullptr);
  EXPECT_EQ(r.find(":uptime"), nullptr);
  EXPECT_EQ(r.find("nosuch"), nullptr);
  EXPECT_EQ(r.find(""), nullptr);
}

TEST(Registry, FindIsCaseSensitiveFindCaseInsensitiveIsNot) {
  Registry r;
  const CommandSpec& up = r.add(sync_spec("uptime", "core"));
  const CommandSpec& mixed = r.add(sync_spec("Get_Stats", "Stats"));
  EXPECT_EQ(r.find("UPTIME"), nullptr);
  EXPECT_EQ(r.find("Uptime"), nullptr);
  EXPECT_EQ(r.find_case_insensitive("UPTIME"), &up);
  EXPECT_EQ(r.find_case_insensitive("Uptime"), &up);
  EXPECT_EQ(r.find_case_insensitive("CORE:UPTIME"), &up);
  EXPECT_EQ(r.find_case_insensitive("get_stats"), &mixed);
  EXPECT_EQ(r.find_case_insensitive("stats:GET_STATS"), &mixed);
  EXPECT_EQ(r.find("Get_Stats"), &mixed);
  EXPECT_EQ(r.find("get_stats"), nullptr);
  EXPECT_EQ(r.find_case_insensitive("nosuch"), nullptr);
}

TEST(Registry, FindIsExactAndFindCaseInsensitiveIsNot) {
  Registry r;
  const CommandSpec& s = r.add(sync_spec("Stats", "a"));
  EXPECT_EQ(r.find("Stats"), &s);
  EXPECT_EQ(r.find("stats"), nullptr);
  EXPECT_EQ(r.find_case_insensitive("STATS"), &s);
  EXPECT_EQ(r.find_case_insensitive("A:stats"), &s);
  // A name differing only in case is refused (RegistryCase), so the lookup is never ambiguous.
  EXPECT_THROW(r.add(sync_spec("STATS", "b")), RegistryError);
}

TEST(Registry, AllKeepsRegistrationOrder) {
  Registry r;
  const char* names[] = {"zeta", "alpha", "mid", "beta", "omega", "aardvark"};
  for (const char* n : names) r.add(sync_spec(n));
  // A refused spec does not disturb the order.
  EXPECT_THROW(r.add(sync_spec("alpha")), RegistryError);
  auto all = r.all();
  ASSERT_EQ(all.size(), std::size(names));
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i]->name, names[i]);
  EXPECT_EQ(r.size(), std::size(names));
}

TEST(Registry, AllIncludesHiddenCommands) {
  Registry r;
  CommandSpec h = sync_spec("secret");
  h.flags = kHidden;
  r.add(sync_spec("shown"));
  r.add(std::move(h));
  auto all = r.all();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_TRUE(all[1]->has(kHidden));
  EXPECT_NE(r.find("secret"), nullptr);
}

TEST(Registry, PointersStayValidAcrossManyRegistrations) {
  Registry r;
  const CommandSpec* first = &r.add(sync_spec("first"));
  for (int i = 0; i < 500; ++i) r.add(sync_spec("cmd" + std::to_string(i)));
  EXPECT_EQ(r.find("first"), first);
  EXPECT_EQ(first->name, "first");
  EXPECT_EQ(r.find("core:cmd499")->name, "cmd499");
}

TEST(Registry, RequiredCount) {
  CommandSpec s = sync_spec("x");
  s.params = {param("a", ParamType::string_, "a"), param("b", ParamType::int_, "b"),
              optional_param("c", ParamType::bool_, "c", true)};
  EXPECT_EQ(s.required_count(), 2u);
}

}  // namespace
}  // namespace sb::mi

namespace sb::mi {
namespace {

TEST(RegistryCase, NamesDifferingOnlyInCaseAreRefused) {
  Registry r;
  CommandSpec a;
  a.name = "stats";
  a.module = "one";
  a.summary = "Show stats";
  a.reply = schema::ok();
  a.handler = [](const Args&) -> Result { return ok_value(); };
  r.add(a);
  CommandSpec b = a;
  b.name = "STATS";
  b.module = "two";
  try {
    r.add(b);
    FAIL() << "a case-only duplicate was accepted";
  } catch (const RegistryError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("'STATS'"), std::string::npos) << what;
    EXPECT_NE(what.find("'stats'"), std::string::npos) << what;
  }
  EXPECT_EQ(r.size(), 1u);
}

}  // namespace
}  // namespace sb::mi
