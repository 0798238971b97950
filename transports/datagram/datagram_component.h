// datagram_component.h: the unix/UDP datagram socket as a daemon component — its [datagram] keys (declared in
// datagram_component.cpp), their reading into a DatagramConfig, start and shutdown.
// Threading: as gateway::Component (main thread).
#pragma once

#include "gateway/component/serving_component.h"
#include "transports/datagram/datagram_transport.h"

namespace sb::transports {

/// The [datagram] keys as a DatagramConfig.
DatagramConfig datagram_config(const gateway::Config& cfg);

class DatagramComponent final : public gateway::ServingComponent<DatagramTransport> {
 public:
  std::string_view name() const override { return "datagram"; }
  void declare(gateway::ConfigSchema& schema) const override;
  void configure(const gateway::Config& cfg) override { config_ = datagram_config(cfg); }
  bool enabled() const override { return !config_.unix_path.empty() || !config_.udp.empty(); }
  std::string describe() const override;

 private:
  std::unique_ptr<DatagramTransport> make(mi::Dispatcher& dispatcher) override {
    return std::make_unique<DatagramTransport>(config_, dispatcher);
  }
  DatagramConfig config_;
};

}  // namespace sb::transports
