// group_commit_test.cpp: the registrar's 200 waits for the usrloc writer's commit (issue #16) —
// a commit that fails answers 500 and leaves the binding as the database holds it, and a kill -9
// in the middle of a REGISTER flood loses no binding whose 200 went out.
#include <signal.h>

#include <chrono>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "sip/sip_test_util.h"

namespace sb::test::sip {
namespace {


/// Runs `sql` on the daemon's database from a connection of the test's own.
void exec_on(const TestDaemon& d, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(d.db_path().c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

/// Registers `user`@example.com at the peer's "first" contact; true when answered 200.
bool register_first(SipPeer& peer, const std::string& user) {
  auto r = make_register(user, "example.com", {"<" + peer.contact_uri("first") + ">"}, "300");
  auto a = peer.request(r, kReply);
  EXPECT_TRUE(a && a->status == 200) << (a ? a->raw : "no reply");
  return a && a->status == 200;
}

TEST(SipGroupCommit, AFailedCommitAnswers500AndKeepsWhatTheDatabaseHolds) {
  TestDaemon d;
  SipPeer peer(d.sip_port());
  const std::string user = test_user();
  ASSERT_TRUE(register_first(peer, user));

  // From now on every INSERT into location fails inside the writer's transaction.
  exec_on(d, "CREATE TRIGGER refuse BEFORE INSERT ON location BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
  auto r2 = make_register(user, "example.com", {"<" + peer.contact_uri("second") + ">"}, "300");
  auto a = peer.request(r2, kReply);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 500) << a->raw;
  EXPECT_EQ(a->reason, "Server Internal Error (database)");
  EXPECT_EQ(d.stat("usrloc:db_failed_changes"), 1);

  // Memory took back what the database holds: the first binding only.
  json cs = show_contacts(d, user + "@example.com");
  ASSERT_EQ(cs.size(), 1u) << cs.dump();
  EXPECT_EQ(cs[0]["Contact"], peer.contact_uri("first"));
  auto query = make_register(user, "example.com");
  a = peer.request(query, kReply);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 200) << a->raw;
  EXPECT_EQ(a->contacts().size(), 1u) << a->raw;

  exec_on(d, "DROP TRIGGER refuse");
  next_cseq(r2);
  a = peer.request(r2, kReply);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 200) << a->raw;
  EXPECT_EQ(a->contacts().size(), 2u) << a->raw;
  EXPECT_NE(d.log().find("could not be committed (answered 500): refused by the test"), std::string::npos) << d.log();
  EXPECT_EQ(d.stop(SIGTERM), 0) << d.log();
  expect_clean_log(d);
}

// Queries and retransmissions wait for the commit of what was staged before them, but their
// number is bounded by usrloc.max_pending_writes: a flood of them behind a slow disk gets 503 at
// once instead of holding every request in memory.
TEST(SipGroupCommit, RepliesWaitingForASlowCommitAreBounded) {
  TestDaemon d({"usrloc.max_pending_writes=4", "registrar.workers=1"});
  SipPeer peer(d.sip_port());
  const std::string user = test_user();
  ASSERT_TRUE(register_first(peer, user));

  // The disk is "slow": another connection holds the write lock, so the writer waits.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(d.db_path().c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto change = make_register(user, "example.com", {"<" + peer.contact_uri("second") + ">"}, "300");
  peer.send_raw(peer.build(change));
  constexpr int kQueries = 10;
  std::set<std::string> queries;
  for (int i = 0; i < kQueries; ++i) {
    auto q = make_register(user, "example.com");
    peer.send_raw(peer.build(q));
    queries.insert(q.call_id);
  }
  // The change and 3 queries fill the 4 places; the other 7 queries are refused at once.
  int refused = 0;
  while (refused < kQueries - 3) {
    auto m = peer.receive(kReply);
    ASSERT_TRUE(m) << refused << " refused so far";
    ASSERT_EQ(m->status, 503) << "nothing is committed yet\n" << m->raw;
    EXPECT_EQ(m->header("Retry-After"), "1") << m->raw;
    EXPECT_TRUE(queries.count(m->header("Call-ID"))) << "only queries are refused\n" << m->raw;
    ++refused;
  }
  EXPECT_FALSE(peer.receive(std::chrono::milliseconds(200))) << "the other replies wait for the commit";
  ASSERT_EQ(sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  // The lock is gone: the change commits and the 4 waiting replies are 200s with both bindings.
  for (int i = 0; i < 4; ++i) {
    auto m = peer.receive(kReply);
    ASSERT_TRUE(m) << i;
    EXPECT_EQ(m->status, 200) << m->raw;
    EXPECT_EQ(m->contacts().size(), 2u) << m->raw;
  }
  expect_clean_stop(d);
}

TEST(SipGroupCommit, Kill9UnderLoadKeepsEveryAcknowledgedBinding) {
  // The first daemon object stays alive (its destructor would remove the database).
  TestDaemon first;
  SipPeer peer(first.sip_port());
  constexpr int kWindow = 32, kAcked = 8000, kMax = 400000;
  std::map<std::string, int> sent;  // Call-ID → user index
  std::set<int> acked;
  int next = 0, in_flight = 0, errors = 0;
  auto send_one = [&] {
    auto r = make_register("load" + std::to_string(next), "kill9.example.com",
                           {"<" + peer.contact_uri("load" + std::to_string(next)) + ">"}, "600");
    std::string text = peer.build(r);
    sent[r.call_id] = next++;
    peer.send_raw(text);
    ++in_flight;
  };
  auto start = std::chrono::steady_clock::now();
  while (in_flight < kWindow) send_one();
  // Keep kWindow REGISTERs in flight; once kAcked are acknowledged, kill -9 with the window
  // still full (changes staged, commits under way).
  while (static_cast<int>(acked.size()) < kAcked && next < kMax) {
    auto m = peer.receive(kReply);
    ASSERT_TRUE(m) << "no reply within 3 s; " << acked.size() << " acknowledged";
    if (m->is_request || m->status < 200) continue;
    --in_flight;
    auto it = sent.find(m->header("Call-ID"));
    ASSERT_NE(it, sent.end()) << m->raw;
    if (m->status == 200) acked.insert(it->second);
    else ++errors;
    send_one();
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(first.stop(SIGKILL), 128 + SIGKILL);
  EXPECT_EQ(errors, 0);
  std::printf("[ load      ] %zu acknowledged in %.2f s (%.0f REGISTER/s), %d in flight at the kill\n",
              acked.size(), secs, static_cast<double>(acked.size()) / secs, in_flight);

  EXPECT_EQ(lost_after_restart(first.db_path(), acked, "kill9.example.com"), 0)
      << "acknowledged bindings missing after kill -9 and restart";
}

}  // namespace
}  // namespace sb::test::sip
