// auth_throttle.cpp: fixed-window failure counting per source address, bounded.
#include "transports/net/auth_throttle.h"

#include <algorithm>

namespace sb::transports {

AuthThrottle::AuthThrottle(unsigned limit, std::chrono::seconds window, std::size_t max_sources)
    : limit_(std::max(limit, 1u)), window_(window), max_sources_(std::max<std::size_t>(max_sources, 1)) {}

std::chrono::seconds AuthThrottle::blocked_for(std::string_view source, Clock::time_point now) {
  std::lock_guard lk(mu_);
  auto it = sources_.find(std::string(source));
  if (it == sources_.end() || it->second.failures < limit_) return std::chrono::seconds(0);
  auto end = it->second.window_start + window_;
  if (now >= end) {
    sources_.erase(it);
    return std::chrono::seconds(0);
  }
  return std::chrono::ceil<std::chrono::seconds>(end - now);
}

unsigned AuthThrottle::failed(std::string_view source, Clock::time_point now) {
  std::lock_guard lk(mu_);
  auto it = sources_.find(std::string(source));
  if (it != sources_.end() && now >= it->second.window_start + window_) {
    sources_.erase(it);
    it = sources_.end();
  }
  if (it == sources_.end()) {
    if (sources_.size() >= max_sources_) forget_old(now);
    it = sources_.emplace(std::string(source), Entry{now, 0}).first;
  }
  return ++it->second.failures;
}

void AuthThrottle::forget_old(Clock::time_point now) {
  std::erase_if(sources_, [&](const auto& kv) { return now >= kv.second.window_start + window_; });
  if (sources_.size() < max_sources_) return;
  auto oldest = std::min_element(sources_.begin(), sources_.end(), [](const auto& a, const auto& b) {
    return a.second.window_start < b.second.window_start;
  });
  sources_.erase(oldest);
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
