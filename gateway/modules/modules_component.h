// modules_component.h: the loadable modules (gateway/modules/) as a daemon component — the
// [modules] keys (declared in modules_component.cpp), loading every module and registering its
// commands, and running their destroy hooks once no request runs any more.
// Threading: as gateway::Component (main thread).
#pragma once

#include "gateway/component/component.h"
#include "gateway/modules/module_loader.h"

namespace sb::gateway {

class ModulesComponent final : public Component {
 public:
  std::string_view name() const override { return "modules"; }
  void declare(ConfigSchema& schema) const override;
  void configure(const Config& cfg) override { settings_ = module_settings(cfg); }
  /// `module_list` and every module's commands; loads the modules (init hooks run unless
  /// rt.check_only). Throws ModuleError / RegistryError naming the module.
  void register_commands(Runtime& rt) override;
  void start(Runtime& /*rt*/) override {}
  /// Runs the destroy hooks in reverse load order.
  void release() override { host_.unload(); }

  const ModuleHost& host() const { return host_; }

 private:
  ModuleSettings settings_;
  ModuleHost host_;
};

}  // namespace sb::gateway
