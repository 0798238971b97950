// signals.h: how the daemon receives SIGTERM, SIGINT and SIGHUP.
//
// Purpose: the stop signals are blocked in every thread and collected synchronously by the main
// thread with sigwaitinfo(), so no code runs in a signal handler and no other thread is ever
// interrupted by them. SIGPIPE is ignored (a client closing its reply FIFO is an EPIPE error).
// Threading: block_signals() on the main thread before any other thread is created (threads
// inherit the mask); wait_for_stop_signal() on the main thread; request_stop() from any thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>

namespace sb::gateway {

/// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (resetting inherited "ignore"
/// dispositions) and ignores SIGPIPE.
void block_signals();

struct StopSignal {
  int signo;      ///< SIGTERM or SIGINT
  pid_t sender;   ///< the sending process (0 when the kernel sent it)
};

/// Waits for SIGTERM or SIGINT. SIGHUP runs `on_hup` (the reload: reloader.h), or is logged
/// and ignored without one. While waiting, `tick` (when given) runs every `period` (the
/// watchdog's pings: service_manager.h).
StopSignal wait_for_stop_signal(const std::function<void()>& tick = {},
                                std::chrono::milliseconds period = std::chrono::milliseconds(0),
                                const std::function<void()>& on_hup = {});

/// Begins a graceful shutdown from any thread (sends SIGTERM to this process).
void request_stop();

}  // namespace sb::gateway
