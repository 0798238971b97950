// database_test.cpp: gateway/store/database.h on real files — schema migrations (version,
// idempotent re-open, refusal of a newer schema), WAL and synchronous settings, statements,
// transactions (commit, rollback, busy), ensure_parent_dir.
// Threading: single-threaded; each test has its own temporary directory.
#include "gateway/store/database.h"

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "gateway/store/schema.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace sb::gateway {
namespace {

using test::TempDir;

std::int64_t pragma_int(Database& db, const std::string& name) {
  auto st = db.prepare("PRAGMA " + name);
  EXPECT_TRUE(st.step()) << name;
  return st.integer(0);
}

std::string pragma_text(Database& db, const std::string& name) {
  auto st = db.prepare("PRAGMA " + name);
  EXPECT_TRUE(st.step()) << name;
  return st.text(0);
}

std::int64_t count(Database& db, const std::string& table) {
  auto st = db.prepare("SELECT count(*) FROM " + table);
  EXPECT_TRUE(st.step());
  return st.integer(0);
}

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

TEST(Database, MigrateBringsAFreshFileToTheLatestVersion) {
  TempDir tmp;
  const int latest = static_cast<int>(schema_migrations().size());
  ASSERT_GE(latest, 1);
  Database db({tmp / "sb.db"});
  EXPECT_EQ(pragma_int(db, "user_version"), 0);
  EXPECT_EQ(db.migrate(), latest);
  EXPECT_EQ(pragma_int(db, "user_version"), latest);
  // The tables of migration 1 exist and are empty.
  EXPECT_EQ(count(db, "subscriber"), 0);
  EXPECT_EQ(count(db, "location"), 0);
  EXPECT_EQ(db.path(), tmp / "sb.db");
}

TEST(Database, WalAndSynchronous) {
  TempDir tmp;
  {
    Database db({tmp / "n.db"});
    EXPECT_EQ(pragma_text(db, "journal_mode"), "wal");
    EXPECT_EQ(pragma_int(db, "synchronous"), 1) << "NORMAL";
    EXPECT_EQ(pragma_int(db, "foreign_keys"), 1);
  }
  {
    DatabaseOptions o{tmp / "f.db"};
    o.synchronous = "full";
    Database db(o);
    EXPECT_EQ(pragma_text(db, "journal_mode"), "wal");
    EXPECT_EQ(pragma_int(db, "synchronous"), 2) << "FULL";
  }
  DatabaseOptions bad{tmp / "b.db"};
  bad.synchronous = "sometimes";
  EXPECT_THROW(Database{bad}, StoreError);
}

TEST(Database, InMemory) {
  Database db({":memory:"});
  EXPECT_EQ(db.migrate(), static_cast<int>(schema_migrations().size()));
  EXPECT_EQ(count(db, "location"), 0);
}

TEST(Database, ReopenIsIdempotentAndKeepsData) {
  TempDir tmp;
  const int latest = static_cast<int>(schema_migrations().size());
  {
    Database db({tmp / "sb.db"});
    db.migrate();
    db.exec("INSERT INTO subscriber (username, domain, ha1, ha1b, created) VALUES ('a','d','x','y',1)");
  }
  for (int i = 0; i < 2; ++i) {
    Database db({tmp / "sb.db"});
    EXPECT_EQ(db.migrate(), latest);
    EXPECT_EQ(db.migrate(), latest) << "a second migrate() on the same connection";
    EXPECT_EQ(pragma_int(db, "user_version"), latest);
    EXPECT_EQ(count(db, "subscriber"), 1);
  }
}

TEST(Database, RefusesANewerSchema) {
  TempDir tmp;
  {
    Database db({tmp / "sb.db"});
    db.migrate();
    db.exec("PRAGMA user_version=999");
  }
  Database db({tmp / "sb.db"});
  try {
    db.migrate();
    FAIL() << "migrate() accepted schema version 999";
  } catch (const StoreError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("999"), std::string::npos) << msg;
    EXPECT_NE(msg.find("newer"), std::string::npos) << msg;
    EXPECT_NE(msg.find(tmp / "sb.db"), std::string::npos) << msg;
  }
  EXPECT_EQ(pragma_int(db, "user_version"), 999) << "the database was left alone";
}

TEST(Database, RefusesAFileThatIsNotADatabase) {
  TempDir tmp;
  std::ofstream(tmp / "junk.db") << std::string(4096, 'x');
  EXPECT_THROW(
      {
        Database db({tmp / "junk.db"});
        db.migrate();
      },
      StoreError);
}

TEST(Database, OpenCreatesMissingParentDirectories) {
  TempDir tmp;
  Database db({tmp / "var/lib/sb/sb.db"});
  db.migrate();
  EXPECT_TRUE(is_dir(tmp / "var/lib/sb"));
}

TEST(Database, ExecAndPrepareErrorsNameTheStatement) {
  Database db({":memory:"});
  try {
    db.exec("CREATE TABLEX nope (a)");
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("CREATE TABLEX nope"), std::string::npos) << e.what();
  }
  try {
    db.prepare("SELECT * FROM no_such_table");
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_table"), std::string::npos) << e.what();
  }
}

