// ports_commands.cpp: the `ports` module's commands — line interfaces and port groups
// (berofix "i" isdn state, "lpg", "blX", "prX").
#include "gateway/ports/ports_commands.h"

#include "gateway/engine/command_helpers.h"
#include "gateway/ports/ports.h"
#include "mi/reply_schema.h"

namespace sb::gateway {


namespace {

// ---- handlers ---------------------------------------------------------------------------------

int port_of(const Args& a) { return static_cast<int>(a.integer("port")); }  // 1..9999 (declared)

Result list_ports(Ports& ports, const Args&) {
  Value list = Value::array();
  for (const auto& [n, p] : ports.all()) list.push_back(ports.port_value(p));
  return Value{{"Ports", list}};
}

Result list_groups(Ports& ports, const Args&) {
  Value list = Value::array();
  for (const auto& [n, g] : ports.groups()) list.push_back(ports.group_value(g));
  return Value{{"Groups", list}};
}

Result show_port(Ports& ports, const Args& a) {
  const Port* p = ports.find(port_of(a));
  if (!p) return Error::failure(404, "Port not found");
  return ports.port_value(*p);
}

Result show_group(Ports& ports, const Args& a) {
  auto it = ports.groups().find(a.str("name"));
  if (it == ports.groups().end()) return Error::failure(404, "Group not found");
  return ports.group_value(it->second);
}

Result add_port(Ports& ports, const Args& a) {
  return ports.add(port_of(a), a.str("driver"), static_cast<int>(a.integer("channels")),
                   a.get("options").dump(), a.str("label"));
}

Result block_port(Ports& ports, const Args& a) {
  std::optional<bool> flag;
  if (a.has("block")) flag = a.boolean("block");
  return ports.set_blocked(port_of(a), flag);
}

// ---- reply schemas ----------------------------------------------------------------------------

Value port_reply() {
  using namespace mi::schema;
  return object({{"port", uint()},
                 {"type", str("the driver: virtual | sip")},
                 {"label", str()},
                 {"state", enum_of({"up", "down", "blocked"})},
                 {"state_reason", opt(str("why it is down"))},
                 {"blocked", boolean()},
                 {"channels", uint()},
                 {"in_use", uint("channels carrying a call")},
                 {"groups", array_of(str())},
                 {"options", map_of(any(), "the driver options, as given to port_add")},
                 {"restarts", uint()},
                 {"calls", uint()},
                 {"answered", uint()},
                 {"failed", uint()},
                 {"last_change", uint("unix time of the last state change")}});
}

Value group_reply() {
  using namespace mi::schema;
  return object({{"name", str()},
                 {"hunt", enum_of({"linear", "roundrobin"})},
                 {"ports", array_of(uint(), "in hunting order")},
                 {"free_channels", uint()}});
}

}  // namespace

/// What changes by itself (calls, line state, counters): not part of a port's version (ETag).
static const std::vector<std::string> kPortRuntime = {"state", "state_reason", "blocked", "in_use", "restarts",
                                               "calls", "answered", "failed", "last_change"};

void register_ports_commands(mi::Registry& registry, const SipServices& s) {
  using namespace mi::schema;
  namespace rest = mi::rest;
  const std::string m = "ports";
  auto port = mi::param("port", ParamType::int_, "port number, e.g. 3").range(1, 9999);
  auto on_ports = [&s](Result (*fn)(Ports&, const Args&)) {
    return on_service(s, &SipServices::ports, "ports", fn);
  };

  registry.add({.name = "port_list", .module = m,
                .summary = "List the line interfaces: type, state (up/down/blocked), channels in use, groups, counters",
                .flags = mi::kEngine | mi::kReadOnly,
                .reply = object({{"Ports", array_of(port_reply())}}),
                .rest = {rest::get("/ports")},
                .handler = on_ports(list_ports)});

  registry.add({.name = "port_show", .module = m,
                .summary = "Show one line interface: type, state, channels in use, groups, counters",
                .params = {port},
                .flags = mi::kEngine | mi::kReadOnly,
                .reply = port_reply(),
                .rest = {rest::get("/ports/{port}").etag_ignoring(kPortRuntime)},
                .handler = on_ports(show_port)});

  registry.add({.name = "port_group_list", .module = m,
                .summary = "List the port groups with their ports in hunting order and free channels",
                .flags = mi::kEngine | mi::kReadOnly,
                .reply = object({{"Groups", array_of(group_reply())}}),
                .rest = {rest::get("/port-groups")},
                .handler = on_ports(list_groups)});

  registry.add({.name = "port_group_show", .module = m,
                .summary = "Show one port group: its ports in hunting order and free channels",
                .params = {mi::param("name", ParamType::string_, "group name")},
                .flags = mi::kEngine | mi::kReadOnly,
                .reply = group_reply(),
                .rest = {rest::get("/port-groups/{name}").etag_ignoring({"free_channels"})},
                .handler = on_ports(show_group)});

  registry.add({.name = "port_add", .module = m,
                .summary = "Add a line interface (driver virtual: a line simulator; sip: the channels of a SIP account)",
                .description =
                    "options is a JSON object. virtual: mode (answer|ring|reject|busy), ring_after_ms, "
                    "answer_after_ms (default 1000), hangup_after_ms (0 = never), reject_after_ms, cause "
                    "(Q.850, for reject). sip: account (required).",
                .params = {port,
                           mi::param("driver", ParamType::string_, "virtual | sip"),
                           mi::optional_param("channels", ParamType::int_, "concurrent calls, 1..1000", 1).range(1, 1000),
                           mi::optional_param("options", ParamType::object_,
                                              "driver options, an object (JSON text in the text dialects)", Value::object()),
                           mi::optional_param("label", ParamType::string_, "free text shown by port_list", "")},
                .flags = mi::kEngine | mi::kConfig,
                .reply = port_reply(),
                .rest = {rest::post("/ports").created("/ports/{port}")},
                .handler = on_ports(add_port)});

  registry.add({.name = "port_rm", .module = m,
                .summary = "Remove a line interface (refused while it carries calls); it leaves its groups",
                .params = {port},
                .flags = mi::kEngine | mi::kConfig,
                .reply = object({{"port", uint()}, {"removed", boolean()}}),
                .rest = {rest::del("/ports/{port}").if_match().no_content()},
                .handler = on_ports([](Ports& ports, const Args& a) { return ports.remove(port_of(a)); })});

  registry.add({.name = "port_block", .module = m,
                .summary = "Block (1) or unblock (0) a port; without the flag, toggle. A blocked port takes no new calls",
                .params = {port, mi::optional_param("block", ParamType::bool_, "1 = block, 0 = unblock; absent = toggle")},
                .flags = mi::kEngine,
                .reply = object({{"port", uint()}, {"blocked", boolean()},
                                 {"state", enum_of({"up", "down", "blocked"})}, {"in_use", uint()}}),
                .rest = {rest::post("/ports/{port}/block").with("block", true).described("Block a port (it takes no new calls)"),
                         rest::post("/ports/{port}/unblock").with("block", false).described("Unblock a port")},
                .handler = on_ports(block_port)});

  registry.add({.name = "port_restart", .module = m,
                .summary = "Restart a port: its calls are ended (cause 41, temporary failure) and the line is reset",
                .params = {port},
                .flags = mi::kEngine,
                .reply = object({{"port", uint()}, {"calls_ended", uint()}, {"restarts", uint()},
                                 {"state", enum_of({"up", "down", "blocked"})}}),
                .rest = {rest::post("/ports/{port}/restart")},
                .handler = on_ports([](Ports& ports, const Args& a) { return ports.restart(port_of(a)); })});

  registry.add({.name = "port_group_add", .module = m,
                .summary = "Add a port group: ports in hunting order (\"1,2,5-7\"), hunt linear or roundrobin",
                .params = {mi::param("name", ParamType::string_, "group name, e.g. isdn"),
                           mi::param("ports", ParamType::string_, "port numbers in hunting order, e.g. 1,2,5-7"),
                           mi::optional_param("hunt", ParamType::string_, "linear (first free) | roundrobin", "linear")
                               .one_of({"linear", "roundrobin"})},
                .flags = mi::kEngine | mi::kConfig,
                .reply = group_reply(),
                .rest = {rest::post("/port-groups").created("/port-groups/{name}")},
                .handler = on_ports([](Ports& ports, const Args& a) {
                  return ports.group_add(a.str("name"), a.str("ports"), a.str("hunt"));
                })});

  registry.add({.name = "port_group_rm", .module = m,
                .summary = "Remove a port group (dialplan rules that name it stop matching it)",
                .params = {mi::param("name", ParamType::string_, "group name")},
                .flags = mi::kEngine | mi::kConfig,
                .reply = object({{"name", str()}, {"removed", boolean()}}),
                .rest = {rest::del("/port-groups/{name}").if_match().no_content()},
                .handler = on_ports([](Ports& ports, const Args& a) { return ports.group_rm(a.str("name")); })});
}

}  // namespace sb::gateway
