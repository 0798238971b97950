// usrloc_test.cpp: gateway/usrloc/usrloc.h with a real SQLite file — put/find/replace/remove,
// contact ids, expiry (memory and database), permanent contacts, load() of a second instance,
// sync(), clear(), the `usrloc:` statistics, and normalize_aor().
// Threading: single-threaded (usrloc is engine-thread only); each test has its own temp dir.
#include "gateway/usrloc/usrloc.h"

#include <cstdint>
#include <limits>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/store/database.h"
#include "mi/statistics.h"
#include "support/contacts.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace sb::gateway {
namespace {

using test::TempDir;

constexpr std::int64_t kNow = 1'700'000'000;

std::int64_t stat_value(const mi::Statistics& stats, const std::string& name) {
  auto found = stats.match({name});
  EXPECT_EQ(found.size(), 1u) << name;
  return found.empty() ? -1 : found.front()->get();
}

Contact contact(const std::string& uri, std::int64_t expires) {
  Contact c;
  c.uri = uri;
  c.expires = expires;
  c.callid = "call-" + uri;
  c.cseq = 1;
  return c;
}

std::set<std::string> uris(const std::optional<std::vector<Contact>>& list) {
  std::set<std::string> out;
  if (list)
    for (const auto& c : *list) out.insert(c.uri);
  return out;
}

std::int64_t rows(Database& db, const std::string& where = "1") {
  auto st = db.prepare("SELECT count(*) FROM location WHERE " + where);
  EXPECT_TRUE(st.step());
  return st.integer(0);
}

class UsrlocTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = open();
    ul_ = std::make_unique<Usrloc>(db_.get(), stats_);
  }
  std::unique_ptr<Database> open() {
    auto db = std::make_unique<Database>(DatabaseOptions{tmp_ / "sb.db"});
    db->migrate();
    return db;
  }
  /// A second connection and a fresh Usrloc loaded from the file at `now`: what a restart sees.
  struct Reloaded {
    std::unique_ptr<Database> db;
    mi::Statistics stats;
    std::unique_ptr<Usrloc> ul;
    std::size_t loaded = 0;
  };
  std::unique_ptr<Reloaded> reload(std::int64_t now) {
    auto r = std::make_unique<Reloaded>();
    r->db = open();
    r->ul = std::make_unique<Usrloc>(r->db.get(), r->stats);
    r->loaded = r->ul->load(now);
    return r;
  }

  TempDir tmp_;
  mi::Statistics stats_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Usrloc> ul_;
};

TEST_F(UsrlocTest, PutFindReplaceRemove) {
  EXPECT_FALSE(ul_->find("alice@example.com"));
  ul_->put("alice@example.com", {contact("sip:alice@192.0.2.1:5060", kNow + 100),
                                 contact("sip:alice@192.0.2.2:5060", kNow + 200)});
  auto list = ul_->find("alice@example.com");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_NE((*list)[0].id, 0u);
  EXPECT_NE((*list)[1].id, 0u);
  EXPECT_NE((*list)[0].id, (*list)[1].id);
  EXPECT_EQ((*list)[0].aor, "alice@example.com") << "put() sets the aor of each contact";
  EXPECT_EQ(ul_->aor_count(), 1u);
  EXPECT_EQ(ul_->contact_count(), 2u);
  EXPECT_EQ(rows(*db_), 2) << "written through";

  // Replace: the list given is the whole new list; an id kept stays.
  std::vector<Contact> next = *list;
  next.erase(next.begin());
  std::uint64_t kept_id = next[0].id;
  next.push_back(contact("sip:alice@192.0.2.3:5060", kNow + 300));
  ul_->put("alice@example.com", next);
  list = ul_->find("alice@example.com");
  ASSERT_TRUE(list);
  EXPECT_EQ(uris(list), (std::set<std::string>{"sip:alice@192.0.2.2:5060", "sip:alice@192.0.2.3:5060"}));
  EXPECT_EQ((*list)[0].id, kept_id);
  EXPECT_GT((*list)[1].id, kept_id) << "a new contact gets a new id";
  EXPECT_EQ(ul_->contact_count(), 2u);
  EXPECT_EQ(rows(*db_), 2);
  EXPECT_EQ(rows(*db_, "contact = 'sip:alice@192.0.2.1:5060'"), 0);

  ul_->put("bob@example.com", {contact("sip:bob@192.0.2.9", kNow + 100)});
  EXPECT_EQ(ul_->aor_count(), 2u);
  EXPECT_EQ(ul_->contact_count(), 3u);
  EXPECT_EQ(ul_->aor_count(), 2u);

  // Remove: an empty list.
  ul_->put("alice@example.com", {});
  EXPECT_FALSE(ul_->find("alice@example.com"));
  EXPECT_EQ(ul_->aor_count(), 1u);
  EXPECT_EQ(ul_->contact_count(), 1u);
  EXPECT_EQ(rows(*db_), 1);
  EXPECT_EQ(rows(*db_, "aor = 'alice@example.com'"), 0);
  // Removing an AOR that has nothing is harmless.
  ul_->put("nobody@example.com", {});
  EXPECT_EQ(ul_->aor_count(), 1u);
}

