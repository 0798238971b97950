// logging.h: the daemon's spdlog set-up (core.log_level, core.log_file).
//
// Purpose: one default logger for the whole process, writing to standard error or appending to
// a file, with the pattern `2026-01-01 10:00:00.123 [info] [tid 1234] message`.
// Threading: call setup_logging() on the main thread before any other thread exists and before
// anything is logged (spdlog caches each thread's id on first use, so log nothing before a
// fork); afterwards the logger is thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <spdlog/common.h>

namespace sb::gateway {

/// trace|debug|info|warn|error|critical|off (also spdlog's "warning"); nullopt otherwise.
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

/// Installs the default logger: standard error when `file` is empty, else appends to `file`
/// (flushed after every message). Throws std::runtime_error naming the file when it cannot be
/// opened, or when `level` is not a log level.
void setup_logging(const std::string& file, std::string_view level);

}  // namespace sb::gateway
