// auth_limiter.cpp: failure counting and bans per source IP (see auth_limiter.h).
#include "transports/net/auth_limiter.h"

namespace sb::transports {

AuthLimiter::AuthLimiter(AuthLimits limits) : limits_(limits) {
  if (limits_.max_entries == 0) limits_.max_entries = 1;
}

std::int64_t AuthLimiter::banned_until(const std::string& ip) const {
  auto it = map_.find(ip);
  return it == map_.end() ? 0 : it->second.banned_until;
}

std::int64_t AuthLimiter::failures(const std::string& ip) const {
  auto it = map_.find(ip);
  return it == map_.end() ? 0 : it->second.failures;
}

bool AuthLimiter::banned(const std::string& ip, std::int64_t now) {
  auto it = map_.find(ip);
  return it != map_.end() && it->second.banned_until > now;
}

AuthLimiter::Entry& AuthLimiter::touch(const std::string& ip) {
  auto it = map_.find(ip);
  if (it != map_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second;
  }
  if (map_.size() >= limits_.max_entries) {  // forget the least recently seen address
    map_.erase(lru_.back());
    lru_.pop_back();
  }
  lru_.push_front(ip);
  Entry& e = map_[ip];
  e.lru = lru_.begin();
  return e;
}

bool AuthLimiter::failed(const std::string& ip, std::int64_t now) {
  if (limits_.limit <= 0) return false;
  Entry& e = touch(ip);
  if (e.banned_until > now) return false;  // already banned
  if (now - e.window_start >= limits_.window_s) {
    e.window_start = now;
    e.failures = 0;
  }
  if (++e.failures < limits_.limit) return false;
  e.banned_until = now + limits_.ban_s;
  e.failures = 0;
  e.window_start = now;
  return true;
}

}  // namespace sb::transports
