// dialplan_test.cpp: gateway/dialplan/dialplan.h with a real SQLite file — first match wins,
// back-references (\0 and groups, both sides), ${dest}, every source kind, options validation,
// bad regexes and group references, the limits, failover with from_index, the edits (positions
// stay dense, refused edits change nothing), reload keeping the old set on a corrupt row,
// persistence across a new Dialplan, immutable snapshots, and the `dialplan:` statistics.
// Threading: single-threaded except SnapshotsAreImmutableWhileEdited (a reader thread).
#include "gateway/dialplan/dialplan.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/store/database.h"
#include "mi/statistics.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace sb::gateway {
namespace {

using json = nlohmann::ordered_json;
using test::TempDir;

DialplanRule make_rule(const std::string& src_kind, const std::string& src_id, const std::string& dest_match,
                       const std::string& dest_rewrite, const std::string& target_kind,
                       const std::string& target_id) {
  DialplanRule r;
  r.src_kind = src_kind;
  r.src_id = src_id;
  r.dest_match = dest_match;
  r.dest_rewrite = dest_rewrite;
  r.target_kind = target_kind;
  r.target_id = target_id;
  return r;
}

const CallSource kTrunk{"account", "trunk1", {}};

std::int64_t stat_value(const mi::Statistics& stats, const std::string& name) {
  auto found = stats.match({name});
  EXPECT_EQ(found.size(), 1u) << name;
  return found.empty() ? -1 : found.front()->get();
}

class DialplanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = open();
    dp_ = std::make_unique<Dialplan>(*db_, stats_);
    EXPECT_EQ(dp_->reload(), 0u);
  }
  std::unique_ptr<Database> open() {
    auto db = std::make_unique<Database>(DatabaseOptions{tmp_ / "sb.db"});
    db->migrate();
    return db;
  }
  /// "(id,position)" pairs of the table in order, as SQL sees them.
  std::vector<std::pair<std::int64_t, std::int64_t>> table() {
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    auto st = db_->prepare("SELECT id, position FROM dp_rule ORDER BY position");
    while (st.step()) out.emplace_back(st.integer(0), st.integer(1));
    return out;
  }
  std::vector<std::int64_t> active_ids() {
    std::vector<std::int64_t> out;
    for (const auto& c : dp_->rules()->rules) out.push_back(c.rule.id);
    return out;
  }
  /// The DialplanError `fn` throws (code 0 when it throws none).
  template <typename Fn>
  static DialplanError refusal(Fn fn) {
    try {
      fn();
    } catch (const DialplanError& e) {
      return e;
    }
    return DialplanError(0, "", "nothing thrown");
  }

  TempDir tmp_;
  mi::Statistics stats_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Dialplan> dp_;
};

TEST_F(DialplanTest, FirstMatchWinsInOrder) {
  auto a = dp_->add(make_rule("any", "", "^0", "", "account", "pstn"));
  auto b = dp_->add(make_rule("any", "", "^01", "", "account", "mobile"));
  auto c = dp_->add(make_rule("any", "", "", "", "user", "fallback"));
  EXPECT_EQ(a.position, 1);
  EXPECT_EQ(b.position, 2);
  EXPECT_EQ(c.position, 3);
  EXPECT_NE(a.id, b.id);

  auto t = dp_->translate(kTrunk, "0170123", "");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->rule_id, a.id) << "rule 1 matches first although rule 2 is more specific";
  EXPECT_EQ(t->index, 0u);
  EXPECT_EQ(t->called, "0170123") << "'' = unchanged";
  EXPECT_EQ(t->target_kind, "account");
  EXPECT_EQ(t->target_id, "pstn");

  t = dp_->translate(kTrunk, "200", "");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->rule_id, c.id) << "an empty dest_match matches every number";
  EXPECT_EQ(t->index, 2u);

  // Unanchored search: "0" anywhere is not enough for ^0, but a pattern without ^ finds it.
  dp_->move(c.id, 1);
  dp_->update(c.id, DialplanRulePatch{.dest_match = std::string("99")});
  t = dp_->translate(kTrunk, "1299", "");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->rule_id, c.id) << "the regex is searched, not matched whole";
  EXPECT_FALSE(dp_->translate(kTrunk, "1234", "")) << "no rule matches";
}

