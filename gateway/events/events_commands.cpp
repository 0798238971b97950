// events_commands.cpp: the event commands, as OpenSIPS's Event Interface names them, and the
// core's events. One row per command.
#include "gateway/events/events_commands.h"

#include "gateway/engine/command_helpers.h"
#include "mi/reply_schema.h"
#include "mi/strings.h"

namespace sb::gateway::events {

namespace {

using namespace mi::schema;

Value subscription_row() {
  return object({{"id", uint("the subscription's number")},
                 {"event", str("the event pattern as subscribed (E_NAME, E_PREFIX_*, a comma list)")},
                 {"socket", str("where events go (a URL's credentials masked)")},
                 {"kind", enum_of({"udp", "unix", "tcp", "http", "https", "exec"})},
                 {"source", enum_of({"config", "runtime"}, "config: an [events] subscribe line (never expires)")},
                 {"expires_in", nullable(uint("seconds left; null for a configured one"))},
                 {"events", array_of(str(), "the events the pattern takes")},
                 {"queued", uint("events waiting to be delivered")},
                 {"queue_size", uint("the queue's bound (events.queue_size)")},
                 {"delivered", uint()},
                 {"dropped", uint("events lost because the queue was full")},
                 {"failed", uint("deliveries that failed (after the kind's retries)")},
                 {"last_error", nullable(str())},
                 {"state", map_of(any(), "kind-specific: connected, last_status, exits …")},
                 {"statistics", opt(object({{"interval", uint()}, {"names", array_of(str())}}))}});
}

Result events_list(const EventsContext& ctx, const mi::Registry& registry, const Args& a) {
  Value out = Value::array();
  std::string only = a.str("event");
  for (const mi::EventSpec* e : registry.events().all()) {
    if (!only.empty() && e->name != only) continue;
    out.push_back(Value{{"name", e->name},
                        {"module", e->module},
                        {"summary", e->summary},
                        {"params", mi::event_params_list(*e)},
                        {"listeners", ctx.bus ? ctx.bus->listeners(*e) : 0}});
  }
  if (!only.empty() && out.empty()) return Error::failure(404, "unknown event", only);
  return out;
}

std::vector<std::string> strings_of(const Value& array) {
  std::vector<std::string> out;
  for (const Value& v : array) out.push_back(v.is_string() ? v.get<std::string>() : v.dump());
  return out;
}

Result event_subscribe(EventsContext& ctx, const Args& a) {
  if (!ctx.subscriptions) return Error::failure(503, "events not running");
  SubscriptionSpec spec{.pattern = std::string(mi::trim(a.str("event"))),
                        .socket = std::string(mi::trim(a.str("socket"))),
                        .secret = a.str("secret"),
                        .from_config = false,
                        .interval_s = a.has("interval") ? static_cast<int>(a.integer("interval")) : 0,
                        .statistics = strings_of(a.array("statistics"))};
  auto r = ctx.subscriptions->subscribe(std::move(spec), a.integer("expire"));
  if (auto* e = std::get_if<mi::Error>(&r)) return std::move(*e);
  return std::get<Value>(std::move(r));
}

Result raise_event(const EventsContext& ctx, const mi::Registry& registry, const Args& a) {
  if (!ctx.bus) return Error::failure(503, "events not running");
  const mi::EventSpec* e = registry.events().find(a.str("event"));
  if (!e) return Error::bad_param("event", "unknown event '" + a.str("event") + "' (events_list lists them)");
  if (e->name == "E_STATISTICS") return Error::bad_param("event", "E_STATISTICS is sampled per subscriber");
  Value params = a.has("params") ? a.get("params") : Value::object();
  if (std::string why = mi::EventBus::check_params(*e, params); !why.empty())
    return Error::bad_param("params", why);
  ctx.bus->raise(*e, std::move(params));
  return mi::ok_value();
}

}  // namespace

void declare_core_events(mi::EventRegistry& events) {
  events.add({.name = "E_CORE_STARTUP", .module = "core",
              .summary = "The daemon has started: every listener is bound",
              .params = object({{"version", str("the server version")}, {"pid", uint("its process id")}})});
  events.add({.name = "E_CORE_SHUTDOWN", .module = "core",
              .summary = "The daemon is shutting down (a signal or the kill command)",
              .params = object({{"reason", str("what asked for it, e.g. SIGTERM from pid 1")}})});
  events.add({.name = "E_STATISTICS", .module = "events",
              .summary = "A periodic sample of chosen statistics (per subscriber: its interval and names)",
              .params = object({{"interval", uint("seconds between samples")},
                                {"statistics", map_of(integer(), "group:name → value")}})});
}

void register_events_commands(mi::Registry& registry, EventsContext& ctx) {
  const std::string m = "events";
  registry.add({.name = "events_list", .module = m,
                .summary = "List the events the daemon can raise, with their params",
                .params = {mi::optional_param("event", ParamType::string_, "one event name")},
                .flags = mi::kReadOnly | mi::kInline,
                .reply = array_of(object({{"name", str()},
                                          {"module", str()},
                                          {"summary", str()},
                                          {"params", array_of(object({{"name", str()},
                                                                      {"type", str()},
                                                                      {"required", boolean()},
                                                                      {"help", str()}}))},
                                          {"listeners", uint("subscriptions and streams taking it now")}})),
                .handler = [&ctx, &registry](const Args& a) { return events_list(ctx, registry, a); }});

  registry.add({.name = "event_subscribe", .module = m,
                .summary = "Send events to a socket: udp:host:port, unix:/path, tcp:host:port, "
                           "http(s)://url or exec:/program",
                .description =
                    "Subscribing again with the same event and socket refreshes the expiry; expire 0 "
                    "unsubscribes. Datagrams, stream lines and webhook bodies are JSON-RPC 2.0 "
                    "notifications {\"jsonrpc\":\"2.0\",\"method\":\"E_…\",\"params\":{…},\"seq\":N,"
                    "\"time\":T} with \"dropped\":N after lost events. exec: runs the program per event "
                    "(SB_EVENT, SB_PARAM_<NAME>, SIP_* in its environment, the JSON on stdin); at run time "
                    "only programs in events.exec_dirs.",
                .params = {mi::param("event", ParamType::string_,
                                     "an event (E_UL_CONTACT_INSERT), a prefix (E_UL_*) or a comma list"),
                           mi::param("socket", ParamType::string_,
                                     "udp:host:port, unix:/path, tcp:host:port, http(s)://…, exec:/program"),
                           mi::optional_param("expire", ParamType::uint_,
                                              "seconds until it expires; 0 unsubscribes", 3600)
                               .range(0, 31'536'000),
                           mi::optional_param("secret", ParamType::string_,
                                              "webhooks: HMAC-SHA256 key of X-Switchboard-Signature")
                               .secret(),
                           mi::optional_param("interval", ParamType::uint_,
                                              "E_STATISTICS: seconds between samples (default events.statistics_interval_s)")
                               .range(1, 86'400),
                           mi::optional_param("statistics", ParamType::array_,
                                              "E_STATISTICS: the statistics to sample (default events.statistics)")},
                .flags = mi::kAdmin,
                .reply = any_of({subscription_row(), ok()}),
                .handler = [&ctx](const Args& a) { return event_subscribe(ctx, a); }});

  registry.add({.name = "event_unsubscribe", .module = m,
                .summary = "Remove a run-time subscription (as event_subscribe with expire 0)",
                .params = {mi::param("event", ParamType::string_, "the event pattern as subscribed"),
                           mi::param("socket", ParamType::string_, "the socket as subscribed")},
                .flags = mi::kAdmin,
                .reply = ok(),
                .handler = [&ctx](const Args& a) -> Result {
                  if (!ctx.subscriptions) return Error::failure(503, "events not running");
                  if (!ctx.subscriptions->unsubscribe(std::string(mi::trim(a.str("event"))),
                                                      std::string(mi::trim(a.str("socket")))))
                    return Error::failure(404, "no such subscription");
                  return mi::ok_value();
                }});

  registry.add({.name = "subscribers_list", .module = m,
                .summary = "List the event subscriptions, with what each delivered, dropped and failed",
                .params = {mi::optional_param("event", ParamType::string_, "only those taking this event"),
                           mi::optional_param("socket", ParamType::string_, "only those on this socket")},
                .flags = mi::kReadOnly | mi::kInline,
                .reply = array_of(subscription_row()),
                .handler = [&ctx](const Args& a) -> Result {
                  if (!ctx.subscriptions) return Value::array();
                  return ctx.subscriptions->list(a.str("event"), a.str("socket"));
                }});

  registry.add({.name = "raise_event", .module = m,
                .summary = "Raise a declared event from a script, with its params",
                .params = {mi::param("event", ParamType::string_, "the event name"),
                           mi::optional_param("params", ParamType::object_,
                                              "the params object, checked against the declaration")},
                .flags = mi::kAdmin,
                .reply = ok(),
                .handler = [&ctx, &registry](const Args& a) { return raise_event(ctx, registry, a); }});
}

}  // namespace sb::gateway::events
