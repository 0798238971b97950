// service_manager_test.cpp: the watchdog's rules (gateway/daemon/service_manager.h) — how often
// the engine beats for a given interval, when a beat is recent enough to feed the watchdog, and
// the heartbeat's life.
#include <chrono>

#include <gtest/gtest.h>

#include "gateway/daemon/service_manager.h"

namespace sb::gateway::service {
namespace {

using namespace std::chrono_literals;

TEST(ServiceManager, TheEngineBeatsFourTimesPerIntervalAtMostOncePerSecond) {
  EXPECT_EQ(heartbeat_period(0us), 1000ms);     // no watchdog
  EXPECT_EQ(heartbeat_period(400ms), 100ms);
  EXPECT_EQ(heartbeat_period(30s), 1000ms);
  EXPECT_EQ(heartbeat_period(2ms), 1ms);        // never 0: a timer of 0 ms would spin
}

TEST(ServiceManager, OnlyARecentBeatFeedsTheWatchdog) {
  EXPECT_TRUE(alive_for_watchdog(std::nullopt, 400ms));  // no engine: the main thread's turn
  EXPECT_TRUE(alive_for_watchdog(150ms, 400ms));
  EXPECT_FALSE(alive_for_watchdog(200ms, 400ms));
  EXPECT_FALSE(alive_for_watchdog(5s, 400ms));
}

TEST(ServiceManager, AHeartbeatHasAnAgeOnlyWhileItBeats) {
  Heartbeat h;
  EXPECT_FALSE(h.age());
  h.start();
  ASSERT_TRUE(h.age());
  EXPECT_LT(*h.age(), 1s);
  h.stop();
  EXPECT_FALSE(h.age());
}

TEST(ServiceManager, WithoutAServiceManagerNotificationsDoNothing) {
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  notify_ready("status");
  notify_watchdog();
  notify_stopping("status");
  EXPECT_EQ(watchdog_interval(), 0us);
}

}  // namespace
}  // namespace sb::gateway::service