TEST(Statement, BindStepAndColumns) {
  Database db({":memory:"});
  db.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, s TEXT, r REAL, n TEXT)");
  auto ins = db.prepare("INSERT INTO t (k, s, r, n) VALUES (?, ?, ?, ?)");
  ins.bind(1, std::int64_t{1}).bind(2, std::string_view("one\0x", 5)).bind(3, 0.5).bind_null(4).run();
  EXPECT_EQ(db.changes(), 1);
  ins.bind(1, std::int64_t{2}).bind(2, "two").bind(3, 2.25).bind(4, "n").run();
  // A constraint violation throws and leaves the statement usable.
  ins.bind(1, std::int64_t{2}).bind(2, "dup").bind(3, 0.0).bind_null(4);
  try {
    ins.run();
    FAIL() << "duplicate primary key accepted";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("UNIQUE"), std::string::npos) << e.what();
  }
  ins.reset();
  ins.bind(1, std::int64_t{3}).bind(2, "three").bind(3, 3.0).bind_null(4).run();

  auto sel = db.prepare("SELECT k, s, r, n FROM t ORDER BY k");
  ASSERT_TRUE(sel.step());
  EXPECT_EQ(sel.integer(0), 1);
  EXPECT_EQ(sel.text(1), std::string("one\0x", 5)) << "text is length-delimited";
  EXPECT_DOUBLE_EQ(sel.real(2), 0.5);
  EXPECT_TRUE(sel.is_null(3));
  EXPECT_EQ(sel.text(3), "");
  ASSERT_TRUE(sel.step());
  EXPECT_EQ(sel.text(1), "two");
  EXPECT_FALSE(sel.is_null(3));
  ASSERT_TRUE(sel.step());
  EXPECT_EQ(sel.integer(0), 3);
  EXPECT_FALSE(sel.step());

  Statement moved(std::move(sel));
  moved.reset();
  EXPECT_TRUE(moved.step());

  db.exec("UPDATE t SET r = 0");
  EXPECT_EQ(db.changes(), 3);
}

TEST(Transaction, RollsBackUnlessCommitted) {
  TempDir tmp;
  Database db({tmp / "t.db"});
  db.exec("CREATE TABLE t (a INTEGER)");
  {
    Transaction tx(db);
    db.exec("INSERT INTO t VALUES (1)");
    EXPECT_EQ(count(db, "t"), 1) << "visible inside the transaction";
  }
  EXPECT_EQ(count(db, "t"), 0) << "rolled back when not committed";
  {
    Transaction tx(db);
    db.exec("INSERT INTO t VALUES (2)");
    tx.commit();
  }
  EXPECT_EQ(count(db, "t"), 1);
  // An exception between BEGIN and commit() rolls back.
  try {
    Transaction tx(db);
    db.exec("INSERT INTO t VALUES (3)");
    db.exec("INSERT INTO nope VALUES (3)");
    tx.commit();
  } catch (const StoreError&) {
  }
  EXPECT_EQ(count(db, "t"), 1);
  // The connection is usable after all that (no transaction left open).
  Transaction again(db);
  again.commit();
}

TEST(Transaction, InsideAnotherOneItIsASavepoint) {
  // config_import writes every table and records its revision (its own Transaction) in one
  // outer transaction: the inner one must neither commit early nor end the outer one.
  TempDir tmp;
  Database a({tmp / "t.db"});
  a.exec("CREATE TABLE t (a INTEGER)");
  Database b({tmp / "t.db"});
  {
    Transaction outer(a);
    a.exec("INSERT INTO t VALUES (1)");
    {
      Transaction inner(a);
      a.exec("INSERT INTO t VALUES (2)");
      inner.commit();
    }
    EXPECT_EQ(count(b, "t"), 0) << "an inner commit is not durable before the outer one";
    {
      Transaction dropped(a);
      a.exec("INSERT INTO t VALUES (3)");
    }
    EXPECT_EQ(count(a, "t"), 2) << "an inner one without commit undoes only its own rows";
    outer.commit();
  }
  EXPECT_EQ(count(b, "t"), 2);
  {
    Transaction outer(a);
    {
      Transaction inner(a);
      a.exec("INSERT INTO t VALUES (4)");
      inner.commit();
    }
  }  // the outer one rolls back: the inner one's rows go with it
  EXPECT_EQ(count(b, "t"), 2);
}

TEST(Transaction, CommittedDataIsVisibleToAnotherConnection) {
  TempDir tmp;
  Database a({tmp / "t.db"});
  a.exec("CREATE TABLE t (a INTEGER)");
  Database b({tmp / "t.db"});
  {
    Transaction tx(a);
    a.exec("INSERT INTO t VALUES (1)");
    EXPECT_EQ(count(b, "t"), 0) << "not visible before the commit";
    tx.commit();
  }
  EXPECT_EQ(count(b, "t"), 1);
}

