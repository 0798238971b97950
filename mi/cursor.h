// cursor.h: opaque paging cursors (REST `cursor`, the list commands' `next_cursor`).
//
// Purpose: a list command pages by key (keyset paging: stable while rows are inserted) and
// hands out the last key it returned as a cursor; the client gives it back unchanged. Encoded
// as hex of the key parts, so it is URL-safe and no client is tempted to build one.
// Threading: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sb::mi {

/// The cursor of a key made of these parts (no part may hold a NUL byte).
std::string make_cursor(const std::vector<std::string>& parts);
/// The parts of a cursor make_cursor() gave with `count` parts; nullopt when it is not one.
std::optional<std::vector<std::string>> read_cursor(std::string_view cursor, std::size_t count);

}  // namespace sb::mi
