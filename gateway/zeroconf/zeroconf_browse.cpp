// zeroconf_browse.cpp: what the network announces, for zeroconf_list (see zeroconf.h). One
// service type browser finds the types; one service browser per type finds the services; each
// new service is resolved once (host, address, port, TXT). Bounded by zeroconf.max_browsed.
// Threading: as Zeroconf::Impl (the poll's lock held).
#include <avahi-common/address.h>
#include <avahi-common/error.h>
#include <avahi-common/strlst.h>
#include <net/if.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "gateway/zeroconf/zeroconf_impl.h"

namespace sb::gateway::zeroconf {

namespace {

std::string browsed_key(AvahiIfIndex iface, AvahiProtocol proto, std::string_view name, std::string_view type,
                        std::string_view domain) {
  // Sorted by type, then name: zeroconf_list reads in that order.
  return fmt::format("{}\n{}\n{}\n{:08d}\n{}", type, name, domain, static_cast<int>(iface), static_cast<int>(proto));
}

void on_resolved(AvahiServiceResolver* r, AvahiIfIndex /*iface*/, AvahiProtocol /*proto*/, AvahiResolverEvent event,
                 const char* /*name*/, const char* /*type*/, const char* /*domain*/, const char* host_name,
                 const AvahiAddress* address, uint16_t port, AvahiStringList* txt, AvahiLookupResultFlags flags,
                 void* userdata) {
  auto* b = static_cast<Browsed*>(userdata);
  if (event == AVAHI_RESOLVER_FOUND) {
    b->host = printable(host_name ? host_name : "");
    char text[AVAHI_ADDRESS_STR_MAX] = {};
    b->address = address ? printable(avahi_address_snprint(text, sizeof text, address)) : "";
    b->port = port;
    b->txt.clear();
    // A resolver's list holds the items in the record's order (avahi-browse prints it reversed).
    for (AvahiStringList* i = txt; i; i = avahi_string_list_get_next(i))
      b->txt.push_back(printable(std::string_view(reinterpret_cast<const char*>(avahi_string_list_get_text(i)),
                                                  avahi_string_list_get_size(i))));
    b->local = b->local || (flags & AVAHI_LOOKUP_RESULT_LOCAL) != 0;
    b->ours = b->ours || (flags & AVAHI_LOOKUP_RESULT_OUR_OWN) != 0;
    b->resolved = true;
    b->error.clear();
  } else {
    b->error = avahi_strerror(avahi_client_errno(b->owner->client));
  }
  avahi_service_resolver_free(r);
  b->resolver = nullptr;
}

void on_service_event(AvahiServiceBrowser* /*b*/, AvahiIfIndex iface, AvahiProtocol proto, AvahiBrowserEvent event,
                      const char* name, const char* type, const char* domain, AvahiLookupResultFlags flags,
                      void* userdata) {
  static_cast<Zeroconf::Impl*>(userdata)->on_service(iface, proto, event, name, type, domain, flags);
}

void on_type_event(AvahiServiceTypeBrowser* /*b*/, AvahiIfIndex /*iface*/, AvahiProtocol /*proto*/,
                   AvahiBrowserEvent event, const char* type, const char* domain, AvahiLookupResultFlags /*flags*/,
                   void* userdata) {
  auto* impl = static_cast<Zeroconf::Impl*>(userdata);
  if (event == AVAHI_BROWSER_NEW && type && domain) impl->browse_type(type, domain);
  if (event == AVAHI_BROWSER_FAILURE)
    spdlog::warn("zeroconf: browsing service types failed: {}", avahi_strerror(avahi_client_errno(impl->client)));
}

const char* protocol_name(AvahiProtocol p) {
  return p == AVAHI_PROTO_INET ? "ipv4" : p == AVAHI_PROTO_INET6 ? "ipv6" : "any";
}

}  // namespace

void Zeroconf::Impl::start_browsing() {
  if (!limits.browse || type_browser || !client) return;
  type_browser = avahi_service_type_browser_new(client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, nullptr,
                                                AvahiLookupFlags{}, on_type_event, this);
  if (!type_browser)
    spdlog::warn("zeroconf: cannot browse: {}", avahi_strerror(avahi_client_errno(client)));
}

void Zeroconf::Impl::browse_type(const char* type, const char* domain) {
  std::string key = std::string(type) + "\n" + domain;
  if (service_browsers.contains(key)) return;
  if (service_browsers.size() >= limits.max_browsed) {
    ++browse_dropped;
    return;
  }
  AvahiServiceBrowser* b = avahi_service_browser_new(client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, type, domain,
                                                     AvahiLookupFlags{}, on_service_event, this);
  if (!b) {
    spdlog::warn("zeroconf: cannot browse {}: {}", printable(type), avahi_strerror(avahi_client_errno(client)));
    return;
  }
  service_browsers.emplace(std::move(key), b);
}

void Zeroconf::Impl::on_service(AvahiIfIndex iface, AvahiProtocol proto, AvahiBrowserEvent event, const char* name,
                                const char* type, const char* domain, AvahiLookupResultFlags flags) {
  if (event == AVAHI_BROWSER_FAILURE) {
    spdlog::warn("zeroconf: browsing failed: {}", avahi_strerror(avahi_client_errno(client)));
    return;
  }
  if ((event != AVAHI_BROWSER_NEW && event != AVAHI_BROWSER_REMOVE) || !name || !type || !domain) return;
  std::string key = browsed_key(iface, proto, name, type, domain);
  auto it = browsed.find(key);
  if (event == AVAHI_BROWSER_REMOVE) {
    if (it == browsed.end()) return;
    if (it->second.resolver) avahi_service_resolver_free(it->second.resolver);
    browsed.erase(it);
    return;
  }
  if (it != browsed.end()) return;
  if (browsed.size() >= limits.max_browsed) {
    ++browse_dropped;
    return;
  }
  Browsed& b = browsed[key];
  b.owner = this;
  b.interface = iface;
  b.protocol = proto;
  b.name = name;
  b.type = type;
  b.domain = domain;
  b.local = (flags & AVAHI_LOOKUP_RESULT_LOCAL) != 0;
  b.ours = (flags & AVAHI_LOOKUP_RESULT_OUR_OWN) != 0;
  b.resolver = avahi_service_resolver_new(client, iface, proto, name, type, domain, AVAHI_PROTO_UNSPEC,
                                          AvahiLookupFlags{}, on_resolved, &b);
  if (!b.resolver) b.error = avahi_strerror(avahi_client_errno(client));
}

mi::Value Zeroconf::Impl::browsed_rows(std::string_view type) const {
  mi::Value rows = mi::Value::array();
  for (const auto& [key, b] : browsed) {
    if (!type.empty() && b.type != type) continue;
    mi::Value txt = mi::Value::array();
    for (const auto& t : b.txt) txt.push_back(t);
    char ifname[IF_NAMESIZE] = {};
    mi::Value row{{"name", printable(b.name)},
                  {"type", printable(b.type)},
                  {"domain", printable(b.domain)},
                  {"interface", if_indextoname(static_cast<unsigned>(b.interface), ifname)
                                    ? std::string(ifname)
                                    : std::to_string(b.interface)},
                  {"protocol", protocol_name(b.protocol)},
                  {"host", b.host},
                  {"address", b.address},
                  {"port", b.port},
                  {"txt", std::move(txt)},
                  {"local", b.local},
                  {"ours", b.ours},
                  {"resolved", b.resolved}};
    if (!b.error.empty()) row["error"] = b.error;
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace sb::gateway::zeroconf