TEST_F(DialplanTest, BackReferencesOnBothSides) {
  DialplanRule r = make_rule("any", "", R"(^0(\d{2})(\d+)$)", R"(+49\1\2)", "account", "trunk");
  r.src_match = R"(^(\d{3})(\d*)(x)?$)";
  r.src_rewrite = R"(\2-\1[\3]\\\0)";
  dp_->add(r);
  auto t = dp_->translate(kTrunk, "0301234", "5551234");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->called, "+49301234");
  EXPECT_EQ(t->caller, R"(1234-555[]\5551234)") << "\\3 did not take part: empty; \\\\ is a backslash; \\0 the match";

  // \0 is the matched part of an unanchored search, not the whole number.
  dp_->add(make_rule("any", "", R"(7+)", R"(<\0>)", "user", "x"), 1);
  t = dp_->translate(kTrunk, "1777", "");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->called, "<777>");

  // With no src_match, the caller's \0 is the whole caller number.
  DialplanRule whole = make_rule("any", "", "^9", "", "user", "y");
  whole.src_rewrite = R"(+\0)";
  dp_->add(whole, 1);
  t = dp_->translate(kTrunk, "900", "4930");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->caller, "+4930");
  EXPECT_EQ(t->called, "900");
}

TEST_F(DialplanTest, SrcMatchFiltersTheCaller) {
  DialplanRule anon = make_rule("any", "", "", "", "account", "anonymous-trunk");
  anon.src_match = "^$";
  dp_->add(anon);
  dp_->add(make_rule("any", "", "", "", "account", "default"));
  EXPECT_EQ(dp_->translate(kTrunk, "1", "")->target_id, "anonymous-trunk");
  EXPECT_EQ(dp_->translate(kTrunk, "1", "030")->target_id, "default");
}

TEST_F(DialplanTest, DestVariableInTargetId) {
  dp_->add(make_rule("any", "", R"(^\*\*(\d+)$)", R"(\1)", "user", "${dest}"));
  dp_->add(make_rule("any", "", R"(^#(\d+)$)", R"(\1)", "group", "g-${dest}-${dest}"));
  auto t = dp_->translate(kTrunk, "**201", "");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->target_kind, "user");
  EXPECT_EQ(t->target_id, "201") << "${dest} is the rewritten called number";
  t = dp_->translate(kTrunk, "#7", "");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->target_id, "g-7-7");
  auto e = refusal([&] { dp_->add(make_rule("any", "", "", "", "user", "${src}")); });
  EXPECT_EQ(e.code(), 400);
  EXPECT_EQ(e.field(), "target_id");
}

TEST_F(DialplanTest, SourceKinds) {
  auto any_account = dp_->add(make_rule("account", "", "^1", "", "user", "a"));
  auto trunk2 = dp_->add(make_rule("account", "trunk2", "", "", "user", "b"));
  auto alice = dp_->add(make_rule("subscriber", "alice", "", "", "user", "c"));
  auto bob_at = dp_->add(make_rule("subscriber", "bob@example.com", "", "", "user", "d"));
  auto isdn = dp_->add(make_rule("group", "isdn", "", "", "user", "e"));
  auto port3 = dp_->add(make_rule("port", "3", "", "", "user", "f"));
  auto any_group = dp_->add(make_rule("group", "", "", "", "user", "g"));
  auto any_port = dp_->add(make_rule("port", "", "", "", "user", "h"));
  auto any = dp_->add(make_rule("any", "", "", "", "user", "i"));

  auto rule_for = [&](const CallSource& src, const std::string& called = "5") {
    auto t = dp_->translate(src, called, "");
    return t ? t->rule_id : 0;
  };
  EXPECT_EQ(rule_for({"account", "trunk1", {}}, "123"), any_account.id);
  EXPECT_EQ(rule_for({"account", "trunk1", {}}), any.id);
  EXPECT_EQ(rule_for({"account", "trunk2", {}}), trunk2.id);
  EXPECT_EQ(rule_for({"subscriber", "alice@example.com", {}}), alice.id) << "'alice' = alice at any domain";
  EXPECT_EQ(rule_for({"subscriber", "alice@other.org", {}}), alice.id);
  EXPECT_EQ(rule_for({"subscriber", "alice", {}}), alice.id);
  EXPECT_EQ(rule_for({"subscriber", "alicia@example.com", {}}), any.id);
  EXPECT_EQ(rule_for({"subscriber", "bob@example.com", {}}), bob_at.id);
  EXPECT_EQ(rule_for({"subscriber", "bob@EXAMPLE.com", {}}), bob_at.id) << "domains compare without case";
  EXPECT_EQ(rule_for({"subscriber", "bob@other.org", {}}), any.id) << "user@domain matches exactly";
  EXPECT_EQ(rule_for({"subscriber", "bob", {}}), any.id);
  EXPECT_EQ(rule_for({"port", "7", {"gsm", "isdn"}}), isdn.id) << "a port in group isdn";
  EXPECT_EQ(rule_for({"port", "3", {}}), port3.id);
  EXPECT_EQ(rule_for({"port", "3", {"isdn"}}), isdn.id) << "order decides, not specificity";
  EXPECT_EQ(rule_for({"port", "8", {"gsm"}}), any_group.id);
  EXPECT_EQ(rule_for({"port", "8", {}}), any_port.id);
  EXPECT_EQ(rule_for({"any", "", {}}), any.id) << "an unknown source only meets `any` rules";
  EXPECT_EQ(rule_for({"account", "isdn", {}}), any.id) << "an account named like a group is no group";
}

