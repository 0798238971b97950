// zeroconf.h: DNS-SD (mDNS) announcement and browsing through the system's Avahi daemon, with
// libavahi-client over the system D-Bus (as beroAvahi did on berofix boxes).
//
// Purpose: announce the daemon's own services (the management API, the panel, each SIP
// listener: gateway::Announcement, chosen by [zeroconf] announce) and the services a user
// script publishes at run time (zeroconf_publish, as `beroAvahi-update-service add|upd`);
// browse what the network announces (zeroconf_list). Each service is an entry group of its
// own, so a name collision renames that service only ("Name #2", Avahi's rule). Everything is
// withdrawn at stop() (Avahi sends the goodbye packets).
// When the Avahi daemon is not running, or goes away, the daemon keeps running: the client
// waits for Avahi to come (back) and announces everything again; without a system bus it
// retries every few seconds. zeroconf_list says which state it is in.
// Limits: zeroconf.max_published user services, zeroconf.max_browsed browsed services (and
// service types); beyond, refused (503) or dropped and counted.
// Threading: Avahi's threaded poll runs one thread ("zeroconf") where every Avahi callback
// runs with the poll's lock held. The public members take that lock: callable from any thread
// except from inside an Avahi callback.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mi/error.h"
#include "mi/value.h"

namespace sb::gateway::zeroconf {

/// One service to announce.
struct ServiceSpec {
  std::string name;  ///< instance name; "%h" becomes the host name Avahi uses
  std::string type;  ///< "_http._tcp"
  int port = 0;
  std::vector<std::string> txt{};  ///< TXT items ("key=value")
  std::string interface{};         ///< "" = every interface Avahi uses, else its name ("lo")
  int family = 0;                  ///< AF_INET, AF_INET6, or 0 (both)
  std::string origin{};            ///< "mi", "panel", "sip" (the daemon's own) or "user"
};

struct Limits {
  std::size_t max_published = 32;  ///< user services (zeroconf_publish)
  std::size_t max_browsed = 512;   ///< browsed services kept, and service types browsed
  bool browse = true;              ///< browse the network at all
};

/// Text from the network (or from Avahi) as valid, printable UTF-8: other bytes become \xNN.
std::string printable(std::string_view text);

/// Why a user service is refused (empty when it is fine): name, type, port, TXT, interface.
std::string check_service(const ServiceSpec& spec);

/// Where a listener bound to `address` is announced: its interface and family. Loopback
/// addresses stay on the loopback interface (a LAN peer could not reach them), a wildcard
/// address goes everywhere, another address to the interface that has it.
void place_by_address(const std::string& address, ServiceSpec& spec);

class Zeroconf {
 public:
  explicit Zeroconf(Limits limits);
  ~Zeroconf();  ///< stop()
  Zeroconf(const Zeroconf&) = delete;
  Zeroconf& operator=(const Zeroconf&) = delete;

  /// Starts the Avahi thread with the daemon's own services (announced once Avahi runs).
  /// Throws std::runtime_error when the thread cannot be made.
  void start(std::vector<ServiceSpec> own);
  /// Withdraws every announcement and ends the thread. Idempotent.
  void stop();

  /// Publishes a user service, or replaces the one with the same name and type. Returns its
  /// row (as zeroconf_list shows it) or an Error (400 bad spec, 503 limit).
  std::variant<mi::Value, mi::Error> publish(ServiceSpec spec);
  /// Withdraws a user service by its name (as given, or as announced) and type: 404 when there
  /// is none, 400 for one of the daemon's own.
  std::variant<mi::Value, mi::Error> unpublish(std::string_view name, std::string_view type);
  /// {"state", "host", "error", "announced": [...], "browsed": [...], "browse_dropped"}, the
  /// rows filtered by service type when `type` is not empty.
  mi::Value list(std::string_view type) const;

  struct Impl;  ///< zeroconf_impl.h (shared by the two source files only)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sb::gateway::zeroconf