TEST_F(UsrlocTest, EveryFieldSurvivesARestart) {
  Contact c = test::every_field_contact(kNow);
  ul_->put("alice@example.com", {c, contact("sip:alice@perm", 0)});
  c.aor = "alice@example.com";
  c.id = ul_->find("alice@example.com")->at(0).id;
  EXPECT_EQ(test::contact_fields(ul_->find("alice@example.com")->at(0)), test::contact_fields(c)) << "in memory";

  auto r = reload(kNow);
  EXPECT_EQ(r->loaded, 2u);
  auto list = r->ul->find("alice@example.com");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ(test::contact_fields(list->at(0)), test::contact_fields(c)) << "after a restart";
  EXPECT_EQ(list->at(1).expires, 0);
  EXPECT_EQ(list->at(1).q, -1);
  EXPECT_EQ(list->at(1).methods, 0xFFFFFFFFu) << "the default methods mask round-trips";
  EXPECT_EQ(r->ul->aor_count(), 1u);
  EXPECT_EQ(r->ul->contact_count(), 2u);
}

TEST_F(UsrlocTest, IdsAreNotReusedAfterARestart) {
  ul_->put("a@x", {contact("sip:a@1", kNow + 100), contact("sip:a@2", kNow + 100)});
  std::uint64_t max_id = 0;
  auto before = ul_->find("a@x");
  for (const auto& c : *before) max_id = std::max(max_id, c.id);
  auto r = reload(kNow);
  r->ul->put("b@x", {contact("sip:b@1", kNow + 100)});
  EXPECT_GT(r->ul->find("b@x")->at(0).id, max_id);
}

TEST_F(UsrlocTest, ExpireRemovesOnlyExpiredBindingsFromMemoryAndDatabase) {
  ul_->put("alice@example.com", {contact("sip:a-soon", kNow + 10), contact("sip:a-late", kNow + 100),
                                 contact("sip:a-perm", 0)});
  ul_->put("bob@example.com", {contact("sip:b-soon", kNow + 10)});
  ul_->put("carol@example.com", {contact("sip:c-perm", 0)});
  EXPECT_EQ(ul_->expire(kNow), 0u);
  EXPECT_EQ(ul_->expire(kNow + 9), 0u);
  EXPECT_EQ(ul_->contact_count(), 5u);

  EXPECT_EQ(ul_->expire(kNow + 10), 2u) << "expires <= now is expired";
  EXPECT_EQ(uris(ul_->find("alice@example.com")), (std::set<std::string>{"sip:a-late", "sip:a-perm"}));
  EXPECT_FALSE(ul_->find("bob@example.com")) << "an AOR left without contacts is removed";
  EXPECT_EQ(ul_->aor_count(), 2u);
  EXPECT_EQ(ul_->contact_count(), 3u);
  EXPECT_EQ(rows(*db_), 3);

  {
    // A restart (at a time before the late one expires) sees only the survivors.
    auto r = reload(kNow + 10);
    EXPECT_EQ(r->loaded, 3u);
    EXPECT_EQ(uris(r->ul->find("alice@example.com")), (std::set<std::string>{"sip:a-late", "sip:a-perm"}));
    EXPECT_FALSE(r->ul->find("bob@example.com"));
    EXPECT_EQ(uris(r->ul->find("carol@example.com")), (std::set<std::string>{"sip:c-perm"}));
  }

  // Permanent contacts never expire, however late it is.
  EXPECT_EQ(ul_->expire(std::numeric_limits<std::int64_t>::max()), 1u);
  EXPECT_EQ(uris(ul_->find("alice@example.com")), (std::set<std::string>{"sip:a-perm"}));
  EXPECT_EQ(uris(ul_->find("carol@example.com")), (std::set<std::string>{"sip:c-perm"}));
  EXPECT_EQ(rows(*db_), 2);
  EXPECT_EQ(ul_->expire(std::numeric_limits<std::int64_t>::max()), 0u);
}

