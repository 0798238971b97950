// auth_throttle.cpp: the mutex around AuthLimiter, on the steady clock.
#include "transports/net/auth_throttle.h"

#include <algorithm>

namespace sb::transports {

AuthThrottle::AuthThrottle(unsigned limit, std::chrono::seconds window, std::size_t max_sources)
    : limit_(std::max(limit, 1u)),
      limiter_(AuthLimits{static_cast<std::int64_t>(limit_), window.count(), window.count(), max_sources}) {}

std::int64_t AuthThrottle::now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::chrono::seconds AuthThrottle::blocked_for(std::string_view source) {
  std::lock_guard lk(mu_);
  const std::int64_t now = now_s();
  const std::string ip(source);
  if (!limiter_.banned(ip, now)) return std::chrono::seconds(0);
  return std::chrono::seconds(std::max<std::int64_t>(1, limiter_.banned_until(ip) - now));
}

unsigned AuthThrottle::failed(std::string_view source) {
  std::lock_guard lk(mu_);
  const std::string ip(source);
  if (limiter_.failed(ip, now_s())) return limit_;  // this failure starts the refusal
  return static_cast<unsigned>(limiter_.failures(ip));
}

std::string address_of(std::string_view host_port) {
  if (!host_port.empty() && host_port.front() == '[') {
    auto close = host_port.find(']');
    return std::string(host_port.substr(1, close == std::string_view::npos ? host_port.size() - 1 : close - 1));
  }
  auto colon = host_port.rfind(':');
  if (colon == std::string_view::npos || host_port.find(':') != colon) return std::string(host_port);
  return std::string(host_port.substr(0, colon));
}

}  // namespace sb::transports
