// engine_slices.h: an mi::ItemSource (mi/stream.h) over state only the engine thread may touch —
// each slice of a streamed reply (ul_dump's AORs) is collected by a job on the engine thread, so
// a long dump never holds the engine for more than one slice and REGISTERs are answered between
// slices. A slice resumes after the key the previous one ended with, so the table may change
// between slices (as with OpenSIPS's per-slot locking, a dump is not one snapshot: an entry
// changed during the dump appears as it was when its slice was taken).
//
// Threading: next() from one thread at a time (the transport's writer); the slice function runs
// on the engine thread (inline when next() is called there, e.g. a transport that drains the
// whole reply where the handler ran).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "mi/stream.h"

namespace sb::gateway {

class Engine;

class EngineSlices final : public mi::ItemSource {
 public:
  /// Engine thread: appends the items after `cursor` (empty: from the first) to `out`, at most
  /// one slice, and moves `cursor` to the last one's key; false when there were none left.
  /// Throws to end the reply early (the service is gone).
  using Slice = std::function<bool(std::string& cursor, std::vector<mi::Value>& out)>;

  EngineSlices(Engine& engine, Slice slice, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  bool next(std::vector<mi::Value>& out) override;

 private:
  Engine& engine_;
  Slice slice_;
  std::chrono::milliseconds timeout_;
  std::string cursor_;
  bool done_ = false;
};

}  // namespace sb::gateway
