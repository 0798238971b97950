// dialplan_module.cpp: the dialplan engine module.
#include <spdlog/spdlog.h>

#include "gateway/dialplan/dialplan.h"
#include "gateway/dialplan/dialplan_commands.h"

#include "gateway/dialplan/dialplan_module.h"

#include <stdexcept>
#include <string>

namespace sb::gateway {

namespace {

class DialplanModule final : public EngineModule {
 public:
  std::string_view name() const override { return "dialplan"; }
  void register_commands(mi::Registry& registry, const SipServices& services) override {
    register_dialplan_commands(registry, services);
    reloaded_ = &Dialplan::declare_events(registry.events());
  }
  void build(EngineContext& ctx) override {
    dialplan_ = std::make_unique<Dialplan>(*ctx.services.db, ctx.stats);
    dialplan_->set_events(&ctx.events, reloaded_);
    try {
      spdlog::info("dialplan: {} rules loaded", dialplan_->reload());
    } catch (const DialplanError& e) {  // the daemon still starts: dp_rule_update/rm can fix the table
      spdlog::error("dialplan: not loaded, no rule is active until dp_reload succeeds: {}", e.what());
    }
    ctx.services.dialplan = dialplan_.get();
  }
  void teardown(SipServices& services) override {
    services.dialplan = nullptr;
    dialplan_.reset();
  }

 private:
  std::unique_ptr<Dialplan> dialplan_;
  const mi::EventSpec* reloaded_ = nullptr;
};

}  // namespace

std::unique_ptr<EngineModule> make_dialplan_module() { return std::make_unique<DialplanModule>(); }

}  // namespace sb::gateway
