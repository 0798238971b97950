// zeroconf.cpp: the Avahi client and the announcements of Zeroconf (see zeroconf.h); browsing
// is in zeroconf_browse.cpp.
#include "gateway/zeroconf/zeroconf.h"

#include <arpa/inet.h>
#include <avahi-common/alternative.h>
#include <avahi-common/domain.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/timeval.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>

#include <cstring>
#include <mutex>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "gateway/zeroconf/zeroconf_impl.h"
#include "mi/codec/utf8.h"

namespace sb::gateway::zeroconf {

namespace {

constexpr int kRetryFirstMs = 1000;
constexpr int kRetryMaxMs = 30'000;
constexpr std::size_t kMaxTxtItems = 64;
constexpr std::size_t kMaxTxtItem = 255;    // one DNS character-string
constexpr std::size_t kMaxTxtTotal = 1300;  // the whole record must fit one mDNS packet

/// Holds the threaded poll's lock (the Avahi thread runs callbacks with it held).
class PollLock {
 public:
  explicit PollLock(AvahiThreadedPoll* p) : p_(p) {
    if (p_) avahi_threaded_poll_lock(p_);
  }
  ~PollLock() {
    if (p_) avahi_threaded_poll_unlock(p_);
  }
  PollLock(const PollLock&) = delete;
  PollLock& operator=(const PollLock&) = delete;

 private:
  AvahiThreadedPoll* p_;
};

AvahiProtocol protocol_of(int family) {
  return family == AF_INET ? AVAHI_PROTO_INET : family == AF_INET6 ? AVAHI_PROTO_INET6 : AVAHI_PROTO_UNSPEC;
}

const char* family_name(int family) { return family == AF_INET ? "ipv4" : family == AF_INET6 ? "ipv6" : "any"; }

mi::Value published_row(const Published& p) {
  mi::Value txt = mi::Value::array();
  for (const auto& t : p.spec.txt) txt.push_back(t);
  mi::Value row{{"name", p.name},
                {"type", p.spec.type},
                {"port", p.spec.port},
                {"txt", std::move(txt)},
                {"interface", p.spec.interface.empty() ? "all" : p.spec.interface},
                {"protocol", family_name(p.spec.family)},
                {"origin", p.spec.origin},
                {"state", p.state}};
  if (!p.error.empty()) row["error"] = p.error;
  return row;
}

void on_group_state(AvahiEntryGroup* /*g*/, AvahiEntryGroupState s, void* userdata) {
  auto* p = static_cast<Published*>(userdata);
  switch (s) {
    case AVAHI_ENTRY_GROUP_ESTABLISHED:
      p->state = "established";
      p->error.clear();
      spdlog::info("zeroconf: announced '{}' ({} port {}, interface {})", p->name, p->spec.type, p->spec.port,
                   p->spec.interface.empty() ? "all" : p->spec.interface);
      break;
    case AVAHI_ENTRY_GROUP_COLLISION:
      p->owner->rename(*p);
      break;
    case AVAHI_ENTRY_GROUP_FAILURE:
      p->state = "failed";
      p->error = avahi_strerror(avahi_client_errno(p->owner->client));
      spdlog::warn("zeroconf: announcing '{}' ({}) failed: {}", p->name, p->spec.type, p->error);
      break;
    case AVAHI_ENTRY_GROUP_UNCOMMITED:
    case AVAHI_ENTRY_GROUP_REGISTERING:
      break;
  }
}

void on_client_state(AvahiClient* c, AvahiClientState s, void* userdata) {
  static_cast<Zeroconf::Impl*>(userdata)->on_client_state(c, s);
}

void on_retry(AvahiTimeout* /*t*/, void* userdata) { static_cast<Zeroconf::Impl*>(userdata)->connect(); }

/// The Avahi thread's first turn: it shows as "zeroconf" in `ps` (the command) and in top -H.
void on_first_turn(AvahiTimeout* t, void* userdata) {
  auto* impl = static_cast<Zeroconf::Impl*>(userdata);
  pthread_setname_np(pthread_self(), "zeroconf");
  impl->thread_tag = std::make_unique<mi::ThreadTag>("zeroconf");
  avahi_threaded_poll_get(impl->poll)->timeout_free(t);
  impl->first_turn = nullptr;
}

}  // namespace

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    std::size_t n = mi::utf8_seq(text, i, cp);
    if (n == 0 || cp < 0x20 || cp == 0x7f) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(text[i]));
      ++i;
      continue;
    }
    out.append(text.substr(i, n));
    i += n;
  }
  return out;
}

