// sip_gateway.cpp: building the engine modules on the engine thread, in order, and tearing them
// down in reverse; the engine's queue bound and graceful stop.
#include "gateway/sip/sofia.h"  // first: sofia's magic types

#include "gateway/engine/sip_gateway.h"

#include "gateway/provisioning/config_revisions.h"

#include <future>
#include <memory>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "gateway/daemon/service_manager.h"
#include "gateway/engine/engine_modules.h"
#include "gateway/sip/sip_stack.h"

namespace sb::gateway {

namespace {
void on_heartbeat(void* /*root magic*/, su_timer_t* /*t*/, void* /*arg*/) { service::engine_heartbeat().beat(); }
}  // namespace

SipGateway::SipGateway(mi::Statistics& stats, mi::EventBus& events)
    : stats_(stats), events_(events), modules_(make_engine_modules()) {}

// The dispatcher may already be gone here (early start-up failure): only the engine is stopped.
SipGateway::~SipGateway() { engine_.stop(std::chrono::milliseconds(0)); }

void SipGateway::declare(ConfigSchema& schema) {
  for (const auto& m : make_engine_modules())
    if (const ConfigSection* s = m->config_section()) schema.add(*s);
}

void SipGateway::configure(const Config& cfg) {
  max_queue_ = static_cast<std::size_t>(cfg.get_int("sip.max_queue"));
  for (const auto& m : modules_) m->configure(cfg);
}

void SipGateway::register_commands(mi::Registry& registry) {
  for (const auto& m : modules_) m->register_commands(registry, services_);
}

void SipGateway::build(su_root_t* root) {
  root_ = root;
  services_.engine = &engine_;
  EngineContext ctx{root, engine_, stats_, services_, events_};
  for (const auto& m : modules_) {
    ++built_;  // a module that throws half-built is torn down too (teardown handles it)
    m->build(ctx);
  }
  for (const auto& m : modules_) m->link(ctx);
  listening_ = services_.sip ? services_.sip->listening() : std::vector<std::string>{};
  std::string summary = "listening on ";
  for (const auto& l : listening_) summary += (&l == &listening_.front() ? "" : ", ") + l;
  for (const auto& m : modules_)
    if (std::string s = m->summary(); !s.empty()) summary += "; " + s;
  spdlog::info("sip: {}", summary);
  // The watchdog's proof that this loop turns (service_manager.h).
  auto period = service::heartbeat_period(service::watchdog_interval());
  heartbeat_ = su_timer_create(su_root_task(root), static_cast<su_duration_t>(period.count()));
  if (!heartbeat_ || su_timer_run(heartbeat_, &on_heartbeat, nullptr) < 0)
    throw std::runtime_error("cannot start the engine's heartbeat timer");
  service::engine_heartbeat().start();
}



void SipGateway::teardown() {
  service::engine_heartbeat().stop();
  if (heartbeat_) su_timer_destroy(heartbeat_);
  heartbeat_ = nullptr;
  // Reverse order, twice: first every module ends what still runs (calls, transactions,
  // listeners), then each is destroyed while the ones it uses still exist.
  for (std::size_t i = built_; i-- > 0;) {
    modules_[i]->quiesce();
    engine_.run_deferred();
  }
  for (std::size_t i = built_; i-- > 0;) modules_[i]->teardown(services_);
  built_ = 0;
  services_ = SipServices{};
}

void SipGateway::reload(const Config& cfg) {
  auto done = std::make_shared<std::promise<void>>();
  auto result = done->get_future();
  bool posted = engine_.post([this, &cfg, done] {
    try {
      EngineContext ctx{root_, engine_, stats_, services_, events_};
      for (std::size_t i = 0; i < built_; ++i) modules_[i]->reload(cfg, ctx);
      done->set_value();
    } catch (...) {
      done->set_exception(std::current_exception());
    }
  });
  if (!posted) throw std::runtime_error("the SIP engine is not running or its queue is full");
  result.get();  // cfg outlives the job: this waits for it
}

void SipGateway::start(mi::Dispatcher& dispatcher) {
  engine_.set_max_queue(max_queue_, &stats_.counter("engine", "queue_rejected"));
  Engine::Hooks hooks;
  hooks.start = [this](su_root_t* root) { build(root); };
  hooks.begin_stop = [this] {
    for (std::size_t i = 0; i < built_; ++i) modules_[i]->begin_stop();
  };
  hooks.stopped = [this] {
    for (std::size_t i = 0; i < built_; ++i)
      if (modules_[i]->busy()) return false;
    return true;
  };
  hooks.teardown = [this] { teardown(); };
  engine_.start(std::move(hooks));
  dispatcher_ = &dispatcher;
  // Every successful kConfig command (run on the engine thread) records a configuration
  // revision before its reply.
  dispatcher.set_config_hook([this](const mi::CommandSpec& spec) {
    if (services_.revisions) services_.revisions->record(spec.name);
  });
  dispatcher.set_engine(&engine_);
}

void SipGateway::stop(std::chrono::milliseconds grace) {
  if (dispatcher_) {
    dispatcher_->set_engine(nullptr);
    dispatcher_ = nullptr;
  }
  engine_.stop(grace);
}

}  // namespace sb::gateway
