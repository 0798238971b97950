// engine_slices.cpp: one engine job per slice, waited for by the transport's thread.
#include "gateway/engine/engine_slices.h"

#include <future>
#include <memory>
#include <stdexcept>

#include "gateway/engine/engine.h"

namespace sb::gateway {

EngineSlices::EngineSlices(Engine& engine, Slice slice, std::chrono::milliseconds timeout)
    : engine_(engine), slice_(std::move(slice)), timeout_(timeout) {}

bool EngineSlices::next(std::vector<mi::Value>& out) {
  if (done_) return false;
  if (engine_.on_engine_thread()) {
    done_ = !slice_(cursor_, out);
    return !done_;
  }
  struct Job {
    std::promise<bool> more;
    std::string cursor;
    std::vector<mi::Value> items;
  };
  auto job = std::make_shared<Job>();
  job->cursor = cursor_;
  std::future<bool> more = job->more.get_future();
  // A slice is a management job like any other: refused when the engine's queue is full or
  // it is stopping (the reply then ends early).
  if (!engine_.post([job, slice = slice_] {
        try {
          job->more.set_value(slice(job->cursor, job->items));
        } catch (...) {
          job->more.set_exception(std::current_exception());
        }
      }))
    throw std::runtime_error("the SIP engine refused the next slice (stopping, or sip.max_queue reached)");
  if (more.wait_for(timeout_) != std::future_status::ready)
    throw std::runtime_error("the SIP engine did not produce the next slice in time");
  done_ = !more.get();  // rethrows what the slice threw
  cursor_ = std::move(job->cursor);
  for (mi::Value& v : job->items) out.push_back(std::move(v));
  return !done_;
}

}  // namespace sb::gateway