TEST_F(DialplanTest, SourceValidation) {
  struct Case {
    std::string kind, id, field;
  };
  for (const Case& c : std::vector<Case>{{"trunk", "", "src_kind"},
                                         {"any", "x", "src_id"},
                                         {"port", "x1", "src_id"},
                                         {"port", "1234567890", "src_id"},
                                         {"account", "a b", "src_id"},
                                         {"subscriber", "@example.com", "src_id"},
                                         {"subscriber", "a@b@c", "src_id"},
                                         {"account", std::string(129, 'a'), "src_id"}}) {
    auto e = refusal([&] { dp_->add(make_rule(c.kind, c.id, "", "", "user", "x")); });
    EXPECT_EQ(e.code(), 400) << c.kind << ":" << c.id;
    EXPECT_EQ(e.field(), c.field) << c.kind << ":" << c.id << " → " << e.what();
  }
  for (const Case& c : std::vector<Case>{{"trunk", "x", "target_kind"},
                                         {"user", "", "target_id"},
                                         {"group", "a\tb", "target_id"}}) {
    auto e = refusal([&] { dp_->add(make_rule("any", "", "", "", c.kind, c.id)); });
    EXPECT_EQ(e.field(), c.field) << c.kind << ":" << c.id << " → " << e.what();
  }
  EXPECT_TRUE(table().empty()) << "nothing refused was stored";
}

TEST_F(DialplanTest, OptionsValidation) {
  EXPECT_EQ(parse_dialplan_options(""), json::object());
  EXPECT_EQ(parse_dialplan_options(R"({"failover_causes":[486,503],"timeout_s":30,"clir":true,"enabled":true})")
                .dump(),
            R"({"failover_causes":[486,503],"timeout_s":30,"clir":true,"enabled":true})");
  struct Case {
    std::string text, needle;
  };
  for (const Case& c : std::vector<Case>{{R"({"colour":"red"})", "unknown key 'colour'"},
                                         {R"([1,2])", "JSON object"},
                                         {R"({"clir":)", "not valid JSON"},
                                         {R"({"failover_causes":486})", "array"},
                                         {R"({"failover_causes":[200]})", "200"},
                                         {R"({"failover_causes":[700]})", "700"},
                                         {R"({"failover_causes":["486"]})", "\"486\""},
                                         {R"({"timeout_s":0})", "1..600"},
                                         {R"({"timeout_s":601})", "1..600"},
                                         {R"({"timeout_s":1.5})", "1..600"},
                                         {R"({"clir":"yes"})", "clir"},
                                         {R"({"enabled":1})", "enabled"}}) {
    auto e = refusal([&] { parse_dialplan_options(c.text); });
    EXPECT_EQ(e.code(), 400) << c.text;
    EXPECT_EQ(e.field(), "options") << c.text;
    EXPECT_NE(e.why().find(c.needle), std::string::npos) << c.text << " → " << e.why();
  }
  EXPECT_EQ(refusal([] { parse_dialplan_options(std::string(1025, ' ')); }).field(), "options");

  DialplanRule r = make_rule("any", "", "", "", "account", "a");
  r.options = json{{"bogus", 1}};
  EXPECT_EQ(refusal([&] { dp_->add(r); }).field(), "options") << "add() checks options given as an object too";

  // A disabled rule is skipped; the options come with the translation.
  r.options = json{{"enabled", false}};
  auto off = dp_->add(r);
  DialplanRule on = make_rule("any", "", "", "", "account", "b");
  on.options = json{{"failover_causes", {486, 503}}, {"timeout_s", 20}, {"clir", true}};
  dp_->add(on);
  auto t = dp_->translate(kTrunk, "1", "");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->target_id, "b");
  EXPECT_EQ(t->index, 1u) << "index counts the disabled rule: it is in the active set";
  EXPECT_EQ(t->options, on.options);
  EXPECT_EQ(dp_->rules()->rules[0].rule.id, off.id);
  EXPECT_FALSE(dp_->rules()->rules[0].enabled);
}

