// sip_component.cpp: see sip_component.h.
#include "gateway/engine/sip_component.h"

#include <stdexcept>

#include <fmt/format.h>

namespace sb::gateway {

void SipComponent::declare(ConfigSchema& schema) const { SipGateway::declare(schema); }

void SipComponent::configure(const Config& cfg) {
  config_ = &cfg;
  enabled_ = !cfg.get_string("sip.listen").empty();
}

void SipComponent::register_commands(Runtime& rt) {
  gateway_ = std::make_unique<SipGateway>(rt.stats, *rt.events);
  gateway_->configure(*config_);
  gateway_->register_commands(rt.registry);
}

void SipComponent::start(Runtime& rt) {
  try {
    gateway_->start(*rt.dispatcher);
  } catch (const EngineError& e) {
    throw std::runtime_error(fmt::format("SIP engine: {}", e.what()));
  }
  started_ = true;
}

std::string SipComponent::describe() const {
  if (!started_) return "SIP: disabled";
  std::string where;
  for (const auto& l : gateway_->listening()) where += (where.empty() ? "" : ", ") + l;
  return "SIP: " + where;
}

void SipComponent::reload(const Config& cfg) {
  if (started_) gateway_->reload(cfg);
}

void SipComponent::finish(std::chrono::milliseconds left) {
  if (gateway_) gateway_->stop(left);
}

}  // namespace sb::gateway
