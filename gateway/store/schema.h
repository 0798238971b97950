// schema.h: the SQLite schema as an ordered list of migrations. Migration N (1-based) brings
// the database from version N-1 to N; a released migration is never edited, only appended to.
#pragma once

#include <string_view>
#include <vector>

namespace sb::gateway {

const std::vector<std::string_view>& schema_migrations();

}  // namespace sb::gateway
