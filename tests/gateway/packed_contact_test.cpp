// packed_contact_test.cpp: gateway/usrloc/packed_contact.h and how usrloc uses it — a binding
// packed and unpacked comes back field for field (empty, long and binary-ish values), interned
// strings are shared and freed with their last user (distinct user agents sent by clients do not
// pile up), and the expiry index and visit() over packed records behave as before.
// Threading: single-threaded (usrloc is engine-thread only).
#include "gateway/usrloc/packed_contact.h"

#include <cstdint>
#include <memory_resource>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/usrloc/usrloc.h"
#include "mi/statistics.h"
#include "support/contacts.h"

namespace sb::gateway {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;

using test::contact_fields;

Contact full_contact() {
  Contact c = test::every_field_contact(kNow);
  c.id = 0xFFFF'FFFF'FFFF'FFF0u;
  c.aor = "alice@example.com";
  c.cseq = 4'000'000'000u;
  return c;
}

TEST(PackedContact, EveryFieldComesBack) {
  StringPool pool;
  std::pmr::unsynchronized_pool_resource mem;  // frees whatever a test does not release
  Contact c = full_contact();
  PackedContact p(c, pool, mem);
  EXPECT_EQ(contact_fields(p.unpack(c.aor)), contact_fields(c));
  EXPECT_EQ(p.id(), c.id);
  EXPECT_EQ(p.expires(), c.expires);
  EXPECT_EQ(p.uri(), c.uri);
  p.release(pool, mem);
  EXPECT_EQ(pool.size(), 0u);
}

TEST(PackedContact, EmptyFieldsAndAnEmptyRecord) {
  StringPool pool;
  std::pmr::unsynchronized_pool_resource mem;  // frees whatever a test does not release
  Contact only_uri;
  only_uri.uri = "sip:x@y";
  only_uri.path = "<sip:only-path>";  // a field between empty ones
  PackedContact a(only_uri, pool, mem);
  EXPECT_EQ(contact_fields(a.unpack("")), contact_fields(only_uri));
  Contact nothing;  // every string empty: no text block at all
  PackedContact b(nothing, pool, mem);
  EXPECT_EQ(contact_fields(b.unpack("")), contact_fields(nothing));
  EXPECT_EQ(pool.size(), 0u) << "empty strings are not interned";
}

TEST(PackedContact, LongAndByteValuesSurvive) {
  StringPool pool;
  std::pmr::unsynchronized_pool_resource mem;  // frees whatever a test does not release
  Contact c = full_contact();
  c.path = std::string(70'000, 'p');  // beyond 16-bit lengths
  c.callid = std::string("a\0b\xff", 4);
  c.instance = "\"<urn:uuid:x>\"";
  PackedContact p(c, pool, mem);
  EXPECT_EQ(contact_fields(p.unpack(c.aor)), contact_fields(c));
}

TEST(StringPool, SharesValuesAndFreesThemWithTheLastUser) {
  StringPool pool;
  const std::string* a = pool.acquire("regbench");
  const std::string* b = pool.acquire("regbench");
  const std::string* other = pool.acquire("baresip");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, other);
  EXPECT_EQ(*a, "regbench");
  EXPECT_EQ(pool.size(), 2u);
  pool.release(a);
  EXPECT_EQ(pool.size(), 2u) << "one user left";
  pool.release(b);
  pool.release(other);
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_EQ(pool.acquire(""), nullptr);
  pool.release(nullptr);
}

class PackedUsrlocTest : public ::testing::Test {
 protected:
  Contact binding(const std::string& uri, std::int64_t expires, const std::string& ua = "phone") {
    Contact c;
    c.uri = uri;
    c.expires = expires;
    c.callid = "call-" + uri;
    c.cseq = 1;
    c.user_agent = ua;
    c.socket = "udp:127.0.0.1:5060";
    return c;
  }
  mi::Statistics stats_;
  Usrloc ul_{nullptr, stats_};
};

TEST_F(PackedUsrlocTest, DistinctUserAgentsDoNotPileUp) {
  // A client may send a new User-Agent in every REGISTER: the pool holds only what bindings use.
  for (int i = 0; i < 100; ++i)
    ul_.put("u" + std::to_string(i) + "@x", {binding("sip:u@h", kNow + 60, "agent-" + std::to_string(i))});
  EXPECT_EQ(ul_.interned_strings(), 101u) << "100 user agents and one socket";
  for (int round = 0; round < 5; ++round)  // re-registrations with yet other user agents
    for (int i = 0; i < 100; ++i)
      ul_.put("u" + std::to_string(i) + "@x",
              {binding("sip:u@h", kNow + 60, "agent-" + std::to_string(round) + "-" + std::to_string(i))});
  EXPECT_EQ(ul_.interned_strings(), 101u);
  EXPECT_EQ(ul_.expire(kNow + 60), 100u);
  EXPECT_EQ(ul_.interned_strings(), 0u) << "expired bindings hand their strings back";
  ul_.put("a@x", {binding("sip:a@h", 0)});
  ul_.clear();
  EXPECT_EQ(ul_.interned_strings(), 0u);
}

TEST_F(PackedUsrlocTest, ExpiryIndexFollowsEveryBindingOfAnAor) {
  ul_.put("a@x", {binding("sip:a1", kNow + 10), binding("sip:a2", kNow + 10), binding("sip:a3", kNow + 20),
                  binding("sip:a-perm", 0)});
  ul_.put("b@x", {binding("sip:b1", kNow + 10)});
  EXPECT_EQ(ul_.expire(kNow + 9), 0u);
  EXPECT_EQ(ul_.expire(kNow + 10), 3u) << "two bindings of a@x sharing an expiry, and b@x's";
  ASSERT_TRUE(ul_.find("a@x"));
  EXPECT_EQ(ul_.find("a@x")->size(), 2u);
  EXPECT_FALSE(ul_.find("b@x"));
  // Replaced before its expiry: the old expiry entry must not remove the new binding.
  ul_.put("a@x", {binding("sip:a-new", kNow + 100)});
  EXPECT_EQ(ul_.expire(kNow + 50), 0u);
  EXPECT_EQ(ul_.contact_count(), 1u);
  EXPECT_EQ(ul_.expire(kNow + 100), 1u);
  EXPECT_EQ(ul_.aor_count(), 0u);
  EXPECT_EQ(ul_.contact_count(), 0u);
}

TEST_F(PackedUsrlocTest, VisitWalksInOrderFromOrAfterAKey) {
  for (std::string a : {"carol@x", "alice@x", "bob@x", "alice@y"}) ul_.put(a, {binding("sip:" + a, 0)});
  auto walk = [this](std::string_view from, bool after, std::size_t max) {
    std::vector<std::string> seen;
    ul_.visit(from, after, [&](std::string_view aor, std::vector<Contact>& contacts) {
      EXPECT_EQ(contacts.size(), 1u);
      EXPECT_EQ(contacts[0].aor, aor);
      EXPECT_EQ(contacts[0].uri, "sip:" + std::string(aor));
      seen.emplace_back(aor);
      return seen.size() < max;
    });
    return seen;
  };
  EXPECT_EQ(walk("", false, 10), (std::vector<std::string>{"alice@x", "alice@y", "bob@x", "carol@x"}));
  EXPECT_EQ(walk("alice@y", false, 10), (std::vector<std::string>{"alice@y", "bob@x", "carol@x"}));
  EXPECT_EQ(walk("alice@y", true, 10), (std::vector<std::string>{"bob@x", "carol@x"}));
  EXPECT_EQ(walk("", false, 2), (std::vector<std::string>{"alice@x", "alice@y"})) << "stops when told";
  EXPECT_TRUE(walk("d", false, 10).empty());
}

}  // namespace
}  // namespace sb::gateway
