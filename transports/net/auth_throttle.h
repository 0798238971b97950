// auth_throttle.h: AuthLimiter (auth_limiter.h) for the transports that check passwords on
// several threads (HTTP Basic/Bearer, the monitor's `login`), against password guessing.
//
// Purpose: after `limit` failures from one address within `window`, that address is refused
// (HTTP 429, monitor "too many failed logins") for `window`, whatever it sends, so a guesser
// gets `limit` tries per window instead of thousands per second. The table is bounded (the
// least recently seen address is forgotten first). A success does not reset the count (a
// guesser who also knows one password must not get free tries).
// Threading: every member may be called from any thread (one mutex around the limiter).
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

#include "transports/net/auth_limiter.h"

namespace sb::transports {

class AuthThrottle {
 public:
  AuthThrottle(unsigned limit, std::chrono::seconds window, std::size_t max_sources = 4096);

  /// Time left before `source` may try again; zero when it may try now.
  std::chrono::seconds blocked_for(std::string_view source);
  /// Counts a failure; returns the failures of `source` in its current window (`limit` when
  /// this one starts the refusal).
  unsigned failed(std::string_view source);

  unsigned limit() const { return limit_; }

 private:
  static std::int64_t now_s();

  const unsigned limit_;
  std::mutex mu_;
  AuthLimiter limiter_;
};

/// The address part of "host:port" / "[v6]:port" (what the throttle counts by).
std::string address_of(std::string_view host_port);

}  // namespace sb::transports
