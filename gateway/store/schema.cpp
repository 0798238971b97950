// schema.cpp: every table Switchboard persists, as numbered migrations (see schema.h).
#include "gateway/store/schema.h"

namespace sb::gateway {

const std::vector<std::string_view>& schema_migrations() {
  static const std::vector<std::string_view> kMigrations = {
      // 1: subscribers (HA1 hashes only, never clear passwords) and usrloc bindings.
      R"sql(
CREATE TABLE subscriber (
  username TEXT NOT NULL,
  domain   TEXT NOT NULL,
  ha1      TEXT NOT NULL,   -- MD5(username:domain:password)
  ha1b     TEXT NOT NULL,   -- MD5(username@domain:domain:password), for clients sending user@domain
  created  INTEGER NOT NULL,
  PRIMARY KEY (username, domain)
);
CREATE TABLE location (
  contact_id    INTEGER PRIMARY KEY,
  aor           TEXT NOT NULL,
  contact       TEXT NOT NULL,
  expires       INTEGER NOT NULL,  -- unix time; 0 = permanent
  q             INTEGER NOT NULL,  -- q * 1000; -1 = not given
  callid        TEXT NOT NULL,
  cseq          INTEGER NOT NULL,
  user_agent    TEXT NOT NULL,
  received      TEXT NOT NULL,
  path          TEXT NOT NULL,
  socket        TEXT NOT NULL,
  methods       INTEGER NOT NULL,
  flags         INTEGER NOT NULL,
  cflags        TEXT NOT NULL,
  instance      TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  UNIQUE (aor, contact)
);
)sql",
  };
  return kMigrations;
}

}  // namespace sb::gateway
