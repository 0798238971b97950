// sip_component.cpp: see sip_component.h.
#include "gateway/engine/sip_component.h"

#include <cstdlib>
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

std::vector<Announcement> SipComponent::announcements() const {
  std::vector<Announcement> list;
  if (!started_) return list;
  for (const auto& l : gateway_->listening()) {  // "udp:127.0.0.1:5060", "tcp:[::1]:5060"
    auto colon = l.find(':'), last = l.rfind(':');
    if (colon == std::string::npos || last == colon) continue;
    std::string proto = l.substr(0, colon), address = l.substr(colon + 1, last - colon - 1);
    if (address.size() > 2 && address.front() == '[') address = address.substr(1, address.size() - 2);
    const char* type = proto == "udp" ? "_sip._udp" : proto == "tcp" ? "_sip._tcp" : proto == "tls" ? "_sips._tcp" : nullptr;
    int port = std::atoi(l.c_str() + last + 1);
    if (!type || port <= 0) continue;
    list.push_back({.what = "sip", .type = type, .address = address, .port = port, .txt = {}, .label = proto + " " + l.substr(colon + 1)});
  }
  return list;
}

void SipComponent::reload(const Config& cfg) {
  if (started_) gateway_->reload(cfg);
}

void SipComponent::finish(std::chrono::milliseconds left) {
  if (gateway_) gateway_->stop(left);
}

}  // namespace sb::gateway
