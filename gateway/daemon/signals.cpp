// signals.cpp: see signals.h. Threading: main thread, except request_stop() (any thread).
#include "gateway/daemon/signals.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include <spdlog/spdlog.h>

namespace sb::gateway {

namespace {
sigset_t handled_set() {
  sigset_t set;
  ::sigemptyset(&set);
  ::sigaddset(&set, SIGTERM);
  ::sigaddset(&set, SIGINT);
  ::sigaddset(&set, SIGHUP);
  return set;
}
}  // namespace

void block_signals() {
  sigset_t set = handled_set();
  if (int rc = ::pthread_sigmask(SIG_BLOCK, &set, nullptr); rc != 0)
    throw std::system_error(rc, std::generic_category(), "pthread_sigmask");
  // An ignored signal is discarded even while blocked, and a launcher may have left them ignored
  // (a shell's `daemon &` ignores SIGINT, nohup ignores SIGHUP): restore the defaults so that
  // sigwaitinfo() sees them. Blocked, the default actions never run.
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) ::signal(sig, SIG_DFL);
  ::signal(SIGPIPE, SIG_IGN);
}

StopSignal wait_for_stop_signal(const std::function<void()>& tick, std::chrono::milliseconds period,
                                const std::function<void()>& on_hup) {
  sigset_t set = handled_set();
  const bool ticking = tick && period.count() > 0;
  timespec timeout{static_cast<time_t>(period.count() / 1000), static_cast<long>(period.count() % 1000) * 1'000'000};
  for (;;) {
    siginfo_t info{};
    int sig = ticking ? ::sigtimedwait(&set, &info, &timeout) : ::sigwaitinfo(&set, &info);
    if (sig < 0) {
      if (errno == EAGAIN && ticking) {
        tick();
        continue;
      }
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "sigwaitinfo");
    }
    if (sig == SIGHUP && on_hup) {
      spdlog::info("SIGHUP from pid {}: reloading the configuration", info.si_pid);
      on_hup();
      continue;
    }
    if (sig == SIGHUP) {
      spdlog::info("SIGHUP from pid {} ignored (configuration reload is not supported)",
                   info.si_pid);
      continue;
    }
    return StopSignal{sig, info.si_pid};
  }
}

void request_stop() { ::kill(::getpid(), SIGTERM); }

}  // namespace sb::gateway
