// zeroconf_impl.h: the state behind Zeroconf (zeroconf.h), shared by zeroconf.cpp (the client
// and the announcements) and zeroconf_browse.cpp (browsing). Not for other components.
// Threading: every member is used with the threaded poll's lock held (in an Avahi callback, or
// by a public member of Zeroconf that took it).
#pragma once

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/thread-watch.h>

#include <list>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/zeroconf/zeroconf.h"
#include "mi/threads.h"

namespace sb::gateway::zeroconf {

struct Published {
  struct Zeroconf::Impl* owner = nullptr;
  ServiceSpec spec;
  std::string name;  ///< as announced: %h expanded, renamed after a collision
  AvahiEntryGroup* group = nullptr;
  std::string state = "waiting";  ///< waiting (for Avahi), registering, established, failed
  std::string error{};
  int renames = 0;
};

struct Browsed {
  struct Zeroconf::Impl* owner = nullptr;
  AvahiIfIndex interface = AVAHI_IF_UNSPEC;
  AvahiProtocol protocol = AVAHI_PROTO_UNSPEC;
  std::string name, type, domain;  ///< as Avahi gives them (for resolving)
  std::string host{}, address{}, error{};
  int port = 0;
  std::vector<std::string> txt{};
  bool local = false;  ///< announced by this host
  bool ours = false;   ///< announced by this daemon
  bool resolved = false;
  AvahiServiceResolver* resolver = nullptr;
};

struct Zeroconf::Impl {
  explicit Impl(Limits l) : limits(l) {}

  Limits limits;
  /// Serialises Zeroconf's public members (start, stop and the commands' calls); taken before
  /// the poll's lock, never inside an Avahi callback.
  std::mutex api;
  AvahiThreadedPoll* poll = nullptr;
  AvahiClient* client = nullptr;
  AvahiTimeout* retry = nullptr;
  AvahiTimeout* first_turn = nullptr;  ///< names the Avahi thread from inside it
  std::unique_ptr<mi::ThreadTag> thread_tag;  ///< the Avahi thread in `ps`
  int retry_ms = 0;          ///< the next reconnect's delay
  bool stopping = false;
  std::string state = "starting";  ///< starting, connecting, running, registering, unavailable
  std::string host{};        ///< Avahi's host name (FQDN) once running
  std::string error{};       ///< the last client error
  std::list<Published> published;  ///< the daemon's own first, then the user's

  // Browsing (zeroconf_browse.cpp).
  AvahiServiceTypeBrowser* type_browser = nullptr;
  std::map<std::string, AvahiServiceBrowser*> service_browsers;  ///< by "type\ndomain"
  std::map<std::string, Browsed> browsed;  ///< by type, name, domain, interface, protocol
  std::size_t browse_dropped = 0;

  void connect();
  void schedule_reconnect();
  void forget_client();  ///< after avahi_client_free: every object it owned is gone
  void on_client_state(AvahiClient* c, AvahiClientState s);
  void announce(Published& p);
  void announce_all();
  void withdraw(Published& p);
  void rename(Published& p);
  std::string expand(const std::string& name) const;

  void start_browsing();
  void browse_type(const char* type, const char* domain);
  void on_service(AvahiIfIndex iface, AvahiProtocol proto, AvahiBrowserEvent event, const char* name,
                  const char* type, const char* domain, AvahiLookupResultFlags flags);
  mi::Value browsed_rows(std::string_view type) const;
};

}  // namespace sb::gateway::zeroconf
