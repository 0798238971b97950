// fifo_component.h: the management FIFO as a daemon component — its [fifo] keys (declared in
// fifo_component.cpp), their reading into a FifoConfig, start and shutdown.
// Threading: as gateway::Component (main thread).
#pragma once

#include "gateway/component/serving_component.h"
#include "transports/fifo/fifo_transport.h"

namespace sb::transports {

/// The [fifo] keys as a FifoConfig.
FifoConfig fifo_config(const gateway::Config& cfg);

class FifoComponent final : public gateway::ServingComponent<FifoTransport> {
 public:
  std::string_view name() const override { return "fifo"; }
  void declare(gateway::ConfigSchema& schema) const override;
  void configure(const gateway::Config& cfg) override { config_ = fifo_config(cfg); }
  bool enabled() const override { return !config_.path.empty(); }
  std::string describe() const override;

 private:
  std::unique_ptr<FifoTransport> make(mi::Dispatcher& dispatcher) override {
    return std::make_unique<FifoTransport>(config_, dispatcher);
  }
  FifoConfig config_;
};

}  // namespace sb::transports
