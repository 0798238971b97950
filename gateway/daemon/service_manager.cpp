// service_manager.cpp: sd_notify messages and the engine heartbeat.
#include "gateway/daemon/service_manager.h"

#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

namespace sb::gateway::service {

namespace {
void notify(const std::string& state) { sd_notify(0, state.c_str()); }

/// STATUS= carries one line.
std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}
}  // namespace

void notify_ready(const std::string& status) {
  notify(fmt::format("READY=1\nMAINPID={}\nSTATUS={}", ::getpid(), one_line(status)));
}

void notify_stopping(const std::string& status) { notify(fmt::format("STOPPING=1\nSTATUS={}", one_line(status))); }

void notify_watchdog() { notify("WATCHDOG=1"); }

void notify_reloading() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  notify(fmt::format("RELOADING=1\nMONOTONIC_USEC={}",
                     static_cast<long long>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000));
}

void notify_reloaded(const std::string& status) { notify(fmt::format("READY=1\nSTATUS={}", one_line(status))); }

std::chrono::microseconds watchdog_interval() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0) return std::chrono::microseconds(0);
  return std::chrono::microseconds(usec);
}

std::optional<Heartbeat::Clock::duration> Heartbeat::age() const {
  if (!running_.load()) return std::nullopt;
  return Clock::now() - Clock::time_point(Clock::duration(last_.load()));
}

Heartbeat& engine_heartbeat() {
  static Heartbeat heartbeat;
  return heartbeat;
}

std::chrono::milliseconds heartbeat_period(std::chrono::microseconds interval) {
  using namespace std::chrono;
  if (interval.count() <= 0) return milliseconds(1000);
  return std::clamp(duration_cast<milliseconds>(interval / 4), milliseconds(1), milliseconds(1000));
}

bool alive_for_watchdog(std::optional<Heartbeat::Clock::duration> age, std::chrono::microseconds interval) {
  return !age || *age < interval / 2;
}

}  // namespace sb::gateway::service
