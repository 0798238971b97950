// registrar_commands.cpp: the `registrar` module's commands (local subscribers).
#include "gateway/registrar/registrar_commands.h"

#include "mi/strings.h"

#include <ctime>

#include <spdlog/spdlog.h>

#include "gateway/engine/command_helpers.h"
#include "gateway/registrar/subscribers.h"
#include "mi/reply_schema.h"

namespace sb::gateway {


namespace {

/// Empty when `s` may be a SIP user or domain name part, else why not.
std::string check_name(const std::string& s, bool domain) {
  if (s.empty()) return "must not be empty";
  if (s.size() > 128) return "longer than 128 bytes";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '@' || c == ':' || c == ';' || c == '<' || c == '>' || c == '"')
      return "contains a blank, a control character or one of @ : ; < > \"";
    if (domain && c == '/') return "contains '/'";
  }
  return {};
}


// ---- handlers ---------------------------------------------------------------------------------

Result add_subscriber(Subscribers& subs, const Args& a) {
  std::string domain = mi::lower(a.str("domain"));
  if (!subs.add(a.str("username"), domain, a.str("password"), std::time(nullptr)))
    return Error::failure(409, "Subscriber already exists");
  spdlog::info("registrar: subscriber {}@{} added", a.str("username"), domain);
  return mi::ok_value();
}

Result remove_subscriber(Subscribers& subs, const Args& a) {
  std::string domain = mi::lower(a.str("domain"));
  if (!subs.remove(a.str("username"), domain)) return Error::failure(404, "Subscriber not found");
  spdlog::info("registrar: subscriber {}@{} removed", a.str("username"), domain);
  return mi::ok_value();
}

Result list_subscribers(Subscribers& subs) {
  Value list = Value::array();
  for (const Subscriber& sub : subs.list())
    list.push_back(Value{{"username", sub.username}, {"domain", sub.domain}, {"created", sub.created}});
  return Value{{"Subscribers", std::move(list)}};
}

}  // namespace

void register_registrar_commands(mi::Registry& registry, const SipServices& s) {
  using namespace mi::schema;
  static const std::string m = "registrar";
  auto username = mi::param("username", ParamType::string_, "user part, e.g. alice");
  auto domain = mi::param("domain", ParamType::string_, "domain (the digest realm), e.g. example.com");
  auto on_subscribers = [&s](auto fn) { return on_service(s, &SipServices::subscribers, m.c_str(), fn); };

  registry.add({.name = "subscriber_add", .module = m,
                .summary = "Add a local subscriber (only the HA1 hashes of the password are stored)",
                .params = {username, domain,
                           mi::param("password", ParamType::string_, "the SIP password (never stored nor shown)").secret()},
                .flags = mi::kEngine,
                .reply = ok(),
                .handler = [add = on_subscribers(add_subscriber)](const Args& a) -> Result {
                  if (auto why = check_name(a.str("username"), false); !why.empty()) return Error::bad_param("username", why);
                  if (auto why = check_name(a.str("domain"), true); !why.empty()) return Error::bad_param("domain", why);
                  if (a.str("password").empty()) return Error::bad_param("password", "must not be empty");
                  return add(a);
                }});

  registry.add({.name = "subscriber_rm", .module = m,
                .summary = "Remove a local subscriber",
                .params = {username, domain},
                .flags = mi::kEngine,
                .reply = ok(),
                .handler = on_subscribers(remove_subscriber)});

  registry.add({.name = "subscriber_list", .module = m,
                .summary = "List the local subscribers (never their passwords or hashes)",
                .flags = mi::kEngine | mi::kReadOnly,
                .reply = object({{"Subscribers", array_of(object({{"username", str()},
                                                                   {"domain", str()},
                                                                   {"created", uint("unix time")}}))}}),
                .handler = on_subscribers([](Subscribers& subs, const Args&) { return list_subscribers(subs); })});
}

}  // namespace sb::gateway