TEST_F(UsrlocTest, RefreshMovesTheExpiry) {
  ul_->put("a@x", {contact("sip:a", kNow + 10)});
  Contact c = ul_->find("a@x")->at(0);
  c.expires = kNow + 1000;  // a re-REGISTER of the same contact
  ul_->put("a@x", {c});
  EXPECT_EQ(ul_->expire(kNow + 500), 0u) << "the old expiry must be forgotten";
  ASSERT_TRUE(ul_->find("a@x"));
  c.expires = 0;  // now permanent
  ul_->put("a@x", {c});
  EXPECT_EQ(ul_->expire(kNow + 5000), 0u);
  ASSERT_TRUE(ul_->find("a@x"));
}

TEST_F(UsrlocTest, LoadDropsExpiredRows) {
  ul_->put("a@x", {contact("sip:a-old", kNow + 10), contact("sip:a-new", kNow + 100)});
  ul_->put("b@x", {contact("sip:b-old", kNow + 10)});
  {
    auto r = reload(kNow + 50);
    EXPECT_EQ(r->loaded, 1u);
    EXPECT_EQ(uris(r->ul->find("a@x")), (std::set<std::string>{"sip:a-new"}));
    EXPECT_FALSE(r->ul->find("b@x"));
    EXPECT_EQ(r->ul->contact_count(), 1u);
    EXPECT_EQ(r->ul->aor_count(), 1u);
  }
  EXPECT_EQ(rows(*db_), 1) << "the expired rows are deleted from the database at load";
  // Loaded at an earlier time, they do not come back.
  auto r = reload(kNow);
  EXPECT_EQ(r->loaded, 1u);
}

TEST_F(UsrlocTest, SyncRewritesTheDatabaseFromMemory) {
  ul_->put("a@x", {contact("sip:a1", kNow + 100), contact("sip:a2", 0)});
  ul_->put("b@x", {contact("sip:b1", kNow + 100)});
  EXPECT_FALSE(ul_->sync("unknown@x"));
  db_->exec("DELETE FROM location");
  EXPECT_TRUE(ul_->sync("a@x"));
  EXPECT_EQ(rows(*db_), 2);
  EXPECT_EQ(rows(*db_, "aor = 'b@x'"), 0) << "only the AOR asked for";
  db_->exec("UPDATE location SET contact = contact || ';garbage'");
  db_->exec("INSERT INTO location SELECT contact_id + 100, 'stale@x', contact, expires, q, callid, cseq, "
            "user_agent, received, path, socket, methods, flags, cflags, instance, last_modified FROM location");
  EXPECT_TRUE(ul_->sync(""));
  EXPECT_EQ(rows(*db_), 3) << "sync of everything drops rows of AORs not in memory";
  EXPECT_EQ(rows(*db_, "contact LIKE '%garbage'"), 0);
  auto r = reload(kNow);
  EXPECT_EQ(r->loaded, 3u);
}

TEST_F(UsrlocTest, ClearRemovesEverything) {
  ul_->put("a@x", {contact("sip:a1", kNow + 100), contact("sip:a2", 0)});
  ul_->put("b@x", {contact("sip:b1", kNow + 100)});
  ul_->clear();
  EXPECT_EQ(ul_->aor_count(), 0u);
  EXPECT_EQ(ul_->contact_count(), 0u);
  EXPECT_EQ(ul_->aor_count(), 0u);
  EXPECT_EQ(rows(*db_), 0);
  EXPECT_EQ(ul_->expire(kNow + 1000), 0u) << "nothing left to expire";
  EXPECT_EQ(stat_value(stats_, "usrloc:registered_users"), 0);
  EXPECT_EQ(stat_value(stats_, "usrloc:location-contacts"), 0);
}

TEST_F(UsrlocTest, AFailedWriteLeavesMemoryUnchanged) {
  ul_->put("a@x", {contact("sip:a1", kNow + 100)});
  db_->exec("DROP TABLE location");
  EXPECT_THROW(ul_->put("a@x", {contact("sip:a2", kNow + 100)}), StoreError);
  EXPECT_EQ(uris(ul_->find("a@x")), (std::set<std::string>{"sip:a1"}));
  EXPECT_THROW(ul_->put("b@x", {contact("sip:b1", kNow + 100)}), StoreError);
  EXPECT_FALSE(ul_->find("b@x"));
  EXPECT_EQ(ul_->contact_count(), 1u);
  EXPECT_EQ(stat_value(stats_, "usrloc:location-contacts"), 1);
}

