// auth_throttle.h: failed-login counting per client IP address, shared by the transports that
// check passwords (HTTP Basic/Bearer, the monitor's `login`), against password guessing.
//
// Purpose: after `limit` failures from one address within `window`, that address is refused
// (HTTP 429, monitor "too many failed logins") until the window ends, whatever it sends, so a
// guesser gets `limit` tries per window instead of thousands per second. The table is bounded
// (max_sources addresses; the oldest window is forgotten first), so spoofed or many sources
// cannot grow it without limit. A success does not reset the count (a guesser who also knows
// one password must not get free tries).
// Threading: every member may be called from any thread (one mutex).
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sb::transports {

class AuthThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  AuthThrottle(unsigned limit, std::chrono::seconds window, std::size_t max_sources = 4096);

  /// Time left before `source` may try again; zero when it may try now.
  std::chrono::seconds blocked_for(std::string_view source, Clock::time_point now = Clock::now());
  /// Counts a failure; returns the failures of `source` in its current window.
  unsigned failed(std::string_view source, Clock::time_point now = Clock::now());

  unsigned limit() const { return limit_; }

 private:
  struct Entry {
    Clock::time_point window_start;
    unsigned failures = 0;
  };
  void forget_old(Clock::time_point now);

  const unsigned limit_;
  const std::chrono::seconds window_;
  const std::size_t max_sources_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> sources_;
};

/// The address part of "host:port" / "[v6]:port" (what the throttle counts by).
std::string address_of(std::string_view host_port);

}  // namespace sb::transports
