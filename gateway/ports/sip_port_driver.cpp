// sip_port_driver.cpp: the `sip` port driver — a port is the channels of a SIP account; it is up
// while the account is registered (or does not register), and a call placed on it goes out
// through the account (see port_driver.h). Also the driver list.
#include "gateway/ports/port_driver.h"

#include <fmt/format.h>

#include "gateway/calls/leg.h"
#include "gateway/ports/ports.h"

namespace sb::gateway {

namespace {

class SipPortDriver final : public PortDriver {
 public:
  std::string name() const override { return "sip"; }

  std::string configure(const mi::Value& opts, Port& port) const override {
    for (auto it = opts.begin(); it != opts.end(); ++it)
      if (it.key() != "account") return fmt::format("unknown option '{}' for a sip port (known: account)", it.key());
    if (!opts.contains("account") || !opts["account"].is_string() || opts["account"].get<std::string>().empty())
      return "a sip port needs the option 'account' (the SIP account whose channels it carries)";
    port.account = opts["account"].get<std::string>();
    return {};
  }

  std::string state(const Port& port, const std::function<std::string(const std::string&)>& account_state,
                    std::string* why) const override {
    std::string st = account_state ? account_state(port.account) : std::string();
    if (st.empty()) {
      if (why) *why = fmt::format("no SIP account '{}'", port.account);
      return "down";
    }
    if (st != "registered" && st != "disabled") {
      if (why) *why = fmt::format("account '{}' is {}", port.account, st);
      return "down";
    }
    return "up";
  }

  std::unique_ptr<Leg> dial(const Port& port, DialContext& ctx, std::string* why) const override {
    if (!ctx.via_account) {
      *why = "no SIP accounts";
      return nullptr;
    }
    return ctx.via_account(port.account, why);
  }
};

}  // namespace

const PortDriver& sip_port_driver() {
  static const SipPortDriver driver;
  return driver;
}

const PortDriver* find_port_driver(const std::string& name) {
  for (const PortDriver* d : {&virtual_port_driver(), &sip_port_driver()})
    if (d->name() == name) return d;
  return nullptr;
}

std::string port_driver_names() { return virtual_port_driver().name() + ", " + sip_port_driver().name(); }

}  // namespace sb::gateway