TEST_F(UsrlocTest, Statistics) {
  EXPECT_EQ(stat_value(stats_, "usrloc:registered_users"), 0);
  EXPECT_EQ(stat_value(stats_, "usrloc:location-users"), 0);
  EXPECT_EQ(stat_value(stats_, "usrloc:location-contacts"), 0);
  EXPECT_EQ(stat_value(stats_, "usrloc:location-expires"), 0);

  ul_->put("a@x", {contact("sip:a1", kNow + 10), contact("sip:a2", kNow + 20)});
  ul_->put("b@x", {contact("sip:b1", kNow + 10)});
  ul_->put("c@x", {contact("sip:c1", 0)});
  EXPECT_EQ(stat_value(stats_, "usrloc:registered_users"), 3);
  EXPECT_EQ(stat_value(stats_, "usrloc:location-users"), 3);
  EXPECT_EQ(stat_value(stats_, "usrloc:location-contacts"), 4);

  ul_->expire(kNow + 10);
  EXPECT_EQ(stat_value(stats_, "usrloc:registered_users"), 2);
  EXPECT_EQ(stat_value(stats_, "usrloc:location-contacts"), 2);
  EXPECT_EQ(stat_value(stats_, "usrloc:location-expires"), 2);
  ul_->expire(kNow + 20);
  EXPECT_EQ(stat_value(stats_, "usrloc:registered_users"), 1);
  EXPECT_EQ(stat_value(stats_, "usrloc:location-contacts"), 1);
  EXPECT_EQ(stat_value(stats_, "usrloc:location-expires"), 3);
  // Removals by put() are not expiries.
  ul_->put("c@x", {});
  EXPECT_EQ(stat_value(stats_, "usrloc:registered_users"), 0);
  EXPECT_EQ(stat_value(stats_, "usrloc:location-expires"), 3);

  // A restart: the gauges start from what was loaded.
  ul_->put("d@x", {contact("sip:d1", kNow + 100), contact("sip:d2", kNow + 100)});
  auto r = reload(kNow);
  EXPECT_EQ(stat_value(r->stats, "usrloc:registered_users"), 1);
  EXPECT_EQ(stat_value(r->stats, "usrloc:location-contacts"), 2);
  EXPECT_EQ(stat_value(r->stats, "usrloc:location-expires"), 0);

  // location-expires is a counter, the others are gauges (list_statistics shows the kind).
  EXPECT_EQ(stats_.match({"usrloc:location-expires"}).front()->kind(), mi::StatKind::counter);
  EXPECT_EQ(stats_.match({"usrloc:registered_users"}).front()->kind(), mi::StatKind::gauge);
  EXPECT_EQ(stats_.match({"usrloc:location-contacts"}).front()->kind(), mi::StatKind::gauge);
}

/// Group commit with the engine played by the test: the writer's reports are queued here and
/// run on the test thread (run_posted), as the engine runs them on its own.
class UsrlocGroupCommitTest : public UsrlocTest {
 protected:
  void enable(int busy_timeout_ms = 5000, std::size_t max_pending = 4096) {
    DatabaseOptions o{tmp_ / "sb.db"};
    o.busy_timeout_ms = busy_timeout_ms;
    Usrloc::GroupCommit tuning;
    tuning.max_pending = max_pending;
    ul_->enable_group_commit(o, tuning, [this](std::function<void()> job) {
      std::lock_guard lk(mu_);
      posted_.push_back(std::move(job));
    });
  }
  /// Waits (bounded) for at least one report, then runs every queued one.
  bool run_posted() {
    bool any = test::wait_until([this] {
      std::lock_guard lk(mu_);
      return !posted_.empty();
    });
    std::vector<std::function<void()>> jobs;
    {
      std::lock_guard lk(mu_);
      jobs.swap(posted_);
    }
    for (auto& j : jobs) j();
    return any;
  }
  std::mutex mu_;
  std::vector<std::function<void()>> posted_;
};

