// subscribers.h: local SIP subscribers (username@domain) for digest authentication, in SQLite.
// Only HA1 hashes are stored (ha1 = MD5(user:domain:password), ha1b = MD5(user@domain:domain:
// password)); clear passwords are never stored nor printed.
//
// Threading: engine thread only (it uses the engine's database connection).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mi/statistics.h"

namespace sb::gateway {

class Database;

struct Subscriber {
  std::string username;
  std::string domain;
  std::string ha1;
  std::string ha1b;
  std::int64_t created = 0;
  std::int64_t version = 1;  ///< bumped by every write (the REST ETag follows it)
};

/// Empty when `s` may be a subscriber's user (domain = false) or domain name part, else why not.
std::string subscriber_name_problem(const std::string& s, bool domain);

class Subscribers {
 public:
  explicit Subscribers(Database& db);
  /// False when it already exists. Throws StoreError.
  bool add(const std::string& username, const std::string& domain, const std::string& password,
           std::int64_t now);
  /// False when there was no such subscriber.
  bool remove(const std::string& username, const std::string& domain);
  /// Replaces the stored hashes; false when there is no such subscriber. Throws StoreError.
  bool set_password(const std::string& username, const std::string& domain, const std::string& password);
  std::optional<Subscriber> find(const std::string& username, const std::string& domain);
  std::vector<Subscriber> list();
  /// At most `limit` subscribers after (domain, username) `after` (none: from the first), in
  /// (domain, username) order.
  std::vector<Subscriber> page(const std::optional<std::pair<std::string, std::string>>& after,
                               std::size_t limit);

 private:
  Database& db_;
};

}  // namespace sb::gateway
