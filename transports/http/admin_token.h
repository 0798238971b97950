// admin_token.h: the admin token a first start creates when no HTTP credential is configured
// (http.admin_token), so that a new user can log in to the web panel without editing the
// configuration first (as Jupyter and Grafana do). The token lives in a 0600 file next to the
// database; the log says where, never what.
// Threading: called once at start-up, before the HTTP host serves.
#pragma once

#include <optional>
#include <string>

#include "transports/http/http_config.h"

namespace sb::transports {

/// `<directory of core.db>/admin-token`; empty when the database is in memory (core.db empty).
std::string admin_token_path(const std::string& db_path);

/// Reads the token in `path`, or creates the file (mode 0600, O_EXCL, 32 random bytes as
/// base64url) when it is missing. Refuses (nullopt, `why` says so) a symbolic link, a file
/// others may read or write, or one that does not hold a token.
std::optional<HttpCredential> load_or_create_admin_token(const std::string& path, bool* created,
                                                         std::string* why);

}  // namespace sb::transports
