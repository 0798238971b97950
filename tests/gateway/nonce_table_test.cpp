// nonce_table_test.cpp: the nonce ring (nc tracking, one-use no-qop nonces, eviction,
// retransmissions) and the per-IP authentication failure limiter.
#include <gtest/gtest.h>

#include "transports/net/auth_limiter.h"
#include "gateway/registrar/nonce_table.h"

namespace sb::gateway {
namespace {

using Use = NonceTable::Use;
using transports::AuthLimiter;

TEST(NonceTable, NcMustGrowAndIsRecordedOnlyOnCommit) {
  NonceTable t(8);
  auto seq = t.issue();
  EXPECT_EQ(t.use(seq, 1, "k1", false), Use::ok);
  EXPECT_EQ(t.use(seq, 1, "k1", false), Use::ok) << "not committed: still unused";
  EXPECT_EQ(t.use(seq, 1, "k1", true), Use::ok);
  EXPECT_EQ(t.use(seq, 1, "k2", false), Use::replay);
  EXPECT_EQ(t.use(seq, 1, "k1", false), Use::retransmit) << "the same request again";
  EXPECT_EQ(t.use(seq, 1, "", false), Use::replay) << "no key: never a retransmission";
  EXPECT_EQ(t.use(seq, 3, "k3", true), Use::ok);
  EXPECT_EQ(t.use(seq, 2, "k4", false), Use::replay);
  EXPECT_EQ(t.use(seq, 0, "k5", false), Use::replay) << "no qop on a used nonce";
}

TEST(NonceTable, ANoQopNonceIsGoodOnce) {
  NonceTable t(8);
  auto seq = t.issue();
  EXPECT_EQ(t.use(seq, 0, "a", true), Use::ok);
  EXPECT_EQ(t.use(seq, 0, "b", false), Use::replay);
  EXPECT_EQ(t.use(seq, 0, "a", false), Use::retransmit);
}

TEST(NonceTable, TheOldestIsEvictedAndUnknownsAreUnknown) {
  NonceTable t(4);
  auto first = t.issue();
  for (int i = 0; i < 3; ++i) t.issue();
  EXPECT_EQ(t.use(first, 1, "", false), Use::ok) << "4 slots: still there";
  t.issue();
  EXPECT_EQ(t.use(first, 1, "", false), Use::unknown) << "its slot was reused";
  EXPECT_EQ(t.use(0, 1, "", false), Use::unknown);
  EXPECT_EQ(t.use(12345, 1, "", false), Use::unknown) << "never issued";
  EXPECT_EQ(t.size(), 4u);
}

TEST(NonceTable, BeforeTheFirstNonceEverySequenceIsUnknown) {
  NonceTable t(1 << 16);  // the ring is allocated at the first issue(), not here
  EXPECT_EQ(t.size(), 1u << 16);
  EXPECT_EQ(t.use(1, 1, "", true), Use::unknown) << "nothing issued yet: a forged sequence number";
  auto first = t.issue();
  EXPECT_EQ(first, 1u);
  EXPECT_EQ(t.use(first, 1, "", true), Use::ok);
  EXPECT_EQ(t.use(first, 1, "", false), Use::replay);
}

TEST(AuthLimiter, BansAfterTheLimitWithinTheWindow) {
  AuthLimiter l({3, 60, 30, 16});
  EXPECT_FALSE(l.failed("192.0.2.1", 1000));
  EXPECT_FALSE(l.failed("192.0.2.1", 1001));
  EXPECT_FALSE(l.banned("192.0.2.1", 1001));
  EXPECT_TRUE(l.failed("192.0.2.1", 1002)) << "the third failure starts the ban";
  EXPECT_TRUE(l.banned("192.0.2.1", 1002));
  EXPECT_TRUE(l.banned("192.0.2.1", 1031));
  EXPECT_FALSE(l.banned("192.0.2.1", 1032)) << "ban_s later";
  EXPECT_FALSE(l.banned("192.0.2.2", 1002)) << "per address";
}

TEST(AuthLimiter, FailuresOutsideTheWindowDoNotAddUp) {
  AuthLimiter l({3, 10, 30, 16});
  EXPECT_FALSE(l.failed("192.0.2.1", 1000));
  EXPECT_FALSE(l.failed("192.0.2.1", 1005));
  EXPECT_FALSE(l.failed("192.0.2.1", 1010)) << "a new window";
  EXPECT_FALSE(l.failed("192.0.2.1", 1011));
  EXPECT_TRUE(l.failed("192.0.2.1", 1012));
}

TEST(AuthLimiter, TheTableIsBoundedLeastRecentlySeenFirst) {
  AuthLimiter l({2, 60, 60, 2});
  l.failed("192.0.2.1", 1000);
  l.failed("192.0.2.2", 1000);
  l.failed("192.0.2.1", 1001);  // .1 is banned and the most recently seen
  l.failed("192.0.2.3", 1002);  // evicts .2
  EXPECT_EQ(l.size(), 2u);
  EXPECT_TRUE(l.banned("192.0.2.1", 1002));
  EXPECT_FALSE(l.failed("192.0.2.2", 1003)) << ".2 starts over";
}

TEST(AuthLimiter, ZeroMeansNeverBan) {
  AuthLimiter l({0, 60, 60, 2});
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(l.failed("192.0.2.1", 1000));
  EXPECT_FALSE(l.banned("192.0.2.1", 1000));
  EXPECT_EQ(l.size(), 0u);
}

}  // namespace
}  // namespace sb::gateway
