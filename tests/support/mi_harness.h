// mi_harness.h: the real command core for in-process tests — a Registry, Statistics and a
// Dispatcher over them — and call(), one synchronous request as a test operator would send it.
// Fixtures inherit it next to ::testing::Test and register the commands they test.
// Threading: call() blocks the calling thread until the command's reply (any executor).
#pragma once

#include <string>
#include <utility>

#include "mi/dispatcher.h"
#include "mi/registry.h"
#include "mi/statistics.h"

namespace sb::test {

struct MiHarness {
  /// Replies are always checked against their commands' reply schemas (a mismatch is a 500).
  explicit MiHarness(mi::DispatcherOptions options = {})
      : dispatcher_(registry_, stats_, validating(options)) {}

  mi::Registry registry_;
  mi::Statistics stats_;
  mi::Dispatcher dispatcher_;

  /// Runs `method` with `params` as a caller with `role` (admin by default) and returns its result.
  mi::Result call(const std::string& method, mi::Value params = nullptr, mi::Role role = mi::Role::admin) {
    return dispatcher_.call_sync(mi::Request{method, std::move(params), {"test", "t", role}, false});
  }

 private:
  static mi::DispatcherOptions validating(mi::DispatcherOptions o) {
    o.validate_replies = true;
    return o;
  }
};

}  // namespace sb::test
