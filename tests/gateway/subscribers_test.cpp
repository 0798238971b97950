// subscribers_test.cpp: gateway/registrar/subscribers.h on a real SQLite file — add (and a
// duplicate), find with the HA1 hashes, list, remove; no clear password is ever stored.
// Threading: single-threaded; each test has its own temporary directory.
#include "gateway/registrar/subscribers.h"

#include <string>

#include <gtest/gtest.h>

#include "gateway/registrar/digest.h"
#include "gateway/store/database.h"
#include "support/temp_dir.h"

namespace sb::gateway {
namespace {

using test::TempDir;

class SubscribersTest : public ::testing::Test {
 protected:
  SubscribersTest() : db_(DatabaseOptions{tmp_ / "sb.db"}) { db_.migrate(); }
  TempDir tmp_;
  Database db_;
  Subscribers subs_{db_};
};

TEST_F(SubscribersTest, AddThenFindGivesBothHashes) {
  EXPECT_FALSE(subs_.find("alice", "example.com").has_value());
  EXPECT_TRUE(subs_.add("alice", "example.com", "secret", 1'700'000'000));
  auto s = subs_.find("alice", "example.com");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->username, "alice");
  EXPECT_EQ(s->domain, "example.com");
  EXPECT_EQ(s->ha1, md5_hex("alice:example.com:secret"));
  EXPECT_EQ(s->ha1, "b1726872c344b6dc8365b774f8fd6412");  // hashlib
  EXPECT_EQ(s->ha1b, md5_hex("alice@example.com:example.com:secret"));
  EXPECT_EQ(s->ha1b, "c79656e4f06dbae9fdf6727654273c65");  // hashlib
  EXPECT_EQ(s->created, 1'700'000'000);
  // Lookups are exact.
  EXPECT_FALSE(subs_.find("alice", "example.org").has_value());
  EXPECT_FALSE(subs_.find("bob", "example.com").has_value());
}

TEST_F(SubscribersTest, DuplicateAddIsRefusedAndKeepsThePassword) {
  ASSERT_TRUE(subs_.add("alice", "example.com", "secret", 1));
  EXPECT_FALSE(subs_.add("alice", "example.com", "other", 2));
  auto s = subs_.find("alice", "example.com");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->ha1, digest_ha1("alice", "example.com", "secret"));
  EXPECT_EQ(s->created, 1);
  // The same user in another domain is another subscriber.
  EXPECT_TRUE(subs_.add("alice", "example.org", "other", 3));
}

TEST_F(SubscribersTest, ListIsOrderedByDomainThenUser) {
  subs_.add("zoe", "a.example", "pw1", 1);
  subs_.add("bob", "b.example", "pw2", 2);
  subs_.add("alice", "b.example", "pw3", 3);
  auto all = subs_.list();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].username + "@" + all[0].domain, "zoe@a.example");
  EXPECT_EQ(all[1].username + "@" + all[1].domain, "alice@b.example");
  EXPECT_EQ(all[2].username + "@" + all[2].domain, "bob@b.example");
  EXPECT_EQ(all[1].ha1, digest_ha1("alice", "b.example", "pw3"));
}

TEST_F(SubscribersTest, NoClearPasswordIsStored) {
  const std::string pw = "Very-Distinctive-Password-42";
  subs_.add("alice", "example.com", pw, 1);
  {
    auto st = db_.prepare("SELECT * FROM subscriber");
    ASSERT_TRUE(st.step());
    for (int col = 0; col < 5; ++col) EXPECT_EQ(st.text(col).find(pw), std::string::npos) << "column " << col;
  }
  // Nor anywhere else in the file (the WAL included, once checkpointed).
  db_.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  std::FILE* f = std::fopen((tmp_ / "sb.db").c_str(), "rb");
  ASSERT_NE(f, nullptr);
  std::string bytes;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) bytes.append(buf, n);
  std::fclose(f);
  EXPECT_EQ(bytes.find(pw), std::string::npos);
}

TEST_F(SubscribersTest, Remove) {
  subs_.add("alice", "example.com", "secret", 1);
  subs_.add("bob", "example.com", "secret", 1);
  EXPECT_TRUE(subs_.remove("alice", "example.com"));
  EXPECT_FALSE(subs_.find("alice", "example.com").has_value());
  EXPECT_FALSE(subs_.remove("alice", "example.com")) << "already gone";
  EXPECT_FALSE(subs_.remove("carol", "example.com"));
  EXPECT_TRUE(subs_.find("bob", "example.com").has_value());
  EXPECT_EQ(subs_.list().size(), 1u);
  // Removed, it can be added again.
  EXPECT_TRUE(subs_.add("alice", "example.com", "new", 2));
}

TEST_F(SubscribersTest, PersistsAcrossConnections) {
  subs_.add("alice", "example.com", "secret", 1);
  Database other(DatabaseOptions{tmp_ / "sb.db"});
  other.migrate();
  Subscribers again(other);
  auto s = again.find("alice", "example.com");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->ha1, digest_ha1("alice", "example.com", "secret"));
}

}  // namespace
}  // namespace sb::gateway