TEST(Transaction, BusyTimeoutThenStoreError) {
  TempDir tmp;
  Database a({tmp / "t.db"});
  a.exec("CREATE TABLE t (a INTEGER)");
  DatabaseOptions o{tmp / "t.db"};
  o.busy_timeout_ms = 100;
  Database b(o);
  Transaction holder(a);  // BEGIN IMMEDIATE: a holds the write lock
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(Transaction{b}, StoreError);
  auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, std::chrono::milliseconds(80)) << "busy_timeout_ms was not honoured";
  EXPECT_LT(waited, std::chrono::seconds(5));
  holder.commit();
  Transaction now_free(b);
  now_free.commit();
}

/// True when the file at `path` contains `needle` (the main database file, not its -wal).
bool file_contains(const std::string& path, const std::string& needle) {
  std::ifstream f(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return bytes.find(needle) != std::string::npos;
}

TEST(Database, AutoCheckpointOption) {
  TempDir tmp;
  Database on({tmp / "a.db"});
  EXPECT_EQ(pragma_int(on, "wal_autocheckpoint"), 1000) << "SQLite's default";
  DatabaseOptions o{tmp / "a.db"};
  o.auto_checkpoint = false;
  Database off(o);
  EXPECT_EQ(pragma_int(off, "wal_autocheckpoint"), 0);
}

// A write committed by a connection that does not checkpoint lives in the -wal file only, until
// a Checkpointer (its own thread and connection) copies it back into the main file.
TEST(Checkpointer, CopiesCommittedPagesIntoTheMainFile) {
  TempDir tmp;
  const std::string path = tmp / "c.db";
  const std::string marker = "checkpoint-marker-7f3a9c";
  DatabaseOptions o{path};
  o.auto_checkpoint = false;
  Database db(o);
  db.migrate();
  db.exec("CREATE TABLE t (s TEXT)");
  db.exec("INSERT INTO t VALUES ('" + marker + "')");
  ASSERT_FALSE(file_contains(path, marker)) << "already checkpointed: the test proves nothing";
  EXPECT_TRUE(file_contains(path + "-wal", marker));

  Checkpointer cp(path, std::chrono::milliseconds(50));
  EXPECT_TRUE(cp.active());
  EXPECT_TRUE(sb::test::wait_until([&] { return file_contains(path, marker); }, std::chrono::seconds(5)))
      << "not checkpointed within 5 s at a 50 ms interval";
  // The writer is not blocked meanwhile.
  Transaction tx(db);
  db.exec("INSERT INTO t VALUES ('more')");
  tx.commit();
}

TEST(Checkpointer, StopsPromptlyWithALastCheckpoint) {
  TempDir tmp;
  const std::string path = tmp / "c.db";
  const std::string marker = "last-checkpoint-marker-21be";
  DatabaseOptions o{path};
  o.auto_checkpoint = false;
  Database db(o);
  db.exec("CREATE TABLE t (s TEXT)");
  std::chrono::steady_clock::time_point stopping;
  {
    Checkpointer cp(path, std::chrono::hours(1));
    // Its connection is open and it sleeps for the hour: stopping must interrupt that wait.
    ASSERT_TRUE(sb::test::wait_until([&] { return cp.waiting(); }, std::chrono::seconds(5)));
    db.exec("INSERT INTO t VALUES ('" + marker + "')");
    ASSERT_FALSE(file_contains(path, marker)) << "checkpointed before the hour: the test proves nothing";
    stopping = std::chrono::steady_clock::now();
  }  // stopped: one more checkpoint, without waiting for the hour
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, std::chrono::seconds(3));
  EXPECT_TRUE(file_contains(path, marker));
}

// An in-memory database has no WAL to checkpoint (and another connection would see another
// database): no thread is started, so nothing ever runs.
TEST(Checkpointer, InMemoryIsInert) {
  Checkpointer cp(":memory:", std::chrono::milliseconds(10));
  EXPECT_FALSE(cp.active());
  EXPECT_FALSE(cp.waiting());
}

TEST(EnsureParentDir, CreatesNestedDirectories) {
  TempDir tmp;
  ensure_parent_dir(tmp / "a/b/c/file.db");
  EXPECT_TRUE(is_dir(tmp / "a/b/c"));
  EXPECT_FALSE(is_dir(tmp / "a/b/c/file.db")) << "only the parent is created";
  ensure_parent_dir(tmp / "a/b/c/file.db");  // already there: fine
  ensure_parent_dir("relative.db");          // no directory part: nothing to do
  ensure_parent_dir("/top.db");              // the root: nothing to do
}

TEST(EnsureParentDir, RefusesAFileInThePath) {
  TempDir tmp;
  std::ofstream(tmp / "plain") << "x";
  EXPECT_THROW(ensure_parent_dir(tmp / "plain/sb.db"), StoreError);
  EXPECT_THROW(ensure_parent_dir(tmp / "plain/sub/sb.db"), StoreError);
  EXPECT_THROW(Database({tmp / "plain/sb.db"}), StoreError);
}

}  // namespace
}  // namespace sb::gateway
