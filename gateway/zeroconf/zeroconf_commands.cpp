// zeroconf_commands.cpp: the zeroconf commands as one table (see zeroconf_commands.h).
#include "gateway/zeroconf/zeroconf_commands.h"

#include "mi/reply_schema.h"
#include "mi/rest_binding.h"

namespace sb::gateway::zeroconf {

namespace {

using mi::Args;
using mi::Error;
using mi::ParamType;
using mi::Result;
using mi::Value;
using namespace mi::schema;

Value announced_row() {
  return object({{"name", str("the instance name as announced (renamed after a collision: \"Name #2\")")},
                 {"type", str("DNS-SD service type, e.g. _http._tcp")},
                 {"port", uint()},
                 {"txt", array_of(str(), "TXT items, key=value")},
                 {"interface", str("the interface it is announced on, or all")},
                 {"protocol", enum_of({"ipv4", "ipv6", "any"})},
                 {"origin", enum_of({"mi", "panel", "sip", "user"}, "the daemon's own service, or zeroconf_publish")},
                 {"state", enum_of({"waiting", "registering", "established", "failed"},
                                   "waiting: for the Avahi daemon; registering: probing the name on the network")},
                 {"error", opt(str())}});
}

Value browsed_row() {
  return object({{"name", str()},
                 {"type", str()},
                 {"domain", str()},
                 {"interface", str()},
                 {"protocol", enum_of({"ipv4", "ipv6", "any"})},
                 {"host", str("the host name its SRV record names (empty until resolved)")},
                 {"address", str()},
                 {"port", uint()},
                 {"txt", array_of(str())},
                 {"local", boolean("announced by this host")},
                 {"ours", boolean("announced by this daemon")},
                 {"resolved", boolean()},
                 {"error", opt(str("why resolving failed"))}});
}

/// Runs fn on the running Zeroconf, else 503.
template <class Fn>
Result with_zeroconf(ZeroconfContext& ctx, Fn fn) {
  if (!ctx.zeroconf) return Error::failure(503, "zeroconf is off ([zeroconf] enabled = off)");
  return fn(*ctx.zeroconf);
}

Result from(std::variant<Value, Error> r) {
  if (auto* e = std::get_if<Error>(&r)) return std::move(*e);
  return std::move(std::get<Value>(r));
}

}  // namespace

void register_zeroconf_commands(mi::Registry& registry, ZeroconfContext& ctx) {
  const std::string m = "zeroconf";
  registry.add({.name = "zeroconf_list", .module = m,
                .summary = "Show what the daemon announces over zeroconf (mDNS/DNS-SD) and what the network announces",
                .description = "state: running (the Avahi daemon answers), connecting (waiting for it), unavailable "
                               "(no system bus; retried), registering (Avahi's host name is being settled). "
                               "browsed: the services found on the network (zeroconf.browse), each resolved once.",
                .params = {mi::optional_param("type", ParamType::string_, "only this service type, e.g. _http._tcp")},
                .flags = mi::kReadOnly | mi::kInline,
                .reply = object({{"state", enum_of({"starting", "connecting", "running", "registering", "unavailable"})},
                                 {"host", str("the host name Avahi announces (FQDN)")},
                                 {"error", str("the last error talking to Avahi, or empty")},
                                 {"announced", array_of(announced_row())},
                                 {"browsing", boolean("zeroconf.browse")},
                                 {"browsed", array_of(browsed_row())},
                                 {"browse_dropped", uint("services and types not kept (zeroconf.max_browsed)")}}),
                .rest = {mi::rest::get("/zeroconf")},
                .handler = [&ctx](const Args& a) {
                  return with_zeroconf(ctx, [&](Zeroconf& z) -> Result { return z.list(a.str("type")); });
                }});

  registry.add({.name = "zeroconf_publish", .module = m,
                .summary = "Announce a service of this host over zeroconf, or replace the one with the same name and type",
                .description = "As beroAvahi-update-service add|upd. The service lasts until zeroconf_unpublish or "
                               "the daemon stops (re-publish at start from an E_CORE_STARTUP exec: subscription). "
                               "It is announced once Avahi runs; a name taken on the network is renamed "
                               "(\"Name #2\"), as zeroconf_list shows.",
                .params = {mi::param("name", ParamType::string_, "instance name, at most 63 bytes; %h = the host name"),
                           mi::param("type", ParamType::string_, "service type: _<service>._tcp or _<service>._udp"),
                           mi::param("port", ParamType::uint_, "the port the service listens on").range(1, 65535),
                           mi::optional_param("interface", ParamType::string_, "only on this interface (default: all)"),
                           mi::optional_param("txt", ParamType::array_, "TXT items key=value (at most 64, 255 bytes each)")},
                .flags = mi::kAdmin,
                .reply = announced_row(),
                .rest = {mi::rest::post("/zeroconf/services")},
                .handler = [&ctx](const Args& a) {
                  return with_zeroconf(ctx, [&](Zeroconf& z) -> Result {
                    ServiceSpec spec{.name = a.str("name"), .type = a.str("type"),
                                     .port = static_cast<int>(a.integer("port")), .txt = {},
                                     .interface = a.str("interface")};
                    for (const auto& t : a.array("txt")) {
                      if (!t.is_string()) return Error::bad_param("txt", "items must be strings");
                      spec.txt.push_back(t.get<std::string>());
                    }
                    return from(z.publish(std::move(spec)));
                  });
                }});

  registry.add({.name = "zeroconf_unpublish", .module = m,
                .summary = "Withdraw a service announced with zeroconf_publish",
                .description = "As beroAvahi-update-service rem. Peers are told at once (goodbye packets).",
                .params = {mi::param("name", ParamType::string_, "the name as published (or as announced)"),
                           mi::param("type", ParamType::string_, "its service type")},
                .flags = mi::kAdmin,
                .reply = ok(),
                .rest = {mi::rest::del("/zeroconf/services/{type}/{name}").no_content()},
                .handler = [&ctx](const Args& a) {
                  return with_zeroconf(ctx, [&](Zeroconf& z) -> Result {
                    return from(z.unpublish(a.str("name"), a.str("type")));
                  });
                }});
}

}  // namespace sb::gateway::zeroconf
