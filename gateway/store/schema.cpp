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
      // 2: gateway routing (issue #5): SIP accounts (trunks), dialplan rules, ports and port groups, CDRs.
      R"sql(
CREATE TABLE sip_account (
  name        TEXT PRIMARY KEY,   -- account name (berofix: the isgw.sip section name)
  address     TEXT NOT NULL,      -- peer host[:port]
  transport   TEXT NOT NULL,      -- udp | tcp
  username    TEXT NOT NULL,      -- user we present (REGISTER To/From, From of calls)
  auth_user   TEXT NOT NULL,      -- digest user; '' = username
  secret      TEXT NOT NULL,      -- digest password; needed in clear to answer challenges, never printed back
  displayname TEXT NOT NULL,
  domain      TEXT NOT NULL,      -- registrar domain / From host; '' = the host of address
  register    INTEGER NOT NULL,   -- 1 = register to the peer
  expires     INTEGER NOT NULL,   -- requested registration expiry, seconds
  matchtype   TEXT NOT NULL,      -- address | address_user | to_user: how inbound calls find the account
  options     TEXT NOT NULL,      -- JSON object of per-account options (failover_causes, channels, ...)
  created     INTEGER NOT NULL,
  modified    INTEGER NOT NULL
);
CREATE TABLE dp_rule (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,  -- stable rule id, never reused (CDRs name it)
  position     INTEGER NOT NULL,     -- evaluation order, 1 = first; first match wins
  src_kind     TEXT NOT NULL,        -- any | account | subscriber | group | port
  src_id       TEXT NOT NULL,        -- '' = any of that kind
  dest_match   TEXT NOT NULL,        -- regex on the called number
  dest_rewrite TEXT NOT NULL,        -- new called number with \0..\9 back-references; '' = unchanged
  src_match    TEXT NOT NULL,        -- regex on the calling number; '' = any
  src_rewrite  TEXT NOT NULL,
  target_kind  TEXT NOT NULL,        -- account | user | group
  target_id    TEXT NOT NULL,
  options      TEXT NOT NULL,        -- JSON object of per-rule options
  comment      TEXT NOT NULL
);
CREATE TABLE port (
  number   INTEGER PRIMARY KEY,      -- the port number (berofix: bl3, pr3)
  driver   TEXT NOT NULL,            -- virtual | sip
  channels INTEGER NOT NULL,         -- concurrent calls it can carry
  blocked  INTEGER NOT NULL,         -- 1 = takes no new calls (kept across restarts)
  label    TEXT NOT NULL,
  options  TEXT NOT NULL             -- JSON object, driver specific
);
CREATE TABLE port_group (
  name  TEXT PRIMARY KEY,
  ports TEXT NOT NULL,               -- comma-separated port numbers, in hunting order
  hunt  TEXT NOT NULL                -- linear | roundrobin
);
CREATE TABLE cdr (
  id          INTEGER PRIMARY KEY,
  call_id     INTEGER NOT NULL,      -- the call's id in call_list
  start_ms    INTEGER NOT NULL,      -- unix ms
  answer_ms   INTEGER NOT NULL,      -- 0 = never answered
  end_ms      INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,      -- answer to end
  source      TEXT NOT NULL,         -- kind:id of the caller side
  caller      TEXT NOT NULL,
  called      TEXT NOT NULL,
  new_caller  TEXT NOT NULL,
  new_called  TEXT NOT NULL,
  target      TEXT NOT NULL,         -- kind:id of the side that took the call
  rule_id     INTEGER NOT NULL,      -- 0 = no rule matched
  sip_code    INTEGER NOT NULL,
  cause       INTEGER NOT NULL,      -- Q.850
  reason      TEXT NOT NULL,
  legs        TEXT NOT NULL          -- JSON array: one object per leg tried
);
CREATE INDEX cdr_start ON cdr (start_ms);
)sql",
      // 3: configuration revisions (issue #13): the last N whole documents, secrets included.
      R"sql(
CREATE TABLE config_revision (
  revision INTEGER PRIMARY KEY,      -- 1, 2, …: the ETag of GET /api/v1/config
  created  INTEGER NOT NULL,         -- unix time
  source   TEXT NOT NULL,            -- the command that made it (config_import, subscriber_add, …)
  document TEXT NOT NULL             -- the whole configuration document after it (JSON)
);
)sql",
      // 4: a version per subscriber and account, bumped by every write (issue #13: the REST
      // ETag changes when only a password or secret does, which the representation never shows).
      R"sql(
ALTER TABLE subscriber ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE sip_account ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
)sql",
      // 5: the location table clustered by AOR (issue #16): a REGISTER's rows live in one
      // B-tree page (one WAL frame per change instead of a table page plus an index page).
      R"sql(
CREATE TABLE location_by_aor (
  contact_id    INTEGER NOT NULL,
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
  PRIMARY KEY (aor, contact)
) WITHOUT ROWID;
INSERT INTO location_by_aor SELECT * FROM location;
DROP TABLE location;
ALTER TABLE location_by_aor RENAME TO location;
)sql",
  };
  return kMigrations;
}

}  // namespace sb::gateway
