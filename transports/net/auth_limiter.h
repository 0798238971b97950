// auth_limiter.h: per source IP rate limit of authentication failures (as Kamailio's pike /
// fail2ban do it, inside the daemon), shared by everything that checks credentials: SIP digest
// (the registrar: REGISTERs and authenticated INVITEs get 403 while banned), HTTP (429) and the
// monitor's `login` (through AuthThrottle, auth_throttle.h). After `limit` failures within
// `window_s` seconds from one IP, that IP is banned for `ban_s` seconds, whatever it sends.
// The table holds at most `max_entries` addresses; when full, the least recently seen one is
// forgotten (never unbounded memory).
//
// Threading: not synchronised (the registrar uses it on the engine thread only; AuthThrottle
// wraps it in a mutex for the transports' threads).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>

namespace sb::transports {

struct AuthLimits {
  std::int64_t limit = 10;          ///< failures before a ban; 0 = never ban
  std::int64_t window_s = 60;
  std::int64_t ban_s = 60;
  std::size_t max_entries = 4096;
};

class AuthLimiter {
 public:
  explicit AuthLimiter(AuthLimits limits);
  /// True when `ip` is banned at `now`.
  bool banned(const std::string& ip, std::int64_t now);
  /// Counts a failure from `ip`; true when it starts a ban.
  bool failed(const std::string& ip, std::int64_t now);
  /// Until when `ip` is banned (0: not banned, or unknown).
  std::int64_t banned_until(const std::string& ip) const;
  /// Failures counted for `ip` in its current window.
  std::int64_t failures(const std::string& ip) const;
  std::size_t size() const { return map_.size(); }

 private:
  struct Entry {
    std::int64_t window_start = 0;
    std::int64_t failures = 0;
    std::int64_t banned_until = 0;
    std::list<std::string>::iterator lru;
  };
  Entry& touch(const std::string& ip);

  AuthLimits limits_;
  std::list<std::string> lru_;  ///< front = most recently seen
  std::unordered_map<std::string, Entry> map_;
};

}  // namespace sb::transports
