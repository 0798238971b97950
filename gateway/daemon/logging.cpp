// logging.cpp: see logging.h. Threading: set-up on the main thread; logging from any thread.
#include "gateway/daemon/logging.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace sb::gateway {

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) {
  using spdlog::level::level_enum;
  if (name == "trace") return level_enum::trace;
  if (name == "debug") return level_enum::debug;
  if (name == "info") return level_enum::info;
  if (name == "warn" || name == "warning") return level_enum::warn;
  if (name == "error") return level_enum::err;
  if (name == "critical") return level_enum::critical;
  if (name == "off") return level_enum::off;
  return std::nullopt;
}

void setup_logging(const std::string& file, std::string_view level) {
  auto lvl = parse_log_level(level);
  if (!lvl) throw std::runtime_error(fmt::format("'{}' is not a log level", level));
  spdlog::sink_ptr sink;
  if (file.empty()) {
    sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  } else {
    // Open it once ourselves: a precise error message (spdlog's does not name the errno), a
    // new log created 0600 (it names users, addresses and commands), and no symlink followed
    // (a link planted where the log goes would make us append to any file we can write).
    int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
      throw std::runtime_error(fmt::format(
          "cannot open the log file {}: {}", file,
          errno == ELOOP ? "it is a symbolic link (refused: point core.log_file at the file itself)"
                         : std::strerror(errno)));
    ::close(fd);
    try {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(file, false);
    } catch (const spdlog::spdlog_ex& e) {
      throw std::runtime_error(fmt::format("cannot open the log file {}: {}", file, e.what()));
    }
  }
  auto logger = std::make_shared<spdlog::logger>("switchboard", std::move(sink));
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e [%^%l%$] [tid %t] %v");
  logger->set_level(*lvl);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace sb::gateway
