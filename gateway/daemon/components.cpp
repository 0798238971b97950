// components.cpp: the component list. Adding a component (a module, a transport, a service)
// is one line here plus its own folder; see ARCHITECTURE.md.
#include "gateway/daemon/components.h"

#include "gateway/core/core_component.h"
#include "gateway/engine/sip_component.h"
#include "gateway/events/events_component.h"
#include "gateway/modules/modules_component.h"
#include "gateway/zeroconf/zeroconf_component.h"
#include "transports/datagram/datagram_component.h"
#include "transports/fifo/fifo_component.h"
#include "transports/http/http_component.h"
#include "transports/monitor/monitor_component.h"

namespace sb::gateway {

namespace {

/// The opening comment of the generated conf/switchboard.conf.
constexpr std::string_view kConfHeader =
    "switchboard.conf: configuration of the Switchboard daemon.\n"
    "\n"
    "Usage: switchboard -c conf/switchboard.conf [--foreground] [--set section.key=value]...\n"
    "       switchboard -c conf/switchboard.conf --check-config   (validate and exit)\n"
    "\n"
    "Syntax (ini, read with inih):\n"
    "  - [section] headers, then `key = value` lines; whitespace around keys and values is ignored.\n"
    "  - Comments are whole lines starting with `#` or `;`. Do not put comments after a value:\n"
    "    `; text` after a value is cut off, but `# text` would become part of the value.\n"
    "  - Do not indent keys: an indented line continues the previous value in ini syntax and is\n"
    "    refused here. Lines may be at most 198 characters long.\n"
    "  - Values are taken literally (no quotes, no variables). An empty value (`key =`) disables\n"
    "    the feature where noted.\n"
    "  - Unknown sections, unknown keys and bad values are startup errors that name the file, the\n"
    "    line and the key. If a key is given twice, the last one wins; `--set` on the command line\n"
    "    is applied after this file and wins over it.\n"
    "\n"
    "The defaults below (also compiled in) listen on local, non-network endpoints only.";

}  // namespace

std::vector<std::unique_ptr<Component>> make_components() {
  std::vector<std::unique_ptr<Component>> list;
  list.push_back(std::make_unique<CoreComponent>());
  list.push_back(std::make_unique<events::EventsComponent>());  // before the engine raises anything
  list.push_back(std::make_unique<SipComponent>());  // before modules: its command names are taken first
  list.push_back(std::make_unique<ModulesComponent>());
  list.push_back(std::make_unique<transports::FifoComponent>());
  list.push_back(std::make_unique<transports::DatagramComponent>());
  list.push_back(std::make_unique<transports::HttpComponent>());
  list.push_back(std::make_unique<transports::MonitorComponent>());
  list.push_back(std::make_unique<zeroconf::ZeroconfComponent>());  // last: announces what the others listen on
  return list;
}

const ConfigSchema& daemon_schema() {
  static const ConfigSchema schema = [] {
    ConfigSchema s;
    s.set_header(kConfHeader);
    for (const auto& c : make_components()) c->declare(s);
    return s;
  }();
  return schema;
}

Config load_daemon_config(const std::string& file, const std::vector<std::string>& overrides) {
  return load_config(daemon_schema(), file, overrides);
}

}  // namespace sb::gateway
