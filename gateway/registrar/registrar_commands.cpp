// registrar_commands.cpp: the `registrar` module's commands (local subscribers).
#include "gateway/registrar/registrar_commands.h"

#include "mi/strings.h"

#include <ctime>
#include <memory>
#include <optional>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "gateway/engine/command_helpers.h"
#include "gateway/engine/engine_slices.h"
#include "gateway/registrar/subscribers.h"
#include "mi/cursor.h"
#include "mi/reply_schema.h"

namespace sb::gateway {


namespace {



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

Value shown(const Subscriber& sub) {
  return Value{{"username", sub.username}, {"domain", sub.domain}, {"created", sub.created},
               {"version", sub.version}};
}

Result show_subscriber(Subscribers& subs, const Args& a) {
  auto sub = subs.find(a.str("username"), mi::lower(a.str("domain")));
  if (!sub) return Error::failure(404, "Subscriber not found");
  return shown(*sub);
}

Result update_subscriber(Subscribers& subs, const Args& a) {
  if (a.str("password").empty()) return Error::bad_param("password", "must not be empty");
  std::string domain = mi::lower(a.str("domain"));
  if (!subs.set_password(a.str("username"), domain, a.str("password")))
    return Error::failure(404, "Subscriber not found");
  spdlog::info("registrar: subscriber {}@{}: password changed", a.str("username"), domain);
  return mi::ok_value();
}

/// Subscribers in each slice of a streamed subscriber_list.
constexpr std::size_t kListSlice = 256;

/// Every subscriber, streamed: a page of the table at a time, read on the engine thread after
/// the (domain, username) the previous page ended with.
Result all_subscribers(const SipServices& s) {
  if (!s.engine) return Error::failure(503, "SIP engine not running");
  auto slice = [&s](std::string& cursor, std::vector<Value>& out) {
    if (!s.subscribers) throw std::runtime_error("the SIP engine stopped during the list");
    std::optional<std::pair<std::string, std::string>> after;
    if (auto key = mi::read_cursor(cursor, 2)) after.emplace((*key)[0], (*key)[1]);
    auto page = s.subscribers->page(after, kListSlice);
    for (const Subscriber& sub : page) out.push_back(shown(sub));
    if (!page.empty()) cursor = mi::make_cursor({page.back().domain, page.back().username});
    return !page.empty();
  };
  return mi::Streamed{Value{{"Subscribers", Value::array()}, {"next_cursor", nullptr}}, "/Subscribers",
                      std::make_shared<EngineSlices>(*s.engine, std::move(slice))};
}

/// Every subscriber without `limit` (streamed); with it, one page and the cursor of the next.
Result list_subscribers(const SipServices& s, Subscribers& subs, const Args& a) {
  Value list = Value::array();
  Value next = nullptr;
  if (!a.has("limit")) return all_subscribers(s);
  std::optional<std::pair<std::string, std::string>> after;
  if (a.has("cursor")) {
    auto key = mi::read_cursor(a.str("cursor"), 2);
    if (!key) return Error::bad_param("cursor", "not a cursor this server gave");
    after.emplace((*key)[0], (*key)[1]);
  }
  auto limit = static_cast<std::size_t>(a.integer("limit"));
  auto page = subs.page(after, limit + 1);  // one more tells whether a next page exists
  for (std::size_t i = 0; i < page.size() && i < limit; ++i) list.push_back(shown(page[i]));
  if (page.size() > limit) next = mi::make_cursor({page[limit - 1].domain, page[limit - 1].username});
  return Value{{"Subscribers", std::move(list)}, {"next_cursor", std::move(next)}};
}

}  // namespace

static Value subscriber_reply() {
  using namespace mi::schema;
  return object({{"username", str()}, {"domain", str()}, {"created", uint("unix time")},
                 {"version", uint("bumped by every change, the password's included")}});
}

void register_registrar_commands(mi::Registry& registry, const SipServices& s) {
  namespace rest = mi::rest;
  using namespace mi::schema;
  static const std::string m = "registrar";
  auto username = mi::param("username", ParamType::string_, "user part, e.g. alice");
  auto domain = mi::param("domain", ParamType::string_, "domain (the digest realm), e.g. example.com");
  auto on_subscribers = [&s](auto fn) { return on_service(s, &SipServices::subscribers, m.c_str(), fn); };

  registry.add({.name = "subscriber_add", .module = m,
                .summary = "Add a local subscriber (only the HA1 hashes of the password are stored)",
                .params = {username, domain,
                           mi::param("password", ParamType::string_, "the SIP password (never stored nor shown)").secret()},
                .flags = mi::kEngine | mi::kConfig,
                .reply = ok(),
                .rest = {rest::post("/subscribers").created("/subscribers/{username}@{domain}")},
                .handler = [add = on_subscribers(add_subscriber)](const Args& a) -> Result {
                  if (auto why = subscriber_name_problem(a.str("username"), false); !why.empty()) return Error::bad_param("username", why);
                  if (auto why = subscriber_name_problem(a.str("domain"), true); !why.empty()) return Error::bad_param("domain", why);
                  if (a.str("password").empty()) return Error::bad_param("password", "must not be empty");
                  return add(a);
                }});

  registry.add({.name = "subscriber_rm", .module = m,
                .summary = "Remove a local subscriber",
                .params = {username, domain},
                .flags = mi::kEngine | mi::kConfig,
                .reply = ok(),
                .rest = {rest::del("/subscribers/{username}@{domain}").if_match().no_content()},
                .handler = on_subscribers(remove_subscriber)});

  registry.add({.name = "subscriber_show", .module = m,
                .summary = "Show one local subscriber (never its password or hashes)",
                .params = {username, domain},
                .flags = mi::kEngine | mi::kReadOnly,
                .reply = subscriber_reply(),
                .rest = {rest::get("/subscribers/{username}@{domain}")},
                .handler = on_subscribers(show_subscriber)});

  registry.add({.name = "subscriber_update", .module = m,
                .summary = "Change a local subscriber's password (its HA1 hashes are recomputed)",
                .params = {username, domain,
                           mi::param("password", ParamType::string_, "the new SIP password (never stored nor shown)").secret()},
                .flags = mi::kEngine | mi::kConfig,
                .reply = ok(),
                .rest = {rest::put("/subscribers/{username}@{domain}").if_match()},
                .handler = on_subscribers(update_subscriber)});

  registry.add({.name = "subscriber_list", .module = m,
                .summary = "List the local subscribers (never their passwords or hashes)",
                .description = "Without `limit`, every subscriber; with it, one page in (domain, username) "
                               "order and `next_cursor` for the next (null on the last page).",
                .params = {mi::optional_param("limit", ParamType::uint_, "page size (1..1000); absent: all").range(1, 1000),
                           mi::optional_param("cursor", ParamType::string_, "next_cursor of the previous page")},
                .flags = mi::kEngine | mi::kReadOnly,
                .reply = object({{"Subscribers", array_of(subscriber_reply())},
                                 {"next_cursor", nullable(str("give it as `cursor` for the next page"))}}),
                .rest = {rest::get("/subscribers").defaults_to("limit", 100).paged("next_cursor")},
                .handler = on_subscribers([&s](Subscribers& subs, const Args& a) { return list_subscribers(s, subs, a); })});
}

}  // namespace sb::gateway
