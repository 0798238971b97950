// provisioning_module.cpp: the provisioning engine module and its [config] keys, documented as
// conf/switchboard.conf shows them (that file is generated from these declarations).
#include "gateway/provisioning/provisioning_module.h"

#include "gateway/provisioning/config_revisions.h"
#include "gateway/provisioning/provisioning_commands.h"

namespace sb::gateway {

namespace {

// clang-format off
const ConfigSection kConfigSection = {
    .name = "config",
    .keys = {
     {.section = "config", .key = "keep_revisions", .type = KeyType::integer, .default_value = "20",
      .help = "Configuration revisions kept (config_revisions, config_restore).",
      .min = 1, .max = 1000,
      .doc = "How many configuration revisions are kept (1..1000). Every write of the provisioned\n"
             "configuration (config_import, config_restore, subscriber_add, dp_rule_move, …) makes a new\n"
             "revision holding the whole document (secrets included, in the database); the oldest beyond this\n"
             "number are deleted. config_restore goes back to a kept one. Default: 20."},
    },
};
// clang-format on

class ProvisioningModule final : public EngineModule {
 public:
  std::string_view name() const override { return "config"; }
  const ConfigSection* config_section() const override { return &kConfigSection; }
  void configure(const Config& cfg) override {
    keep_ = static_cast<std::size_t>(cfg.get_int("config.keep_revisions"));
  }
  void register_commands(mi::Registry& registry, const SipServices& services) override {
    register_provisioning_commands(registry, services);
    changed_ = &ConfigRevisions::declare_events(registry.events());
  }
  void build(EngineContext& ctx) override {
    revisions_ = std::make_unique<ConfigRevisions>(ctx.services, keep_);
    revisions_->set_events(&ctx.events, changed_);
    ctx.services.revisions = revisions_.get();
  }
  std::string summary() const override {
    return revisions_ ? "configuration revision " + std::to_string(revisions_->current()) : std::string();
  }
  void teardown(SipServices& services) override {
    services.revisions = nullptr;
    revisions_.reset();
  }

 private:
  std::size_t keep_ = 20;
  std::unique_ptr<ConfigRevisions> revisions_;
  const mi::EventSpec* changed_ = nullptr;
};

}  // namespace

std::unique_ptr<EngineModule> make_provisioning_module() { return std::make_unique<ProvisioningModule>(); }

}  // namespace sb::gateway