std::string check_service(const ServiceSpec& spec) {
  if (spec.name.empty()) return "name: must not be empty";
  if (spec.name.size() > AVAHI_LABEL_MAX - 1)
    return fmt::format("name: at most {} bytes (a DNS label)", AVAHI_LABEL_MAX - 1);
  if (printable(spec.name) != spec.name) return "name: must be printable UTF-8";
  if (!avahi_is_valid_service_type_strict(spec.type.c_str()))
    return "type: must be _<service>._tcp or _<service>._udp (e.g. _http._tcp)";
  if (spec.port < 1 || spec.port > 65535) return "port: must be 1..65535";
  if (spec.txt.size() > kMaxTxtItems) return fmt::format("txt: at most {} items", kMaxTxtItems);
  std::size_t total = 0;
  for (const auto& t : spec.txt) {
    if (t.empty() || t.front() == '=')
      return fmt::format("txt: '{}' must be key=value or a key alone", printable(t));
    if (t.size() > kMaxTxtItem) return fmt::format("txt: an item is at most {} bytes", kMaxTxtItem);
    if (printable(t) != t) return "txt: items must be printable UTF-8";
    total += t.size() + 1;
  }
  if (total > kMaxTxtTotal) return fmt::format("txt: at most {} bytes together", kMaxTxtTotal);
  if (!spec.interface.empty() && if_nametoindex(spec.interface.c_str()) == 0)
    return fmt::format("interface: no interface '{}' on this host", printable(spec.interface));
  return {};
}

void place_by_address(const std::string& address, ServiceSpec& spec) {
  in_addr v4{};
  in6_addr v6{};
  int family = inet_pton(AF_INET, address.c_str(), &v4) == 1    ? AF_INET
               : inet_pton(AF_INET6, address.c_str(), &v6) == 1 ? AF_INET6
                                                                : 0;
  spec.interface.clear();
  spec.family = 0;
  if (family == 0) return;  // a name: every interface
  if (family == AF_INET && v4.s_addr == htonl(INADDR_ANY)) {
    spec.family = AF_INET;
    return;
  }
  if (family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&v6)) return;  // [::] takes IPv4 too
  spec.family = family;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != family) continue;
    bool same = family == AF_INET
                    ? reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr == v4.s_addr
                    : std::memcmp(&reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr, &v6, sizeof v6) == 0;
    if (same) {
      spec.interface = i->ifa_name;
      break;
    }
  }
  freeifaddrs(list);
}

// --- Impl: the client ---

void Zeroconf::Impl::connect() {
  if (stopping) return;
  if (client) {
    avahi_client_free(client);
    forget_client();
  }
  int err = 0;
  // NO_FAIL: without an Avahi daemon the client waits for one (CONNECTING) instead of failing.
  AvahiClient* c = avahi_client_new(avahi_threaded_poll_get(poll), AVAHI_CLIENT_NO_FAIL,
                                    zeroconf::on_client_state, this, &err);
  if (!c) {
    error = avahi_strerror(err);
    if (state != "unavailable")
      spdlog::warn("zeroconf: cannot reach the Avahi daemon ({}); retrying", error);
    state = "unavailable";
    schedule_reconnect();
    return;
  }
  client = c;
  retry_ms = 0;
}

void Zeroconf::Impl::schedule_reconnect() {
  retry_ms = retry_ms == 0 ? kRetryFirstMs : std::min(retry_ms * 2, kRetryMaxMs);
  timeval when{};
  avahi_elapse_time(&when, static_cast<unsigned>(retry_ms), 0);
  const AvahiPoll* api = avahi_threaded_poll_get(poll);
  if (retry) api->timeout_update(retry, &when);
  else retry = api->timeout_new(api, &when, on_retry, this);
}

void Zeroconf::Impl::forget_client() {
  client = nullptr;
  for (auto& p : published) {
    p.group = nullptr;
    if (p.state != "failed") p.state = "waiting";
  }
  type_browser = nullptr;
  service_browsers.clear();
  browsed.clear();
}