TEST_F(UsrlocGroupCommitTest, TheReplyWaitsForTheCommit) {
  enable();
  std::vector<bool> replies;
  ul_->when_durable([&](bool ok) { replies.push_back(ok); });
  EXPECT_EQ(replies, std::vector<bool>{true}) << "nothing staged: the reply goes at once";

  // Another connection holds the write lock (well within the writer's 5 s busy timeout), so
  // the commit cannot complete before when_durable() asks: the writer commits as soon as a
  // change is staged, and under a sanitizer it could otherwise win that race.
  auto other = open();
  other->exec("BEGIN IMMEDIATE");
  ul_->stage("a@x", {contact("sip:a1", kNow + 100)});
  EXPECT_EQ(uris(ul_->find("a@x")), (std::set<std::string>{"sip:a1"})) << "memory changes at once";
  ul_->when_durable([&](bool ok) { replies.push_back(ok); });
  EXPECT_EQ(replies.size(), 1u) << "the 200 must wait for the commit";
  EXPECT_EQ(ul_->pending_replies(), 1u);
  other->exec("ROLLBACK");
  ASSERT_TRUE(run_posted());
  EXPECT_EQ(replies, (std::vector<bool>{true, true}));
  EXPECT_EQ(ul_->pending_replies(), 0u);
  EXPECT_EQ(rows(*db_, "aor = 'a@x'"), 1) << "committed before the reply";
  EXPECT_EQ(stat_value(stats_, "usrloc:db_commits"), 1);
}

TEST_F(UsrlocGroupCommitTest, APutAfterStagedChangesLandsLast) {
  enable();
  ul_->stage("a@x", {contact("sip:staged", kNow + 100)});
  ul_->put("a@x", {contact("sip:put", kNow + 100)});  // a ul_* command: waits for the writer first
  auto again = reload(kNow);
  EXPECT_EQ(uris(again->ul->find("a@x")), (std::set<std::string>{"sip:put"}));
  run_posted();
}

TEST_F(UsrlocGroupCommitTest, AFailedCommitAnswersNotOkAndRestoresMemoryFromTheDatabase) {
  enable(50);
  ul_->stage("a@x", {contact("sip:a1", kNow + 100)});
  ASSERT_TRUE(run_posted());
  // Another connection holds the write lock longer than the writer's busy timeout.
  auto other = open();
  other->exec("BEGIN IMMEDIATE");
  ul_->stage("a@x", {contact("sip:a2", kNow + 100)});
  ul_->stage("b@x", {contact("sip:b1", kNow + 100)});
  std::vector<bool> replies;
  ul_->when_durable([&](bool ok) { replies.push_back(ok); });
  // One transaction or two (the writer may have started before b@x was staged): both fail.
  ASSERT_TRUE(test::wait_until([&] {
    run_posted();
    return ul_->pending_replies() == 0;
  }));
  other->exec("ROLLBACK");
  EXPECT_EQ(replies, std::vector<bool>{false});
  EXPECT_EQ(uris(ul_->find("a@x")), (std::set<std::string>{"sip:a1"})) << "what the database holds";
  EXPECT_FALSE(ul_->find("b@x"));
  EXPECT_EQ(ul_->contact_count(), 1u);
  EXPECT_EQ(stat_value(stats_, "usrloc:db_failed_changes"), 2);
  // The next change commits again.
  ul_->stage("b@x", {contact("sip:b2", kNow + 100)});
  ul_->when_durable([&](bool ok) { replies.push_back(ok); });
  ASSERT_TRUE(run_posted());
  EXPECT_EQ(replies, (std::vector<bool>{false, true}));
  EXPECT_EQ(rows(*db_, "aor = 'b@x'"), 1);
}

// A new AOR's rows are inserted without deleting first ("fresh"), but not while the change that
// removed the AOR may still fail: its rows would stay beside the new one the 200 announced.
TEST_F(UsrlocGroupCommitTest, ARegisterAfterARemovalThatFailsLeavesOnlyWhatItsReplySaid) {
  // One change per transaction (max_pending 1: the second stage() waits for the first's end).
  enable(300, 1);
  ul_->stage("a@x", {contact("sip:a1", kNow + 100)});
  ASSERT_TRUE(run_posted());
  auto other = open();
  other->exec("BEGIN IMMEDIATE");
  ul_->stage("a@x", {});  // unregistered: memory has no a@x now; this transaction will fail
  ul_->stage("a@x", {contact("sip:a2", kNow + 100)});  // returns once the removal failed
  other->exec("ROLLBACK");  // a2's transaction now gets the lock (it waits up to 300 ms)
  std::vector<bool> replies;
  ul_->when_durable([&](bool ok) { replies.push_back(ok); });
  ul_->flush_writes();
  ASSERT_TRUE(test::wait_until([&] {
    run_posted();
    return ul_->pending_replies() == 0;
  }));
  ASSERT_EQ(replies, std::vector<bool>{true});
  EXPECT_EQ(rows(*db_, "aor = 'a@x'"), 1) << "sip:a1 left behind beside what the 200 listed";
  EXPECT_EQ(uris(ul_->find("a@x")), (std::set<std::string>{"sip:a2"}));
}

