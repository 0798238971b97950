// reloader.h: `reload` and SIGHUP — the configuration file is read again (with the command
// line's --set overrides, which still win), checked whole, and each key declared `live` whose
// value changed is applied by its component (Component::reload); every other changed key is
// reported as needing a restart and keeps its running value. A file with an error changes
// nothing: the error is the answer.
//
// Threading: reload() and on_signal() on the main thread (the components' reload runs there,
// like their start); request() from any thread (the `reload` command): it sends SIGHUP to the
// daemon and waits for the main thread's answer.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/component/component.h"
#include "gateway/config/config.h"
#include "mi/value.h"

namespace sb::gateway {

class Reloader {
 public:
  /// `running`: the configuration the daemon started with; `components`: the started ones.
  Reloader(std::string file, std::vector<std::string> overrides, Config running, std::vector<Component*> components);

  /// Main thread: {"applied": [keys], "restart_needed": [keys]}; throws std::runtime_error
  /// (ConfigError) when the file cannot be read or is invalid.
  mi::Value reload();
  /// Main thread, on SIGHUP: reload(), logged, and the answer handed to waiting request()s.
  void on_signal();
  /// Any thread: reload through the main thread (SIGHUP), waiting at most `timeout`.
  mi::Value request(std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  std::string file_;
  std::vector<std::string> overrides_;
  Config running_;
  std::vector<Component*> components_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t asked_ = 0;  ///< request()s so far
  std::uint64_t done_ = 0;   ///< request()s answered (by the last on_signal)
  mi::Value last_;
  std::string last_error_;
};

}  // namespace sb::gateway
