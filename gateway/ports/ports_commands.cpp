// ports_commands.cpp: the `ports` module's commands — line interfaces and port groups
// (berofix "i" isdn state, "lpg", "blX", "prX").
#include "gateway/ports/ports_commands.h"

#include "gateway/engine/command_helpers.h"
#include "gateway/ports/ports.h"

namespace sb::gateway {

using mi::Args;
using mi::Error;
using mi::ParamType;
using mi::Result;
using mi::Value;

namespace {

/// The port number param: 1..9999 (the text transports coerce it from its digits).
std::optional<int> port_number(const Args& a) {
  std::int64_t n = a.integer("port");
  if (n < 1 || n > 9999) return std::nullopt;
  return static_cast<int>(n);
}

}  // namespace

void register_ports_commands(mi::Registry& registry, const SipServices& s) {
  const std::string m = "ports";
  auto port = mi::param("port", ParamType::int_, "port number, e.g. 3");

  registry.add({.name = "port_list", .module = m,
                .summary = "List the line interfaces: type, state (up/down/blocked), channels in use, groups, counters",
                .flags = mi::kEngine | mi::kReadOnly,
                .handler = [&s](const Args&) -> Result {
                  return with_service(s.ports, "ports", [&](Ports& ports) -> Result {
                    Value list = Value::array();
                    for (const auto& [n, p] : ports.all()) list.push_back(ports.port_value(p));
                    return Value{{"Ports", list}};
                  });
                }});

  registry.add({.name = "port_group_list", .module = m,
                .summary = "List the port groups with their ports in hunting order and free channels",
                .flags = mi::kEngine | mi::kReadOnly,
                .handler = [&s](const Args&) -> Result {
                  return with_service(s.ports, "ports", [&](Ports& ports) -> Result {
                    Value list = Value::array();
                    for (const auto& [n, g] : ports.groups()) list.push_back(ports.group_value(g));
                    return Value{{"Groups", list}};
                  });
                }});

  registry.add({.name = "port_add", .module = m,
                .summary = "Add a line interface (driver virtual: a line simulator; sip: the channels of a SIP account)",
                .description =
                    "options is a JSON object. virtual: mode (answer|ring|reject|busy), ring_after_ms, "
                    "answer_after_ms (default 1000), hangup_after_ms (0 = never), reject_after_ms, cause "
                    "(Q.850, for reject). sip: account (required).",
                .params = {port,
                           mi::param("driver", ParamType::string_, "virtual | sip"),
                           mi::optional_param("channels", ParamType::int_, "concurrent calls, 1..1000", 1),
                           mi::optional_param("options", ParamType::string_, "driver options, a JSON object", "{}"),
                           mi::optional_param("label", ParamType::string_, "free text shown by port_list", "")},
                .flags = mi::kEngine,
                .handler = [&s](const Args& a) -> Result {
                  auto n = port_number(a);
                  if (!n) return Error::bad_param("port", "must be 1..9999");
                  return with_service(s.ports, "ports", [&](Ports& ports) -> Result {
                    return ports.add(*n, a.str("driver"), static_cast<int>(a.integer("channels")),
                                     a.str("options"), a.str("label"));
                  });
                }});

  registry.add({.name = "port_rm", .module = m,
                .summary = "Remove a line interface (refused while it carries calls); it leaves its groups",
                .params = {port},
                .flags = mi::kEngine,
                .handler = [&s](const Args& a) -> Result {
                  auto n = port_number(a);
                  if (!n) return Error::bad_param("port", "must be 1..9999");
                  return with_service(s.ports, "ports", [&](Ports& ports) { return ports.remove(*n); });
                }});

  registry.add({.name = "port_block", .module = m,
                .summary = "Block (1) or unblock (0) a port; without the flag, toggle. A blocked port takes no new calls",
                .params = {port, mi::optional_param("block", ParamType::int_, "1 = block, 0 = unblock; absent = toggle")},
                .flags = mi::kEngine,
                .handler = [&s](const Args& a) -> Result {
                  auto n = port_number(a);
                  if (!n) return Error::bad_param("port", "must be 1..9999");
                  std::optional<bool> flag;
                  if (a.has("block")) {
                    std::int64_t b = a.integer("block");
                    if (b != 0 && b != 1) return Error::bad_param("block", "must be 0 or 1");
                    flag = b == 1;
                  }
                  return with_service(s.ports, "ports", [&](Ports& ports) { return ports.set_blocked(*n, flag); });
                }});

  registry.add({.name = "port_restart", .module = m,
                .summary = "Restart a port: its calls are ended (cause 41, temporary failure) and the line is reset",
                .params = {port},
                .flags = mi::kEngine,
                .handler = [&s](const Args& a) -> Result {
                  auto n = port_number(a);
                  if (!n) return Error::bad_param("port", "must be 1..9999");
                  return with_service(s.ports, "ports", [&](Ports& ports) { return ports.restart(*n); });
                }});

  registry.add({.name = "port_group_add", .module = m,
                .summary = "Add a port group: ports in hunting order (\"1,2,5-7\"), hunt linear or roundrobin",
                .params = {mi::param("name", ParamType::string_, "group name, e.g. isdn"),
                           mi::param("ports", ParamType::string_, "port numbers in hunting order, e.g. 1,2,5-7"),
                           mi::optional_param("hunt", ParamType::string_, "linear (first free) | roundrobin", "linear")},
                .flags = mi::kEngine,
                .handler = [&s](const Args& a) -> Result {
                  return with_service(s.ports, "ports", [&](Ports& ports) {
                    return ports.group_add(a.str("name"), a.str("ports"), a.str("hunt"));
                  });
                }});

  registry.add({.name = "port_group_rm", .module = m,
                .summary = "Remove a port group (dialplan rules that name it stop matching it)",
                .params = {mi::param("name", ParamType::string_, "group name")},
                .flags = mi::kEngine,
                .handler = [&s](const Args& a) -> Result {
                  return with_service(s.ports, "ports", [&](Ports& ports) { return ports.group_rm(a.str("name")); });
                }});
}

}  // namespace sb::gateway