void Zeroconf::Impl::on_client_state(AvahiClient* c, AvahiClientState s) {
  client = c;  // also called from inside avahi_client_new, before it returns
  switch (s) {
    case AVAHI_CLIENT_S_RUNNING: {
      const char* fqdn = avahi_client_get_host_name_fqdn(c);
      host = fqdn ? printable(fqdn) : "";
      state = "running";
      error.clear();
      spdlog::info("zeroconf: the Avahi daemon runs as {}", host);
      announce_all();
      start_browsing();
      break;
    }
    case AVAHI_CLIENT_S_COLLISION:
    case AVAHI_CLIENT_S_REGISTERING:
      // The host name changes: the services are announced again once it is settled.
      state = "registering";
      for (auto& p : published)
        if (p.group) {
          avahi_entry_group_reset(p.group);
          p.state = "waiting";
        }
      break;
    case AVAHI_CLIENT_CONNECTING:
      if (state != "connecting") spdlog::warn("zeroconf: waiting for the Avahi daemon (not running)");
      state = "connecting";
      break;
    case AVAHI_CLIENT_FAILURE:
      error = avahi_strerror(avahi_client_errno(c));
      spdlog::warn("zeroconf: lost the Avahi daemon ({}); reconnecting", error);
      state = "unavailable";
      // The client is freed by connect(), from a timer: not inside its own callback.
      schedule_reconnect();
      break;
  }
}

std::string Zeroconf::Impl::expand(const std::string& name) const {
  std::string out;
  std::string short_host = host.substr(0, host.find('.'));
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '%' && i + 1 < name.size() && name[i + 1] == 'h') {
      out += short_host;
      ++i;
    } else {
      out += name[i];
    }
  }
  // At most one DNS label; a cut inside a UTF-8 sequence drops that character whole.
  out.resize(std::min(out.size(), std::size_t{AVAHI_LABEL_MAX - 1}));
  while (!out.empty() && printable(out) != out) out.pop_back();
  return out;
}

void Zeroconf::Impl::announce_all() {
  for (auto& p : published) {
    p.name = expand(p.spec.name);
    p.renames = 0;
    announce(p);
  }
}

void Zeroconf::Impl::announce(Published& p) {
  if (!client || avahi_client_get_state(client) != AVAHI_CLIENT_S_RUNNING) {
    p.state = "waiting";
    return;
  }
  if (!p.group) p.group = avahi_entry_group_new(client, on_group_state, &p);
  if (!p.group) {
    p.state = "failed";
    p.error = avahi_strerror(avahi_client_errno(client));
    return;
  }
  avahi_entry_group_reset(p.group);
  AvahiIfIndex iface = p.spec.interface.empty() ? AVAHI_IF_UNSPEC
                                                : static_cast<AvahiIfIndex>(if_nametoindex(p.spec.interface.c_str()));
  if (iface == 0) iface = AVAHI_IF_UNSPEC;
  for (int attempt = 0; attempt < 16; ++attempt) {
    AvahiStringList* txt = nullptr;
    // Added in order, the TXT record carries the items in that order (the zeroconf test reads
    // the record itself).
    for (const auto& item : p.spec.txt) txt = avahi_string_list_add(txt, item.c_str());
    int r = avahi_entry_group_add_service_strlst(p.group, iface, protocol_of(p.spec.family), AvahiPublishFlags{},
                                                 p.name.c_str(), p.spec.type.c_str(), nullptr, nullptr,
                                                 static_cast<uint16_t>(p.spec.port), txt);
    avahi_string_list_free(txt);
    if (r == AVAHI_ERR_COLLISION) {  // this host announces the name already
      char* other = avahi_alternative_service_name(p.name.c_str());
      p.name = other;
      avahi_free(other);
      continue;
    }
    if (r >= 0) r = avahi_entry_group_commit(p.group);
    if (r < 0) {
      p.state = "failed";
      p.error = avahi_strerror(r);
      spdlog::warn("zeroconf: cannot announce '{}' ({}): {}", p.name, p.spec.type, p.error);
      return;
    }
    p.state = "registering";
    p.error.clear();
    return;
  }
  p.state = "failed";
  p.error = "no free name";
}

void Zeroconf::Impl::rename(Published& p) {
  if (++p.renames > 16) {
    p.state = "failed";
    p.error = "name collisions: no free name";
    return;
  }
  char* other = avahi_alternative_service_name(p.name.c_str());
  spdlog::info("zeroconf: '{}' ({}) is taken on the network; renamed '{}'", p.name, p.spec.type, other);
  p.name = other;
  avahi_free(other);
  announce(p);
}

void Zeroconf::Impl::withdraw(Published& p) {
  if (p.group) avahi_entry_group_free(p.group);  // goodbye packets: peers forget it now
  p.group = nullptr;
}

// --- Zeroconf ---

Zeroconf::Zeroconf(Limits limits) : impl_(std::make_unique<Impl>(limits)) {}

Zeroconf::~Zeroconf() { stop(); }

