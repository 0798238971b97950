// dispatcher.h: the single entry point every transport calls.
//
// Purpose: Dispatcher::call(request, done): resolve the name (or `module:name`) → check the
// caller's rights against the spec flags → bind and coerce params → run the handler on a worker
// (or on the engine thread for `engine` commands) → record per-command statistics (group `mi`) →
// complete exactly once, with 408 when the call outlives its timeout.
// Threading: call() from any thread; it runs a handler on the caller's thread only for commands
// declared kInline (cheap and non-blocking by contract), never blocks on anything else. `done` runs exactly once, on a worker, the engine thread, the timer thread or (for
// errors found before dispatch: unknown command, bad params) on the caller's thread.
// Lifetime: the Dispatcher must outlive every Completion it handed out — stop the engine and
// the transports (which hold async calls) before destroying it.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "mi/command.h"
#include "mi/registry.h"
#include "mi/reply_validator.h"
#include "mi/statistics.h"
#include "mi/timer.h"
#include "mi/worker_pool.h"

namespace sb::mi {

/// A decoded request, transport-neutral.
struct Request {
  std::string method;
  Value params;  ///< null (none), array (positional) or object (named)
  Caller caller;
  bool case_insensitive = false;  ///< SER text dialect: look the name up case-insensitively
  /// Optional: runs where the handler runs (a worker or the engine thread), just before it, in
  /// the same step; an Error it returns is the answer and the handler does not run. REST checks
  /// If-Match this way, so no other engine command can change the resource in between.
  std::function<std::optional<Error>()> precondition{};
};

/// Runs jobs on another thread (the SIP engine's queue implements it in gateway/).
class Executor {
 public:
  virtual ~Executor() = default;
  virtual bool post(std::function<void()> job) = 0;
};

struct DispatcherOptions {
  std::size_t min_workers = 2;
  std::size_t max_workers = 64;
  std::chrono::milliseconds call_timeout{60'000};
  /// Check every successful reply against its command's reply schema; a mismatch is answered
  /// 500 and logged (core.validate_replies: on in every test daemon, off in production).
  bool validate_replies = false;
};

class Dispatcher {
 public:
  using Done = std::function<void(Result)>;

  Dispatcher(Registry& registry, Statistics& stats, DispatcherOptions options = {});
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void call(Request request, Done done);
  /// Blocking convenience for in-process callers and tests.
  Result call_sync(Request request);

  /// Text-dialect framing of a command's params (t_uac_dlg blocks); empty when unknown.
  std::vector<TextBlock> text_layout(std::string_view name) const;

  /// Called after every successful call of a kConfig command, on the thread that ran its
  /// handler (the engine thread), before the reply: the configuration's revision history.
  /// Set before serving.
  void set_config_hook(std::function<void(const CommandSpec&)> hook);

  /// The executor for `engine` commands; without one they answer 503.
  void set_engine(Executor* engine);

  /// Graceful shutdown: refuse new calls (503), then wait up to `deadline` for in-flight ones.
  void stop_accepting();
  bool wait_idle(std::chrono::milliseconds deadline);
  /// Stops the workers and the timer (after wait_idle). Idempotent.
  void stop();

  std::size_t in_flight() const { return in_flight_.load(); }
  const Registry& registry() const { return registry_; }
  Statistics& statistics() { return stats_; }
  const DispatcherOptions& options() const { return options_; }

 private:
  struct CommandStats {
    Stat* calls;
    Stat* errors;
    Stat* latency_us;  ///< `mi:<cmd>_latency_total_us`: sum of call latencies (µs)
    Stat* latency_max_us;
    std::shared_ptr<const ReplyValidator> validator;  ///< set when validate_replies
  };
  const CommandStats& stats_for(const CommandSpec& spec);
  void finish_error(const Request& req, Error e, const Done& done);
  void run(const CommandSpec& spec, Args args, Completion completion,
           const std::function<std::optional<Error>()>& precondition);

  Registry& registry_;
  Statistics& stats_;
  DispatcherOptions options_;
  WorkerPool workers_;
  Timer timer_;
  std::atomic<Executor*> engine_{nullptr};
  std::function<void(const CommandSpec&)> config_hook_;
  std::atomic<bool> accepting_{true};
  Stat& in_flight_stat_;  ///< `mi:in_flight`, kept equal to in_flight_
  std::atomic<std::size_t> in_flight_{0};
  std::mutex idle_mu_;
  std::condition_variable idle_cv_;
  std::shared_mutex stats_mu_;
  std::unordered_map<const CommandSpec*, CommandStats> command_stats_;
  Stat& calls_;
  Stat& errors_;
  Stat& timeouts_;
  Stat& unknown_;
  std::size_t listener_ = 0;
};

}  // namespace sb::mi