TEST_F(UsrlocGroupCommitTest, FlushWritesWaitsForTheCommitOfWhatIsStaged) {
  enable();
  ul_->stage("a@x", {contact("sip:a1", kNow + 10), contact("sip:a2", kNow + 100)});
  EXPECT_EQ(ul_->expire(kNow + 10), 1u);
  ul_->flush_writes();  // ul_flush's "OK": the expired row is gone from the disk too
  EXPECT_EQ(rows(*db_), 1);
  EXPECT_EQ(rows(*db_, "contact = 'sip:a2'"), 1);
  run_posted();
}

TEST_F(UsrlocGroupCommitTest, ExpiryGoesThroughTheWriter) {
  enable();
  ul_->stage("a@x", {contact("sip:a1", kNow + 10), contact("sip:a2", kNow + 100)});
  EXPECT_EQ(ul_->expire(kNow + 10), 1u);
  ul_->stop_writer();
  run_posted();
  EXPECT_EQ(rows(*db_), 1);
  EXPECT_EQ(rows(*db_, "contact = 'sip:a2'"), 1);
}

TEST(UsrlocMemory, WorksWithoutADatabase) {
  mi::Statistics stats;
  Usrloc ul(nullptr, stats);
  EXPECT_EQ(ul.load(kNow), 0u);
  ul.put("a@x", {contact("sip:a1", kNow + 10), contact("sip:a2", 0)});
  EXPECT_EQ(ul.contact_count(), 2u);
  EXPECT_TRUE(ul.sync("a@x"));
  EXPECT_FALSE(ul.sync("b@x"));
  EXPECT_EQ(ul.expire(kNow + 10), 1u);
  EXPECT_EQ(uris(ul.find("a@x")), (std::set<std::string>{"sip:a2"}));
  ul.clear();
  EXPECT_EQ(ul.aor_count(), 0u);
}

TEST(UsrlocContactValue, ShapeOfOneContact) {
  Contact c = contact("sip:a@192.0.2.1", kNow + 30);
  c.id = 7;
  c.q = 500;
  mi::Value v = Usrloc::contact_value(c, kNow);
  EXPECT_EQ(v["Contact"].get<std::string>(), "sip:a@192.0.2.1");
  EXPECT_EQ(v["ContactID"].get<std::string>(), "7");
  EXPECT_EQ(v["Expires"].get<std::int64_t>(), 30);
  EXPECT_EQ(v["Q"].get<std::string>(), "0.5");
  c.expires = 0;
  EXPECT_EQ(Usrloc::contact_value(c, kNow)["Expires"].get<std::string>(), "permanent");
  c.expires = kNow;
  EXPECT_EQ(Usrloc::contact_value(c, kNow)["Expires"].get<std::string>(), "expired");
  c.q = -1;
  EXPECT_EQ(Usrloc::contact_value(c, kNow)["Q"].get<std::string>(), "");
}

TEST(NormalizeAor, Cases) {
  EXPECT_EQ(normalize_aor("alice@example.com"), "alice@example.com");
  EXPECT_EQ(normalize_aor("sip:alice@example.com"), "alice@example.com");
  EXPECT_EQ(normalize_aor("sips:alice@example.com"), "alice@example.com");
  EXPECT_EQ(normalize_aor("Alice@Example.COM"), "Alice@example.com") << "user case is kept";
  EXPECT_EQ(normalize_aor("sip:Alice@EXAMPLE.com:5060"), "Alice@example.com:5060");
  EXPECT_EQ(normalize_aor("a@b@Example.com"), "a@b@example.com") << "the last '@' starts the domain";
  EXPECT_EQ(normalize_aor("alice"), std::nullopt);
  EXPECT_EQ(normalize_aor("sip:alice"), std::nullopt);
  EXPECT_EQ(normalize_aor("@example.com"), std::nullopt);
  EXPECT_EQ(normalize_aor("alice@"), std::nullopt);
  EXPECT_EQ(normalize_aor(""), std::nullopt);
}

}  // namespace
}  // namespace sb::gateway
