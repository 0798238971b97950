// modules_component.h: the loadable modules (gateway/modules/) as a daemon component — the
// [modules] keys (declared in modules_component.cpp), loading every module and registering its
// commands, and running their destroy hooks once no request runs any more.
// Threading: as gateway::Component (main thread).
#pragma once

#include "gateway/component/component.h"
#include "mi/module_bridge.h"
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
  /// Modules may raise events (sb_raise_event) from now on.
  void start(Runtime& rt) override { mi::set_module_event_bus(rt.events); }
  /// Runs the destroy hooks in reverse load order.
  void release() override {
    mi::set_module_event_bus(nullptr);
    host_.unload();
  }

  const ModuleHost& host() const { return host_; }

 private:
  ModuleSettings settings_;
  ModuleHost host_;
};

}  // namespace sb::gateway
