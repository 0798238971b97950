// event_raise.cpp: what raising the E_UL_* events costs the SIP engine thread per REGISTER
// (issue #14: "the engine must not slow down by more than 5 % with 4 consumers"), measured
// apart from the CPU the consumers and the client take on a shared machine: the thread CPU time
// (CLOCK_THREAD_CPUTIME_ID) of Usrloc's own event path for a re-registration — the old
// binding moved into `before`, UsrlocEvents::changed() copying the new one into an
// E_UL_CONTACT_REFRESH for the bus — with 4 sinks attached, against the same path with no
// listener (then Usrloc skips it). Built on demand (ninja -C build bench_event_raise) by
// bench/events, which prints it next to the engine's measured CPU per REGISTER.
// Usage: bench_event_raise [iterations]   → one line: "raise_us_per_register=<us> ..."
#include <time.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "gateway/usrloc/usrloc.h"
#include "gateway/usrloc/usrloc_events.h"
#include "mi/event_bus.h"
#include "mi/event_registry.h"
#include "mi/statistics.h"

namespace {

double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/// A consumer that takes the event and lets it go (the bus's thread runs it, not the raiser).
struct CountingSink : sb::mi::EventSink {
  std::atomic<std::uint64_t> n{0};
  void offer(const sb::mi::EventPtr&) override { n.fetch_add(1, std::memory_order_relaxed); }
};

sb::gateway::Contact binding(int i) {
  sb::gateway::Contact c;
  c.id = 1;
  c.aor = "user" + std::to_string(i) + "@bench.test";
  c.uri = "sip:user" + std::to_string(i) + "@127.0.0.1:40000;transport=udp";
  c.expires = 1'900'000'000;
  c.callid = "a84b4c76e66710-bench-" + std::to_string(i) + "@127.0.0.1";
  c.cseq = 1;
  c.user_agent = "regbench/1.0 (bench)";
  c.received = "sip:127.0.0.1:40000";
  c.socket = "udp:127.0.0.1:5060";
  return c;
}

/// µs of this thread's CPU per call of the engine's event path (a refresh of one binding). The
/// clock is read once per batch (reading a thread's CPU time is a system call here).
double measure(sb::mi::EventBus& bus, const sb::gateway::UsrlocEvents& events, int iterations) {
  const int batch = 4000;  // under events.bus_queue (8192): nothing is dropped, every event is queued
  double spent = 0;
  for (int done = 0; done < iterations; done += batch) {
    std::vector<std::string> aors;
    std::vector<std::vector<sb::gateway::Contact>> befores, afters;
    for (int i = 0; i < batch; ++i) {
      befores.push_back({binding(done + i)});
      afters.push_back(befores.back());
      afters.back().front().cseq = 2;
      afters.back().front().expires += 60;
      aors.push_back(befores.back().front().aor);
    }
    double c0 = thread_cpu_us();
    for (int i = 0; i < batch; ++i) {
      if (!events.wanted()) continue;  // what Usrloc::put does
      events.changed(aors[i], std::move(befores[i]), afters[i], "", {});
    }
    spent += thread_cpu_us() - c0;
    bus.flush(std::chrono::seconds(10));  // the bus's thread catches up (not this thread's CPU)
  }
  return spent / iterations;
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = argc > 1 ? std::atoi(argv[1]) : 200'000;
  sb::mi::Statistics stats;
  sb::mi::EventRegistry registry;
  sb::gateway::UsrlocEvents events(registry);
  sb::mi::EventBus bus(registry, stats);
  events.attach(&bus);

  // Warm up the allocator and the caches, then: no listener, 4 sinks.
  measure(bus, events, 20'000);
  double idle = measure(bus, events, iterations);
  std::vector<std::shared_ptr<CountingSink>> sinks;
  std::vector<const sb::mi::EventSpec*> ul;
  std::string why;
  for (const sb::mi::EventSpec* e : registry.match("E_UL_*", &why)) ul.push_back(e);
  for (int i = 0; i < 4; ++i) {
    sinks.push_back(std::make_shared<CountingSink>());
    bus.attach(ul, sinks.back());
  }
  measure(bus, events, 20'000);
  double listened = measure(bus, events, iterations);
  std::uint64_t offered = 0;
  for (auto& s : sinks) offered += s->n.load();
  std::printf("raise_us_per_register=%.3f no_listener_us=%.3f iterations=%d offered=%llu bus_dropped=%lld\n",
              listened, idle, iterations, static_cast<unsigned long long>(offered),
              static_cast<long long>(stats.counter("events", "bus_dropped").get()));
  return 0;
}
