// zeroconf_component.cpp: the [zeroconf] keys (conf/switchboard.conf is generated from them)
// and the ZeroconfComponent.
#include "gateway/zeroconf/zeroconf_component.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace sb::gateway::zeroconf {

namespace {

std::string check_announce(std::string_view value) {
  for (const auto& word : split_list(value))
    if (word != "mi" && word != "panel" && word != "sip")
      return fmt::format("unknown service '{}' (mi, panel, sip)", word);
  return {};
}

std::string check_name(std::string_view value) {
  if (value.empty()) return "must not be empty";
  if (value.size() > 63) return "at most 63 bytes (a DNS label)";
  return {};
}

// clang-format off
const ConfigSection kZeroconfSection = {
    .name = "zeroconf",
    .keys = {
     {.section = "zeroconf", .key = "enabled", .type = KeyType::boolean, .default_value = "off",
      .help = "Announce the daemon's services over mDNS/DNS-SD through the system's Avahi daemon.",
      .doc = "Announce the management API (_switchboard-mi._tcp: TXT version, api=/api/v1, tls=0|1,\n"
             "mi=/mi), the web panel (_http._tcp, or _https._tcp with TLS) and each SIP listener\n"
             "(_sip._udp, _sip._tcp, _sips._tcp) through the Avahi daemon (avahi-daemon, over the system\n"
             "D-Bus), and browse what the network announces (zeroconf_list). A listener bound to a\n"
             "loopback address is announced on the loopback interface only; bound to 0.0.0.0 or [::],\n"
             "on every interface Avahi uses. Withdrawn at shutdown. Without a running Avahi daemon the\n"
             "daemon still starts, waits for Avahi and announces once it comes. Default: off."},
     {.section = "zeroconf", .key = "name", .type = KeyType::string, .default_value = "Switchboard on %h",
      .help = "Instance name of the announced services; %h = the host name.",
      .check = check_name,
      .doc = "The instance name of the daemon's announcements (at most 63 bytes); %h is replaced by the\n"
             "host name Avahi uses. A name taken on the network becomes \"<name> #2\". With more than one\n"
             "SIP listener of one type, each gets its listener appended. Default: Switchboard on %h"},
     {.section = "zeroconf", .key = "announce", .type = KeyType::string, .default_value = "mi, panel, sip",
      .help = "Which of the daemon's services to announce: mi, panel, sip (comma-separated).",
      .check = check_announce,
      .doc = "Which of the daemon's own services are announced (comma-separated): mi (the management\n"
             "API), panel (the web panel), sip (the SIP listeners). Empty: none (zeroconf_publish and\n"
             "browsing still work). Default: mi, panel, sip"},
     {.section = "zeroconf", .key = "browse", .type = KeyType::boolean, .default_value = "on",
      .help = "Browse the services the network announces (shown by zeroconf_list).",
      .doc = "Browse the services the network announces, each resolved once (zeroconf_list shows them).\n"
             "Default: on."},
     {.section = "zeroconf", .key = "max_published", .type = KeyType::integer, .default_value = "32",
      .help = "Services zeroconf_publish may announce at once; more are answered 503.",
      .min = 0, .max = 1024,
      .doc = "Services zeroconf_publish may have announced at once (0..1024); more are answered 503.\n"
             "Default: 32."},
     {.section = "zeroconf", .key = "max_browsed", .type = KeyType::integer, .default_value = "512",
      .help = "Browsed services (and service types) kept; beyond, dropped and counted.",
      .min = 16, .max = 100'000,
      .doc = "Services found by browsing that are kept, and service types browsed (16..100000); beyond,\n"
             "they are dropped and counted (zeroconf_list browse_dropped). Default: 512."},
    },
    .intro = {"Zeroconf (mDNS/DNS-SD, as berofix's beroAvahi): announce the daemon on the local network\n"
              "and let scripts announce their own services (zeroconf_publish/zeroconf_unpublish)."},
};
// clang-format on

}  // namespace

void ZeroconfComponent::declare(ConfigSchema& schema) const { schema.add(kZeroconfSection); }

void ZeroconfComponent::configure(const Config& cfg) {
  enabled_ = cfg.get_bool("zeroconf.enabled");
  name_ = cfg.get_string("zeroconf.name");
  announce_ = split_list(cfg.get_string("zeroconf.announce"));
  limits_.browse = cfg.get_bool("zeroconf.browse");
  limits_.max_published = static_cast<std::size_t>(cfg.get_int("zeroconf.max_published"));
  limits_.max_browsed = static_cast<std::size_t>(cfg.get_int("zeroconf.max_browsed"));
}

void ZeroconfComponent::register_commands(Runtime& rt) { register_zeroconf_commands(rt.registry, ctx_); }

void ZeroconfComponent::start(Runtime& rt) {
  std::vector<Announcement> offered = rt.announcements ? rt.announcements() : std::vector<Announcement>{};
  std::vector<ServiceSpec> own;
  for (const auto& a : offered) {
    if (std::find(announce_.begin(), announce_.end(), a.what) == announce_.end()) continue;
    std::size_t same_type = std::count_if(offered.begin(), offered.end(),
                                          [&](const Announcement& o) { return o.type == a.type; });
    ServiceSpec spec{.name = name_, .type = a.type, .port = a.port, .txt = a.txt, .interface = {}, .family = 0,
                     .origin = a.what};
    if (same_type > 1 && !a.label.empty()) spec.name = fmt::format("{} ({})", name_, a.label).substr(0, 63);
    place_by_address(a.address, spec);
    own.push_back(std::move(spec));
  }
  own_ = own.size();
  auto z = std::make_unique<Zeroconf>(limits_);
  z->start(std::move(own));
  ctx_.zeroconf = std::move(z);
}

std::string ZeroconfComponent::describe() const {
  return ctx_.zeroconf ? fmt::format("zeroconf: {} service{}", own_, own_ == 1 ? "" : "s") : "";
}

void ZeroconfComponent::stop_accepting() {
  // The handlers may still run (MI requests in flight): they see the stopped Zeroconf, which
  // answers from what it had; it is destroyed with the component.
  if (ctx_.zeroconf) ctx_.zeroconf->stop();
}

}  // namespace sb::gateway::zeroconf