TEST_F(DialplanTest, BadRegexesAndGroupReferencesAreRefused) {
  auto kept = dp_->add(make_rule("any", "", "^1", "", "user", "kept"));
  struct Case {
    std::string dest_match, dest_rewrite, src_match, src_rewrite, field, needle;
  };
  for (const Case& c : std::vector<Case>{
           {"(", "", "", "", "dest_match", "does not compile"},
           {"[0-", "", "", "", "dest_match", "does not compile"},
           {"", "", "a{2,1}", "", "src_match", "does not compile"},
           {R"((\d)(\d))", R"(\3)", "", "", "dest_rewrite", "references \\3 but dest_match has 2 groups"},
           {R"((\d)(\d))", R"(\2\1)", "", R"(\1)", "src_rewrite", "references \\1 but src_match has 0 groups"},
           {"", R"(abc\)", "", "", "dest_rewrite", "lone backslash"},
           {"", R"(\n)", "", "", "dest_rewrite", "neither a back-reference"},
           {"a\nb", "", "", "", "dest_match", "control character"},
           {R"((\d)\1)", "", "", "", "dest_match", "back-references"}}) {
    DialplanRule r = make_rule("any", "", c.dest_match, c.dest_rewrite, "user", "x");
    r.src_match = c.src_match;
    r.src_rewrite = c.src_rewrite;
    auto e = refusal([&] { dp_->add(r); });
    EXPECT_EQ(e.code(), 400) << c.field;
    EXPECT_EQ(e.field(), c.field) << e.what();
    EXPECT_NE(e.why().find(c.needle), std::string::npos) << e.why();
    // The same through update(): refused, nothing changes.
    DialplanRulePatch p{.dest_match = c.dest_match, .dest_rewrite = c.dest_rewrite, .src_match = c.src_match,
                        .src_rewrite = c.src_rewrite};
    EXPECT_EQ(refusal([&] { dp_->update(kept.id, p); }).field(), c.field);
  }
  ASSERT_EQ(dp_->rules()->rules.size(), 1u);
  EXPECT_EQ(dp_->rules()->rules[0].rule.dest_match, "^1");
  EXPECT_EQ(table().size(), 1u);
  auto st = db_->prepare("SELECT dest_match FROM dp_rule");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.text(0), "^1") << "the refused updates wrote nothing";
}

TEST_F(DialplanTest, Limits) {
  dp_->add(make_rule("any", "", "", "", "user", "x"));
  std::string n128(128, '1'), n129(129, '1');
  EXPECT_TRUE(dp_->translate(kTrunk, n128, n128));
  EXPECT_FALSE(dp_->translate(kTrunk, n129, "")) << "a called number over 128 bytes never matches";
  EXPECT_FALSE(dp_->translate(kTrunk, "1", n129)) << "nor a caller over 128 bytes";

  EXPECT_EQ(refusal([&] { dp_->add(make_rule("any", "", std::string(257, 'a'), "", "user", "x")); }).field(),
            "dest_match");
  EXPECT_EQ(refusal([&] { dp_->add(make_rule("any", "", std::string(256, 'a'), "", "user", "x")); }).code(), 0)
      << "256 bytes is allowed";
  EXPECT_EQ(refusal([&] { dp_->add(make_rule("any", "", "", std::string(257, 'a'), "user", "x")); }).field(),
            "dest_rewrite");
  EXPECT_EQ(refusal([&] { dp_->add(make_rule("any", "", "", "", "user", std::string(129, 'x'))); }).field(),
            "target_id");
  DialplanRule commented = make_rule("any", "", "", "", "user", "x");
  commented.comment = std::string(257, 'c');
  EXPECT_EQ(refusal([&] { dp_->add(commented); }).field(), "comment");

  // A rule whose rewritten number would exceed 128 bytes is passed over.
  dp_->add(make_rule("any", "", "^(.*)$", R"(\1\1)", "user", "doubled"), 1);
  std::string n64(64, '2'), n65(65, '2');
  EXPECT_EQ(dp_->translate(kTrunk, n64, "")->target_id, "doubled");
  EXPECT_EQ(dp_->translate(kTrunk, n65, "")->target_id, "x");
}

