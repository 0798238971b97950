// register_workers.h: REGISTER on more than one core. Each worker is an engine thread (engine.h)
// with a receiver (register_receiver.h: batched UDP reads and writes, sofia-sip's parser) and a
// registrar of its own, reading the main engine's UDP listeners
// through an SO_REUSEPORT group (reuseport.h): the kernel hands each REGISTER to one of the
// workers' sockets at random (never the main engine's), and every other datagram to the main
// engine's socket, so transactions, calls and OPTIONS stay on the main engine. Two REGISTERs of
// one client may then be handled at once on two threads, as by Kamailio's UDP workers: each
// save is atomic under usrloc's lock, and a retransmission (same Call-ID and CSeq) is answered
// with the bindings as on one thread.
// The workers share usrloc (its lock covers each save; a 200 waiting for a commit is sent by
// the worker that received the REGISTER) and the statistics.
//
// Not started (the main engine alone answers REGISTER) without a UDP listener, and with
// registrar.auth on: the digest nonces and the failure limiter live in the main engine's
// registrar.
//
// Threading: start/request_stop/busy/stop on the main engine's thread; each worker's objects on
// its own thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "gateway/registrar/registrar.h"
#include "gateway/sip/sip_stack.h"

namespace sb::gateway {

class Engine;

class RegisterWorkers {
 public:
  /// What each worker's registrar shares with the main engine's.
  struct Shared {
    RegistrarConfig config;
    Usrloc* usrloc = nullptr;
    Subscribers* subscribers = nullptr;
    mi::Statistics* stats = nullptr;
    mi::EventBus* bus = nullptr;
    const mi::EventSpec* auth_failed = nullptr;
  };

  RegisterWorkers();
  ~RegisterWorkers();  ///< stop()
  RegisterWorkers(const RegisterWorkers&) = delete;
  RegisterWorkers& operator=(const RegisterWorkers&) = delete;

  /// Starts `count` workers on `main`'s UDP listeners. Returns how many run; when the kernel
  /// refuses the socket group or a worker cannot start, `*why` says so and none runs.
  std::size_t start(std::size_t count, SipStack& main, const Shared& shared, std::string* why);
  /// Graceful stop begins: new REGISTERs get 503; each worker ends once its replies waiting
  /// for a commit are sent.
  void request_stop();
  /// Workers leave (`reload` turned auth on): each sends its replies still waiting for a commit
  /// (meanwhile answering new REGISTERs 503 with Retry-After) and ends, closing its socket: the
  /// kernel then hands every REGISTER to the engine. Joined by stop() or the next start().
  /// Returns at once.
  void retire();
  /// `reload`: each worker's registrar takes the live keys of `c` (on its thread, soon after).
  void set_live_config(const RegistrarConfig& c);
  /// A worker still runs (retired ones included).
  bool busy() const;
  /// Ends every worker now (its replies still waiting for a commit answer 500) and joins it.
  void stop();
  std::size_t size() const { return workers_.size(); }  ///< running, not retired

 private:
  void join_retired();
  struct Worker;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<Worker>> retired_;  ///< ending after retire()
};

/// registrar.workers resolved: -1 = one per CPU beyond the first (at most 8), else itself.
std::size_t register_worker_count(long configured);

}  // namespace sb::gateway
