// register_workers.cpp: starting the REGISTER workers on shared sockets, and stopping them.
#include "gateway/sip/sofia.h"  // first: sofia's magic types

#include "gateway/registrar/register_workers.h"

#include <unistd.h>

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "gateway/engine/engine.h"
#include "gateway/registrar/register_receiver.h"
#include "gateway/sip/reuseport.h"
#include "gateway/usrloc/usrloc.h"

namespace sb::gateway {

struct RegisterWorkers::Worker {
  Engine engine;
  std::unique_ptr<RegisterReceiver> receiver;
  std::unique_ptr<Registrar> registrar;
};

std::size_t register_worker_count(long configured) {
  if (configured >= 0) return static_cast<std::size_t>(configured);
  unsigned cpus = std::thread::hardware_concurrency();
  return cpus <= 1 ? 0 : std::min<std::size_t>(cpus - 1, 8);
}

RegisterWorkers::RegisterWorkers() = default;

RegisterWorkers::~RegisterWorkers() { stop(); }

std::size_t RegisterWorkers::start(std::size_t count, SipStack& main, const Shared& shared, std::string* why) {
  join_retired();
  const auto& listeners = main.udp_listeners();
  if (count == 0 || listeners.empty()) return 0;
  // Every worker's sockets first, then the steering program (it needs the group's size). A
  // datagram arriving in the microseconds between may land in a worker's socket by the kernel's
  // hash: a request other than REGISTER is then answered 405 by that worker, a response dropped
  // (retransmitted by its sender). This happens at start-up, before the first transaction.
  std::vector<std::vector<SharedListener>> sockets(count);
  auto close_all = [&] {
    for (auto& list : sockets)
      for (auto& l : list)
        if (l.fd >= 0) ::close(std::exchange(l.fd, -1));
  };
  for (std::size_t w = 0; w < count; ++w) {
    for (const auto& [name, fd] : listeners) {
      std::string reason;
      int twin = make_reuseport_twin(fd, &reason);
      if (twin < 0 || (w + 1 == count && !steer_requests_to_first(fd, static_cast<unsigned>(count + 1), &reason))) {
        if (twin >= 0) ::close(twin);
        close_all();
        if (why) *why = fmt::format("{}: {}", name, reason);
        return 0;
      }
      sockets[w].push_back({name, twin});
    }
  }
  SipConfig sip_config = main.config();
  for (std::size_t w = 0; w < count; ++w) {
    auto worker = std::make_unique<Worker>();
    Worker* self = worker.get();
    Engine::Hooks hooks;
    hooks.start = [self, &shared, &sip_config, shared_sockets = sockets[w]](su_root_t* root) {
      self->receiver = std::make_unique<RegisterReceiver>(shared_sockets, sip_config, *shared.stats);
      self->registrar = std::make_unique<Registrar>(shared.config, *self->receiver, *shared.usrloc,
                                                    *shared.subscribers, *shared.stats);
      self->registrar->set_engine(&self->engine);
      self->registrar->set_events(shared.bus, shared.auth_failed);
      self->receiver->start(root, *self->registrar);
    };
    for (auto& l : sockets[w]) l.fd = -1;  // the receiver adopts them
    Usrloc* usrloc = shared.usrloc;
    // Replies whose commit a job reported go out when the jobs are done, in one sendmmsg.
    hooks.after_jobs = [self] {
      if (self->receiver) self->receiver->flush();
    };
    // Stopping (or retired): new REGISTERs read from its socket get 503 with Retry-After until
    // its replies waiting for a commit are sent; the socket closes with the receiver at
    // teardown (closing it sooner would leave those replies without a socket).
    hooks.begin_stop = [self] { self->receiver->set_draining(true); };
    hooks.stopped = [self, usrloc] { return usrloc->pending_replies(&self->engine) == 0; };
    hooks.teardown = [self, usrloc] {
      self->engine.run_deferred();         // replies whose commit was reported
      usrloc->fail_replies(&self->engine);  // those still waiting: 500 while the socket is open
      self->engine.run_deferred();         // reported meanwhile (the writer queues them here)
      if (self->receiver) self->receiver->flush();
      self->registrar.reset();
      self->receiver.reset();
    };
    worker->engine.set_thread_type("REGISTER worker");
    try {
      worker->engine.start(std::move(hooks));
    } catch (const EngineError& e) {
      close_all();
      stop();
      if (why) *why = fmt::format("worker {}: {}", w + 1, e.what());
      return 0;
    }
    workers_.push_back(std::move(worker));
  }
  return workers_.size();
}

void RegisterWorkers::retire() {
  for (auto& w : workers_) {
    w->engine.request_stop(std::chrono::hours(1));  // ends when its replies are sent
    retired_.push_back(std::move(w));
  }
  workers_.clear();
}

void RegisterWorkers::set_live_config(const RegistrarConfig& c) {
  for (auto& w : workers_) {
    Worker* self = w.get();
    self->engine.post([self, c] {
      if (self->registrar) self->registrar->set_live_config(c);
    });
  }
}

void RegisterWorkers::join_retired() {
  for (auto it = retired_.begin(); it != retired_.end();) {
    if ((*it)->engine.running()) {
      ++it;
      continue;
    }
    (*it)->engine.join();
    it = retired_.erase(it);
  }
}

void RegisterWorkers::request_stop() {
  for (auto& w : workers_) w->engine.request_stop(std::chrono::hours(1));  // ends when its replies are sent
}

bool RegisterWorkers::busy() const {
  auto running = [](const auto& w) { return w->engine.running(); };
  return std::any_of(workers_.begin(), workers_.end(), running) ||
         std::any_of(retired_.begin(), retired_.end(), running);
}

void RegisterWorkers::stop() {
  for (auto* list : {&workers_, &retired_}) {
    for (auto& w : *list) {
      w->engine.request_stop(std::chrono::milliseconds(0));
      w->engine.hurry();
    }
  }
  for (auto* list : {&workers_, &retired_}) {
    for (auto& w : *list) w->engine.join();
    list->clear();
  }
}

}  // namespace sb::gateway
