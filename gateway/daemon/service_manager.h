// service_manager.h: telling a service manager how the daemon is — systemd's Type=notify
// protocol on $NOTIFY_SOCKET, through libsystemd's sd_notify (conf/switchboard.service):
// READY=1 once every component has started (every listener bound), STOPPING=1 when a shutdown
// begins, STATUS= lines, and the watchdog (WatchdogSec=): WATCHDOG=1 only while the SIP engine's
// loop keeps turning (engine_heartbeat below), so a stuck engine gets the daemon restarted.
// Without $NOTIFY_SOCKET every notification does nothing; without $WATCHDOG_USEC (or with a
// $WATCHDOG_PID that is not ours) there is no watchdog.
//
// Threading: any thread (sd_notify opens a datagram socket per call; the heartbeat is atomic).
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>

namespace sb::gateway::service {

void notify_ready(const std::string& status);
void notify_stopping(const std::string& status);
/// RELOADING=1 (with MONOTONIC_USEC, as Type=notify-reload wants) before a reload; READY=1 with
/// `status` after it.
void notify_reloading();
void notify_reloaded(const std::string& status);
void notify_watchdog();

/// The watchdog interval the service manager asked of this process; 0 when none.
std::chrono::microseconds watchdog_interval();

/// The SIP engine's proof of life: it beats from a timer on its loop (sip_gateway.cpp) while
/// it runs; the watchdog pings only while the last beat is recent.
class Heartbeat {
 public:
  using Clock = std::chrono::steady_clock;
  /// A beating thread now exists (start) or is gone (stop): while none exists, age() is nullopt.
  void start() {
    beat();
    running_.store(true);
  }
  void stop() { running_.store(false); }
  void beat() { last_.store(Clock::now().time_since_epoch().count()); }
  /// Time since the last beat; nullopt while nothing beats.
  std::optional<Clock::duration> age() const;

 private:
  std::atomic<bool> running_{false};
  std::atomic<Clock::rep> last_{0};
};
Heartbeat& engine_heartbeat();

/// How often the SIP engine beats: often enough for the watchdog `interval` (a quarter of it),
/// at most once a second; 1 s when there is no watchdog.
std::chrono::milliseconds heartbeat_period(std::chrono::microseconds interval);

/// Whether the watchdog may be fed: nothing beats (no SIP engine: the main thread's own turn is
/// the proof), or the last beat is younger than half the interval.
bool alive_for_watchdog(std::optional<Heartbeat::Clock::duration> age, std::chrono::microseconds interval);

}  // namespace sb::gateway::service
