// location_table.h: the SQL of the `location` table in one place — rewrite one AOR's rows,
// delete expired rows, read rows back (the start-up load, and the restore after a failed
// group commit). Used by Usrloc on the engine's connection and by LocationWriter on its own.
//
// Threading: none of its own; each call uses the Database (connection) it is given, on that
// connection's thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sb::gateway {

class Database;
struct Contact;

/// Replaces the rows of `aor` with `contacts` (none: the AOR's rows go). `fresh`: the AOR had
/// no bindings (memory mirrors the table), so there is nothing to delete first — a new AOR
/// costs one B-tree insert per binding instead of a search and the inserts (INSERT OR REPLACE
/// all the same, should a row be left over). Inside the caller's transaction; throws StoreError.
void write_location_rows(Database& db, const std::string& aor, const std::vector<Contact>& contacts,
                         bool fresh = false);
/// Deletes every row whose expiry is ≤ now (permanent rows stay).
void delete_expired_location_rows(Database& db, std::int64_t now);
/// Every row of `aor` (empty: of every AOR), ordered by AOR then contact id.
std::vector<Contact> read_location_rows(Database& db, const std::string& aor = {});

}  // namespace sb::gateway