TEST_F(DialplanTest, NoCatastrophicBacktracking) {
  // A backtracking matcher needs 2^n steps for these on n 'a's (minutes for 30); the
  // polynomial executor answers at once, so a careless rule cannot stall the engine thread.
  dp_->add(make_rule("any", "", "(a*)*b", "", "user", "x"));
  dp_->add(make_rule("any", "", "", "", "user", "y"), std::nullopt);
  DialplanRule nested = make_rule("any", "", "", "", "user", "z");
  nested.src_match = "^(a|aa)+$x";
  dp_->add(nested, 1);
  auto started = std::chrono::steady_clock::now();
  auto t = dp_->translate(kTrunk, std::string(128, 'a'), std::string(128, 'a'));
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(t);
  EXPECT_EQ(t->target_id, "y");
  EXPECT_LT(took, std::chrono::seconds(1));
}

TEST_F(DialplanTest, AtMost1000Rules) {
  {
    Transaction tx(*db_);
    auto st = db_->prepare(
        "INSERT INTO dp_rule (position, src_kind, src_id, dest_match, dest_rewrite, src_match, src_rewrite, "
        "target_kind, target_id, options, comment) VALUES (?, 'any', '', '^1', '', '', '', 'user', 'x', '{}', '')");
    for (std::int64_t i = 1; i <= 1000; ++i) st.bind(1, i).run();
    tx.commit();
  }
  EXPECT_EQ(dp_->reload(), 1000u);
  auto e = refusal([&] { dp_->add(make_rule("any", "", "", "", "user", "y")); });
  EXPECT_EQ(e.code(), 400);
  EXPECT_NE(std::string(e.what()).find("1000"), std::string::npos) << e.what();
  EXPECT_EQ(table().size(), 1000u);
}

TEST_F(DialplanTest, FailoverContinuesFromTheNextIndex) {
  auto r1 = dp_->add(make_rule("any", "", "^0", "", "account", "first"));
  DialplanRule skipped = make_rule("any", "", "^0", "", "account", "disabled");
  skipped.options = json{{"enabled", false}};
  dp_->add(skipped);
  dp_->add(make_rule("any", "", "^1", "", "account", "other-number"));
  auto r4 = dp_->add(make_rule("account", "trunk1", "^0(.*)", R"(\1)", "account", "second"));
  auto t = dp_->translate(kTrunk, "0123", "");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->rule_id, r1.id);
  t = dp_->translate(kTrunk, "0123", "", t->index + 1);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->rule_id, r4.id);
  EXPECT_EQ(t->index, 3u);
  EXPECT_EQ(t->called, "123") << "each rule rewrites the original numbers";
  EXPECT_FALSE(dp_->translate(kTrunk, "0123", "", t->index + 1));
  EXPECT_FALSE(dp_->translate(kTrunk, "0123", "", 100)) << "from_index past the end";
}

