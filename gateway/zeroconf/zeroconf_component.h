// zeroconf_component.h: zeroconf (zeroconf.h) as a daemon component — the [zeroconf] keys, its
// commands, and announcing what the components started before it offer (their
// announcements()): it comes last in gateway/daemon/components.cpp, so it is first to stop and
// withdraws the announcements before any listener closes.
// Threading: as gateway::Component (main thread).
#pragma once

#include <string>
#include <vector>

#include "gateway/component/component.h"
#include "gateway/zeroconf/zeroconf_commands.h"

namespace sb::gateway::zeroconf {

class ZeroconfComponent final : public Component {
 public:
  std::string_view name() const override { return "zeroconf"; }
  void declare(ConfigSchema& schema) const override;
  void configure(const Config& cfg) override;
  void register_commands(Runtime& rt) override;
  bool enabled() const override { return enabled_; }
  void start(Runtime& rt) override;
  std::string describe() const override;
  void stop_accepting() override;

 private:
  bool enabled_ = false;
  std::string name_;
  std::vector<std::string> announce_;
  Limits limits_;
  std::size_t own_ = 0;
  ZeroconfContext ctx_;
};

}  // namespace sb::gateway::zeroconf
