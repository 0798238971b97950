// monitor_component.h: the ISGW telnet status monitor as a daemon component — its [monitor] keys (declared in
// monitor_component.cpp), their reading into a MonitorConfig, start and shutdown.
// Threading: as gateway::Component (main thread).
#pragma once

#include "gateway/component/serving_component.h"
#include "transports/monitor/monitor_transport.h"

namespace sb::transports {

/// The [monitor] keys as a MonitorConfig.
MonitorConfig monitor_config(const gateway::Config& cfg);

class MonitorComponent final : public gateway::ServingComponent<MonitorTransport> {
 public:
  std::string_view name() const override { return "monitor"; }
  void declare(gateway::ConfigSchema& schema) const override;
  void configure(const gateway::Config& cfg) override { config_ = monitor_config(cfg); }
  bool enabled() const override { return !config_.listen.empty(); }
  std::string describe() const override;

 private:
  /// Refuses to start (naming every problem) when a letter names a command that does not exist
  /// or reads a reply field its schema does not declare (letters.h check_letters).
  std::unique_ptr<MonitorTransport> make(mi::Dispatcher& dispatcher) override;
  MonitorConfig config_;
};

}  // namespace sb::transports