TEST_F(DialplanTest, EditsKeepPositionsDense) {
  auto a = dp_->add(make_rule("any", "", "a", "", "user", "a"));
  auto b = dp_->add(make_rule("any", "", "b", "", "user", "b"));
  auto c = dp_->add(make_rule("any", "", "c", "", "user", "c"), 1);
  EXPECT_EQ(c.position, 1);
  EXPECT_EQ(active_ids(), (std::vector<std::int64_t>{c.id, a.id, b.id}));
  EXPECT_EQ(table(), (std::vector<std::pair<std::int64_t, std::int64_t>>{{c.id, 1}, {a.id, 2}, {b.id, 3}}));
  auto d = dp_->add(make_rule("any", "", "d", "", "user", "d"), 4);
  EXPECT_EQ(d.position, 4);

  EXPECT_EQ(dp_->move(d.id, 2).position, 2);
  EXPECT_EQ(active_ids(), (std::vector<std::int64_t>{c.id, d.id, a.id, b.id}));
  dp_->remove(a.id);
  EXPECT_EQ(table(), (std::vector<std::pair<std::int64_t, std::int64_t>>{{c.id, 1}, {d.id, 2}, {b.id, 3}}));
  EXPECT_EQ(dp_->rules()->rules[2].rule.position, 3);
  // Ids are never reused (CDRs refer to them), not even the highest one after its removal.
  auto e = dp_->add(make_rule("any", "", "e", "", "user", "e"));
  dp_->remove(e.id);
  EXPECT_GT(dp_->add(make_rule("any", "", "f", "", "user", "f")).id, e.id);
  dp_->remove(dp_->rules()->rules.back().rule.id);

  // update() changes only the given fields.
  DialplanRulePatch p;
  p.comment = "night service";
  p.target_id = "${dest}";
  auto u = dp_->update(b.id, p);
  EXPECT_EQ(u.comment, "night service");
  EXPECT_EQ(u.target_id, "${dest}");
  EXPECT_EQ(u.target_kind, "user");
  EXPECT_EQ(u.dest_match, "b");
  EXPECT_EQ(u.position, 3);

  // Refusals: unknown ids, positions out of range; nothing changes.
  auto before = table();
  EXPECT_EQ(refusal([&] { dp_->remove(9999); }).code(), 404);
  EXPECT_EQ(refusal([&] { dp_->move(9999, 1); }).code(), 404);
  EXPECT_EQ(refusal([&] { dp_->update(9999, p); }).code(), 404);
  EXPECT_EQ(refusal([&] { dp_->move(b.id, 0); }).field(), "position");
  EXPECT_EQ(refusal([&] { dp_->move(b.id, 4); }).field(), "position");
  EXPECT_EQ(refusal([&] { dp_->add(make_rule("any", "", "", "", "user", "x"), 5); }).field(), "position");
  EXPECT_EQ(refusal([&] { dp_->add(make_rule("any", "", "", "", "user", "x"), 0); }).field(), "position");
  EXPECT_EQ(table(), before);
  EXPECT_EQ(dp_->rules()->rules.size(), 3u);
}

TEST_F(DialplanTest, ReloadKeepsTheOldSetOnACorruptRow) {
  auto a = dp_->add(make_rule("any", "", "^1", "", "user", "a"));
  auto b = dp_->add(make_rule("any", "", "^2", "", "user", "b"));
  db_->exec("UPDATE dp_rule SET dest_match = '(' WHERE id = " + std::to_string(b.id));
  auto e = refusal([&] { dp_->reload(); });
  EXPECT_EQ(e.code(), 400);
  std::string named = "rule id " + std::to_string(b.id) + " at position 2: dest_match";
  EXPECT_NE(std::string(e.what()).find(named), std::string::npos) << e.what();
  ASSERT_EQ(dp_->rules()->rules.size(), 2u) << "the old set stays active";
  EXPECT_EQ(dp_->rules()->rules[1].rule.dest_match, "^2");
  EXPECT_EQ(dp_->translate(kTrunk, "2", "")->target_id, "b");
  EXPECT_EQ(stat_value(stats_, "dialplan:reload_errors"), 1);

  // An edit cannot publish a set with the bad row either; fixing the row is accepted.
  e = refusal([&] { dp_->add(make_rule("any", "", "", "", "user", "c")); });
  EXPECT_NE(std::string(e.what()).find(named), std::string::npos) << e.what();
  EXPECT_EQ(table().size(), 2u) << "the refused add was rolled back";
  dp_->update(b.id, DialplanRulePatch{.dest_match = std::string("^3")});
  EXPECT_EQ(dp_->translate(kTrunk, "3", "")->target_id, "b");

  // Corrupt options JSON and a gap in the positions.
  db_->exec("UPDATE dp_rule SET options = '{oops' WHERE id = " + std::to_string(a.id));
  e = refusal([&] { dp_->reload(); });
  EXPECT_NE(std::string(e.what()).find("rule id " + std::to_string(a.id) + " at position 1: options"),
            std::string::npos)
      << e.what();
  e = refusal([&] { dp_->update(a.id, DialplanRulePatch{.comment = std::string("x")}); });
  EXPECT_EQ(e.code(), 400) << "keeping corrupt options is refused";
  dp_->update(a.id, DialplanRulePatch{.options = json{{"clir", true}}});
  db_->exec("UPDATE dp_rule SET position = 7 WHERE id = " + std::to_string(b.id));
  EXPECT_EQ(dp_->reload(), 2u);
  EXPECT_EQ(table(), (std::vector<std::pair<std::int64_t, std::int64_t>>{{a.id, 1}, {b.id, 2}}))
      << "reload renumbers gaps";
  EXPECT_EQ(dp_->rules()->rules[0].rule.options, (json{{"clir", true}}));
}