void Zeroconf::start(std::vector<ServiceSpec> own) {
  std::lock_guard api(impl_->api);
  impl_->poll = avahi_threaded_poll_new();
  if (!impl_->poll) throw std::runtime_error("zeroconf: cannot make Avahi's event loop");
  for (auto& s : own) {
    impl_->published.push_back(Published{.owner = impl_.get(), .spec = std::move(s), .name = {}});
  }
  impl_->connect();  // the thread does not run yet: no lock needed
  timeval now{};
  const AvahiPoll* poll_api = avahi_threaded_poll_get(impl_->poll);
  impl_->first_turn = poll_api->timeout_new(poll_api, avahi_elapse_time(&now, 0, 0), on_first_turn, impl_.get());
  if (avahi_threaded_poll_start(impl_->poll) < 0) {
    if (impl_->client) avahi_client_free(impl_->client);
    impl_->client = nullptr;
    avahi_threaded_poll_free(impl_->poll);
    impl_->poll = nullptr;
    throw std::runtime_error("zeroconf: cannot start Avahi's thread");
  }
}

void Zeroconf::stop() {
  std::lock_guard api(impl_->api);
  if (!impl_->poll) return;
  {
    PollLock lock(impl_->poll);
    impl_->stopping = true;
    for (auto& p : impl_->published) impl_->withdraw(p);
    const AvahiPoll* poll_api = avahi_threaded_poll_get(impl_->poll);
    if (impl_->retry) poll_api->timeout_free(impl_->retry);
    if (impl_->first_turn) poll_api->timeout_free(impl_->first_turn);
    impl_->retry = impl_->first_turn = nullptr;
  }
  avahi_threaded_poll_stop(impl_->poll);
  if (impl_->client) avahi_client_free(impl_->client);  // flushes the group frees to the daemon
  impl_->forget_client();
  avahi_threaded_poll_free(impl_->poll);
  impl_->poll = nullptr;
  impl_->thread_tag.reset();
  spdlog::info("zeroconf: announcements withdrawn");
}

std::variant<mi::Value, mi::Error> Zeroconf::publish(ServiceSpec spec) {
  if (std::string why = check_service(spec); !why.empty()) {
    auto colon = why.find(':');
    return mi::Error::bad_param(why.substr(0, colon), why.substr(colon + 2));
  }
  spec.origin = "user";
  std::lock_guard api(impl_->api);
  if (!impl_->poll) return mi::Error::failure(503, "zeroconf is stopping");
  PollLock lock(impl_->poll);
  Published* target = nullptr;
  std::size_t users = 0;
  for (auto& p : impl_->published) {
    if (p.spec.origin != "user") continue;
    ++users;
    if (p.spec.type == spec.type && p.spec.name == spec.name) target = &p;
  }
  if (!target) {
    if (users >= impl_->limits.max_published)
      return mi::Error::failure(503, fmt::format("{} services are published already (zeroconf.max_published); "
                                                 "unpublish one first", users));
    target = &impl_->published.emplace_back(Published{.owner = impl_.get(), .spec = {}, .name = {}});
  }
  target->spec = std::move(spec);
  target->name = impl_->expand(target->spec.name);
  target->renames = 0;
  impl_->announce(*target);
  return published_row(*target);
}

std::variant<mi::Value, mi::Error> Zeroconf::unpublish(std::string_view name, std::string_view type) {
  std::lock_guard api(impl_->api);
  if (!impl_->poll) return mi::Error::failure(503, "zeroconf is stopping");
  PollLock lock(impl_->poll);
  for (auto it = impl_->published.begin(); it != impl_->published.end(); ++it) {
    if (it->spec.type != type || (it->spec.name != name && it->name != name)) continue;
    if (it->spec.origin != "user")
      return mi::Error::failure(400, fmt::format("'{}' is announced by the daemon itself ([zeroconf] announce)",
                                                 printable(name)));
    impl_->withdraw(*it);
    impl_->published.erase(it);
    return mi::Value("OK");
  }
  return mi::Error::failure(404, "no such published service");
}

mi::Value Zeroconf::list(std::string_view type) const {
  std::lock_guard api(impl_->api);
  PollLock lock(impl_->poll);
  mi::Value announced = mi::Value::array();
  for (const auto& p : impl_->published)
    if (type.empty() || p.spec.type == type) announced.push_back(published_row(p));
  return mi::Value{{"state", impl_->state},
                   {"host", impl_->host},
                   {"error", impl_->error},
                   {"announced", std::move(announced)},
                   {"browsing", impl_->limits.browse},
                   {"browsed", impl_->browsed_rows(type)},
                   {"browse_dropped", impl_->browse_dropped}};
}

}  // namespace sb::gateway::zeroconf
