// ports_module.cpp: the ports engine module.
#include "gateway/accounts/accounts.h"
#include "gateway/calls/calls.h"
#include "gateway/ports/ports.h"
#include "gateway/ports/ports_commands.h"

#include "gateway/ports/ports_module.h"

#include <stdexcept>
#include <string>

namespace sb::gateway {

namespace {

class PortsModule final : public EngineModule {
 public:
  std::string_view name() const override { return "ports"; }
  void register_commands(mi::Registry& registry, const SipServices& services) override {
    register_ports_commands(registry, services);
    port_state_ = &Ports::declare_events(registry.events());
  }
  void build(EngineContext& ctx) override {
    ports_ = std::make_unique<Ports>(*ctx.services.db, ctx.stats);
    ports_->set_events(&ctx.events, port_state_);
    ports_->load();
    ctx.services.ports = ports_.get();
  }
  void link(EngineContext& ctx) override {
    if (Calls* calls = ctx.services.calls)
      ports_->set_drop_calls([calls](int port) { return calls->drop_port(port); });
    if (Accounts* accounts = ctx.services.accounts) {
      ports_->set_account_state(
          [accounts](const std::string& name) { return accounts->registration_state(name); });
      Ports* ports = ports_.get();
      accounts->add_state_listener([ports] { ports->states_changed(); });
    }
  }
  void teardown(SipServices& services) override {
    services.ports = nullptr;
    ports_.reset();
  }

 private:
  std::unique_ptr<Ports> ports_;
  const mi::EventSpec* port_state_ = nullptr;
};

}  // namespace

std::unique_ptr<EngineModule> make_ports_module() { return std::make_unique<PortsModule>(); }

}  // namespace sb::gateway
