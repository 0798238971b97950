// text_request.h: the SER / OpenSIPS-2 text request codec shared by the FIFO and datagram
// transports (spec/wire.md §3).
//
//   :<cmd>:<reply_name>\n   then one param per line, ended by a line empty after trimming.
// The reply name is what follows the last ':' (so `:core:uptime:r` calls `core:uptime`).
// Params are positional, or all `name::value` (named; `name::` alone leaves it absent); values
// are trimmed on both sides. `.` alone means an empty value. Params the
// command declares as TextBlock::line_set (headers) take lines up to an empty line or `.`;
// TextBlock::body params take lines up to `.` only; both are joined with CRLF (each body line
// ends with CRLF). The command's layout comes from Dispatcher::text_layout().
// Threading: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mi/command.h"

namespace sb::mi {

struct TextCommandLine {
  std::string command;
  std::string reply_name;  ///< may be empty (no reply)
};

/// Parses the first line (without its newline). Errors are parse errors (400).
std::variant<TextCommandLine, Error> parse_text_command_line(std::string_view line);

struct TextParams {
  enum class Status { complete, incomplete, error };
  Status status = Status::incomplete;
  std::size_t consumed = 0;  ///< bytes of `text` used, terminator line included (when complete)
  Value params;              ///< null (none), array (positional) or object (named)
  std::optional<Error> error;
};

/// Parses the params that follow the first line. `at_end` = no more bytes will come (one
/// datagram): the end of `text` then ends the request.
TextParams parse_text_params(std::string_view text, const std::vector<TextBlock>& layout,
                             std::string_view command, bool at_end);

}  // namespace sb::mi
