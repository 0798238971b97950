// sip_component.h: the SIP engine (sip_gateway.h) as a daemon component — the engine modules'
// configuration sections, their commands (which answer 503 while the engine is off), starting
// the engine when sip.listen is set, and stopping it after the transports.
// Threading: as gateway::Component (main thread).
#pragma once

#include <memory>

#include "gateway/component/component.h"
#include "gateway/engine/sip_gateway.h"

namespace sb::gateway {

class SipComponent final : public Component {
 public:
  std::string_view name() const override { return "sip"; }
  void declare(ConfigSchema& schema) const override;
  void configure(const Config& cfg) override;
  void register_commands(Runtime& rt) override;
  bool enabled() const override { return enabled_; }
  /// Throws std::runtime_error "SIP engine: <reason>" (e.g. the port is taken).
  void start(Runtime& rt) override;
  std::string describe() const override;
  /// Each SIP listener: _sip._udp, _sip._tcp, _sips._tcp (TLS).
  std::vector<Announcement> announcements() const override;
  /// Graceful engine stop (see SipGateway::stop), after the transports have finished.
  void finish(std::chrono::milliseconds left) override;
  void reload(const Config& cfg) override;

 private:
  const Config* config_ = nullptr;
  bool enabled_ = false;
  std::unique_ptr<SipGateway> gateway_;
  bool started_ = false;
};

}  // namespace sb::gateway
