// location_writer_test.cpp: gateway/usrloc/location_writer.h with a real SQLite file — every
// staged change committed and reported in order, a burst in one transaction, the bound on
// uncommitted changes, a failed transaction reported with its AORs, expired rows deleted, and the
// WAL file kept bounded by the writer's own checkpoints, and a slow commit measured.
// Threading: the test thread stages (as the engine does); reports arrive on the writer's thread
// and are collected under a mutex.
#include "gateway/usrloc/location_writer.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/store/database.h"
#include "gateway/usrloc/location_table.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace sb::gateway {
namespace {

using namespace std::chrono_literals;
using test::TempDir;

Contact contact(const std::string& uri, std::int64_t expires, std::uint64_t id) {
  Contact c;
  c.id = id;
  c.uri = uri;
  c.expires = expires;
  c.callid = "call-" + uri;
  c.cseq = 1;
  return c;
}

LocationWriter::Change put(const std::string& aor, std::vector<Contact> contacts) {
  return {.kind = LocationWriter::Change::Kind::put_aor, .aor = aor, .contacts = std::move(contacts), .now = 0};
}

/// Stages `n` AORs <prefix>0@x … <prefix><n-1>@x, one far-future binding each.
void stage_aors(LocationWriter& w, const std::string& prefix, int n) {
  for (int i = 0; i < n; ++i)
    w.stage(put(prefix + std::to_string(i) + "@x",
                {contact("sip:" + prefix + "@h", 2'000'000'000, static_cast<std::uint64_t>(i + 1))}));
}

class LocationWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Database db(options());
    db.migrate();
  }
  DatabaseOptions options() const {
    DatabaseOptions o{tmp_ / "sb.db"};
    o.auto_checkpoint = false;
    return o;
  }
  std::unique_ptr<LocationWriter> writer(LocationWriter::Tuning t = {}) {
    return std::make_unique<LocationWriter>(options(), t, [this](LocationWriter::Done d) {
      std::lock_guard lk(mu_);
      done_.push_back(std::move(d));
    });
  }
  std::vector<LocationWriter::Done> reports() {
    std::lock_guard lk(mu_);
    return done_;
  }
  std::int64_t rows(const std::string& where = "1") {
    Database db(options());
    auto st = db.prepare("SELECT count(*) FROM location WHERE " + where);
    EXPECT_TRUE(st.step());
    return st.integer(0);
  }

  TempDir tmp_;
  std::mutex mu_;
  std::vector<LocationWriter::Done> done_;
};

TEST_F(LocationWriterTest, EveryStagedChangeIsCommittedAndReportedInOrder) {
  auto w = writer();
  std::uint64_t last = 0;
  for (int i = 0; i < 500; ++i) {
    std::string aor = "u" + std::to_string(i % 50) + "@x";
    last = w->stage(put(aor, {contact("sip:" + std::to_string(i) + "@h", 2'000'000'000, static_cast<std::uint64_t>(i + 1))}));
  }
  EXPECT_EQ(last, 500u);
  w->wait_idle();
  auto done = reports();
  ASSERT_FALSE(done.empty());
  std::uint64_t next = 1;
  for (const auto& d : done) {
    EXPECT_TRUE(d.ok) << d.error;
    EXPECT_EQ(d.first, next) << "reports cover every change once, in order";
    EXPECT_GE(d.last, d.first);
    next = d.last + 1;
  }
  EXPECT_EQ(next, 501u);
  // Each AOR holds its last change only: 50 AORs, one row each, the i of 450..499.
  EXPECT_EQ(rows(), 50);
  EXPECT_EQ(rows("contact = 'sip:499@h' AND aor = 'u49@x'"), 1);
  EXPECT_EQ(rows("contact = 'sip:449@h'"), 0);
  auto s = w->stats();
  EXPECT_EQ(s.changes, 500u);
  EXPECT_EQ(s.transactions, done.size());
  EXPECT_EQ(s.failed, 0u);
}

TEST_F(LocationWriterTest, ABurstSharesOneTransaction) {
  // A long commit gap: the writer keeps gathering while the burst arrives (50 stages take far
  // less than 200 ms), then writes all of it in one transaction.
  auto w = writer({.max_pending = 4096, .commit_gap = 200ms, .checkpoint_frames = 8000});
  stage_aors(*w, "b", 50);
  w->wait_idle();
  auto s = w->stats();
  EXPECT_EQ(s.transactions, 1u);
  EXPECT_EQ(s.largest_batch, 50u);
  EXPECT_EQ(rows(), 50);
}

TEST_F(LocationWriterTest, AtMostMaxPendingChangesWaitUncommitted) {
  // max_pending 1: stage() returns only once the previous change is committed, so every
  // transaction holds exactly one change.
  auto w = writer({.max_pending = 1, .commit_gap = 0us, .checkpoint_frames = 8000});
  stage_aors(*w, "p", 40);
  w->wait_idle();
  auto done = reports();
  ASSERT_EQ(done.size(), 40u);
  for (const auto& d : done) EXPECT_EQ(d.first, d.last);
  EXPECT_EQ(w->stats().largest_batch, 1u);
}

TEST_F(LocationWriterTest, AFailedTransactionIsReportedWithItsAors) {
  auto w = writer({.max_pending = 4096, .commit_gap = 0us, .checkpoint_frames = 8000});
  w->stage(put("ok@x", {contact("sip:ok@h", 2'000'000'000, 1)}));
  w->wait_idle();
  {
    Database db(options());
    db.exec("CREATE TRIGGER refuse BEFORE INSERT ON location BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
  }
  w->stage(put("bad@x", {contact("sip:bad@h", 2'000'000'000, 2)}));
  w->wait_idle();
  auto done = reports();
  ASSERT_EQ(done.size(), 2u);
  EXPECT_TRUE(done[0].ok);
  EXPECT_FALSE(done[1].ok);
  EXPECT_EQ(done[1].first, 2u);
  EXPECT_EQ(done[1].last, 2u);
  EXPECT_NE(done[1].error.find("refused by the test"), std::string::npos) << done[1].error;
  EXPECT_EQ(done[1].failed_aors, std::vector<std::string>{"bad@x"});
  EXPECT_EQ(rows("aor = 'bad@x'"), 0) << "rolled back";
  EXPECT_EQ(w->stats().failed, 1u);
}

TEST_F(LocationWriterTest, DeleteExpiredRemovesOnlyExpiredRows) {
  auto w = writer();
  w->stage(put("a@x", {contact("sip:old@h", 100, 1), contact("sip:new@h", 300, 2), contact("sip:perm@h", 0, 3)}));
  w->stage({.kind = LocationWriter::Change::Kind::delete_expired, .aor = {}, .contacts = {}, .now = 200});
  w->wait_idle();
  Database db(options());
  auto left = read_location_rows(db, "a@x");
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].uri, "sip:new@h");
  EXPECT_EQ(left[1].uri, "sip:perm@h");
}

TEST_F(LocationWriterTest, TheWalFileStaysBounded) {
  // Without its checkpoints nothing would ever copy the WAL back (this test runs no
  // Checkpointer): 3000 transactions (max_pending 1: one change each) of 1-2 pages each would
  // make a WAL of ~12-24 MB.
  auto w = writer({.max_pending = 1, .commit_gap = 0us, .checkpoint_frames = 100});
  stage_aors(*w, "w", 3000);
  w->wait_idle();
  struct stat st {};
  ASSERT_EQ(::stat((tmp_ / "sb.db-wal").c_str(), &st), 0);
  EXPECT_LT(st.st_size, 4 * 1024 * 1024) << "the WAL restarts after the writer's checkpoints";
  EXPECT_EQ(rows(), 3000);
  EXPECT_GT(w->stats().checkpoints, 0u) << "completed by the checkpoint thread";
}

TEST_F(LocationWriterTest, AReaderThatPinsTheWalDoesNotStopTheWriter) {
  // An open read transaction elsewhere keeps every checkpoint from completing, so the WAL cannot
  // restart and passes 4x checkpoint_frames, where the writer waits for each checkpoint round:
  // each ends (incomplete) and the writer goes on. Every change is still committed.
  auto w = writer({.max_pending = 1, .commit_gap = 0us, .checkpoint_frames = 100});
  stage_aors(*w, "before", 10);
  w->wait_idle();
  Database reader(options());
  reader.exec("BEGIN");
  auto pin = reader.prepare("SELECT count(*) FROM location");
  ASSERT_TRUE(pin.step());
  EXPECT_EQ(pin.integer(0), 10);
  stage_aors(*w, "r", 2000);
  w->wait_idle();
  struct stat st {};
  ASSERT_EQ(::stat((tmp_ / "sb.db-wal").c_str(), &st), 0);
  EXPECT_GT(st.st_size, 4 * 100 * 4096) << "the WAL grew past the bound: nothing could restart it";
  pin.reset();
  reader.exec("COMMIT");
  EXPECT_EQ(rows(), 2010);
  EXPECT_EQ(w->stats().failed, 0u);
  EXPECT_GT(w->stats().bound_waits, 0u) << "the writer waited for checkpoint rounds at the bound";
}

TEST_F(LocationWriterTest, StopCommitsWhatIsStagedThenRefusesMore) {
  auto w = writer({.max_pending = 4096, .commit_gap = 50ms, .checkpoint_frames = 8000});
  stage_aors(*w, "s", 20);
  w->stop();
  EXPECT_EQ(rows(), 20);
  EXPECT_THROW(w->stage(put("late@x", {})), StoreError);
}

TEST_F(LocationWriterTest, AMutedWriterStillCommitsButReportsNothing) {
  auto w = writer({.max_pending = 4096, .commit_gap = 50ms, .checkpoint_frames = 8000});
  w->mute();
  stage_aors(*w, "m", 10);
  w->stop();
  EXPECT_EQ(rows(), 10);
  EXPECT_TRUE(reports().empty());
}

TEST_F(LocationWriterTest, ASlowCommitIsMeasured) {
  // Another connection holds the write lock for 1 s (within the writer's busy timeout): the
  // commit waits most of that, which is what a slow disk does to the REGISTERs behind it.
  auto w = writer({.max_pending = 4096, .commit_gap = 0us, .checkpoint_frames = 8000});
  Database holder(options());
  holder.exec("BEGIN IMMEDIATE");
  const auto began = std::chrono::steady_clock::now();
  w->stage(put("slow@x", {contact("sip:slow@h", 2'000'000'000, 1)}));
  std::this_thread::sleep_for(1s);  // the stimulus: how long the lock is held, not a wait for a condition
  holder.exec("ROLLBACK");
  w->wait_idle();
  const auto waited = std::chrono::steady_clock::now() - began;
  auto s = w->stats();
  EXPECT_GE(s.slowest_commit, 500ms) << "the commit waited for the lock";
  EXPECT_LE(s.slowest_commit, waited);
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(rows("aor = 'slow@x'"), 1);
}

TEST_F(LocationWriterTest, AnUnopenableDatabaseFailsAtConstruction) {
  {
    Database db(options());  // a regular file where the path wants a directory
  }
  DatabaseOptions o{tmp_ / "sb.db/inside.db"};
  try {
    LocationWriter w(o, {}, nullptr);
    FAIL() << "opened a database under a regular file";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("usrloc writer"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sb::gateway