TEST_F(DialplanTest, RulesPersistAcrossANewDialplan) {
  DialplanRule r = make_rule("subscriber", "alice", R"(^0(\d+))", R"(49\1)", "account", "trunk1");
  r.src_match = "^(.*)$";
  r.src_rewrite = R"(+\1)";
  r.options = json{{"failover_causes", {486}}, {"timeout_s", 45}};
  r.comment = "national to trunk";
  auto stored = dp_->add(r);
  auto second = dp_->add(make_rule("any", "", "", "", "group", "isdn"), 1);

  auto db2 = open();
  mi::Statistics stats2;
  Dialplan again(*db2, stats2);
  EXPECT_EQ(again.rules()->rules.size(), 0u) << "nothing active before the load";
  EXPECT_EQ(again.reload(), 2u);
  const auto& rules = again.rules()->rules;
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].rule.id, second.id);
  EXPECT_EQ(dialplan_rule_value(rules[1].rule), dialplan_rule_value(dp_->rules()->rules[1].rule));
  EXPECT_EQ(rules[1].rule.id, stored.id);
  EXPECT_EQ(rules[1].rule.position, 2);
  EXPECT_EQ(rules[1].rule.options, r.options);
  EXPECT_EQ(rules[1].rule.comment, "national to trunk");
  auto t = again.translate({"subscriber", "alice@example.com", {}}, "030", "123", 1);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->called, "4930");
  EXPECT_EQ(t->caller, "+123");
}

TEST_F(DialplanTest, SnapshotsAreImmutableWhileEdited) {
  auto a = dp_->add(make_rule("any", "", "^1", "", "user", "a"));
  auto held = dp_->rules();
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0}, reads{0};
  std::thread reader([&] {
    while (!stop.load()) {
      auto s = dp_->rules();
      for (std::size_t i = 0; i < s->rules.size(); ++i)
        if (s->rules[i].rule.position != static_cast<std::int64_t>(i + 1)) bad.fetch_add(1);
      if (!dp_->translate(kTrunk, "1", "")) bad.fetch_add(1);  // rule a stays first throughout
      reads.fetch_add(1);
    }
  });
  // The reader is running before the edits begin (on a busy machine it may start late).
  ASSERT_TRUE(sb::test::wait_until([&] { return reads.load() > 0; }, std::chrono::seconds(10))) << [&] {
    stop = true;
    reader.join();
    return "the reader never ran";
  }();
  for (int i = 0; i < 50; ++i) {
    auto r = dp_->add(make_rule("any", "", "^2", "", "user", "b"));
    if (i % 2) dp_->remove(r.id);
  }
  stop = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(reads.load(), 0);
  ASSERT_EQ(held->rules.size(), 1u) << "a snapshot never changes once published";
  EXPECT_EQ(held->rules[0].rule.id, a.id);
  EXPECT_EQ(dp_->rules()->rules.size(), 26u);
}

TEST_F(DialplanTest, Statistics) {
  EXPECT_EQ(stat_value(stats_, "dialplan:reloads"), 1) << "SetUp loaded once";
  dp_->add(make_rule("any", "", "^1", "", "user", "a"));
  dp_->add(make_rule("any", "", "^2", "", "user", "b"));
  EXPECT_EQ(stat_value(stats_, "dialplan:rules"), 2);
  dp_->translate(kTrunk, "1", "");
  dp_->translate(kTrunk, "2", "");
  dp_->translate(kTrunk, "3", "");
  EXPECT_EQ(stat_value(stats_, "dialplan:translations"), 2);
  EXPECT_EQ(stat_value(stats_, "dialplan:no_match"), 1);
  dp_->reload();
  EXPECT_EQ(stat_value(stats_, "dialplan:reloads"), 2);
  EXPECT_EQ(stat_value(stats_, "dialplan:reload_errors"), 0);
}

}  // namespace
}  // namespace sb::gateway
