// events_component.cpp: the [events] keys (conf/switchboard.conf is generated from them) and
// the EventsComponent.
#include "gateway/events/events_component.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "mi/strings.h"

namespace sb::gateway::events {

namespace {

/// `<events> <socket> [secret=…] [interval=N] [statistics=a,b]` split into a spec, or why not.
std::variant<SubscriptionSpec, std::string> parse_subscribe_line(std::string_view line) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) words.emplace_back(line.substr(start, i - start));
  }
  if (words.size() < 2) return std::string("expected `<events> <socket> [secret=…] [interval=N] [statistics=a,b]`");
  SubscriptionSpec spec{.pattern = words[0], .socket = words[1], .from_config = true, .interval_s = 0};
  for (std::size_t w = 2; w < words.size(); ++w) {
    const std::string& opt = words[w];
    auto eq = opt.find('=');
    std::string key = opt.substr(0, eq), value = eq == std::string::npos ? "" : opt.substr(eq + 1);
    if (key == "secret" && !value.empty()) spec.secret = value;
    else if (key == "interval" && !value.empty() && value.find_first_not_of("0123456789") == std::string::npos &&
             value.size() < 6 && std::stoi(value) >= 1)
      spec.interval_s = std::stoi(value);
    else if (key == "statistics" && !value.empty()) spec.statistics = split_list(value);
    else return fmt::format("unknown option '{}' (secret=…, interval=N seconds >= 1, statistics=a,b)", key);
  }
  return spec;
}

std::string check_subscribe_line(std::string_view value) {
  if (value.empty()) return {};
  auto parsed = parse_subscribe_line(value);
  if (auto* why = std::get_if<std::string>(&parsed)) return *why;
  return {};
}

// clang-format off
const ConfigSection kEventsSection = {
    .name = "events",
    .keys = {
     {.section = "events", .key = "subscribe", .type = KeyType::string, .default_value = "",
      .help = "A subscription made at start-up: <events> <socket> [secret=…] [interval=N] [statistics=a,b].",
      .check = check_subscribe_line, .sensitive = true,
      .doc = "Event subscriptions made at every start (they never expire; run-time ones made with\n"
             "event_subscribe live in memory and expire). One line per subscription, repeatable:\n"
             "  subscribe = <events> <socket> [secret=<hmac key>] [interval=<s>] [statistics=<a,b>]\n"
             "<events>: E_NAME, a prefix E_UL_* or a comma list. <socket>: udp:host:port, unix:/path\n"
             "(a JSON-RPC notification per datagram), tcp:host:port (one per line, reconnecting),\n"
             "http://… or https://… (a POST per event, retried; secret= signs it), exec:/program (run per\n"
             "event with the params in its environment). interval/statistics: for E_STATISTICS.\n"
             "An empty `subscribe =` clears the lines before it. Default: empty (none).",
      .repeatable = true},
     {.section = "events", .key = "queue_size", .type = KeyType::integer, .default_value = "1000",
      .help = "Events each subscriber may have waiting; beyond, events are dropped and counted.",
      .min = 1, .max = 1'000'000,
      .doc = "Events a subscription (or a WebSocket stream) may have waiting (1..1000000). When a receiver\n"
             "falls behind, newer events are dropped, counted (events:dropped, subscribers_list) and the\n"
             "next delivery carries \"dropped\": N. Default: 1000."},
     {.section = "events", .key = "bus_queue", .type = KeyType::integer, .default_value = "8192",
      .help = "Events raised but not yet handed to the subscribers' queues; beyond, dropped (events:bus_dropped).",
      .min = 1024, .max = 10'000'000,
      .doc = "Events raised but not yet handed to the subscribers' queues by the event bus's thread\n"
             "(1024..10000000). The thread that raises (the SIP engine) only queues; this bounds that queue.\n"
             "Beyond it events are dropped and counted in events:bus_dropped. Default: 8192."},
     {.section = "events", .key = "max_subscriptions", .type = KeyType::integer, .default_value = "64",
      .help = "Subscriptions (configured + run-time) at most; more are answered 503.",
      .min = 1, .max = 10'000,
      .doc = "Subscriptions at most, configured and run-time together (1..10000); each has a thread.\n"
             "event_subscribe beyond it is answered 503. Default: 64."},
     {.section = "events", .key = "statistics_interval_s", .type = KeyType::integer, .default_value = "10",
      .help = "Default seconds between E_STATISTICS samples.",
      .min = 1, .max = 86'400,
      .doc = "E_STATISTICS: seconds between samples when a subscription names none (1..86400). Default: 10."},
     {.section = "events", .key = "statistics", .type = KeyType::string,
      .default_value = "core:,usrloc:,registrar:,calls:,accounts:,ports:,events:",
      .help = "Default statistics an E_STATISTICS sample carries (get_statistics items, comma-separated).",
      .doc = "E_STATISTICS: the statistics sampled when a subscription names none (get_statistics items).\n"
             "Default: core:,usrloc:,registrar:,calls:,accounts:,ports:,events:"},
     {.section = "events", .key = "webhook_timeout_ms", .type = KeyType::integer, .default_value = "5000",
      .help = "Milliseconds a webhook POST (or a tcp: connect/write) may take before it is retried.",
      .min = 100, .max = 120'000,
      .doc = "Milliseconds one webhook POST may take, connect to answer (also a tcp: socket's connect and\n"
             "write timeout) (100..120000). Default: 5000."},
     {.section = "events", .key = "webhook_retries", .type = KeyType::integer, .default_value = "5",
      .help = "Retries of a webhook POST answered 5xx/408/429 or timed out.",
      .min = 0, .max = 100,
      .doc = "Retries of a webhook POST that timed out, failed to connect or was answered 5xx, 408 or 429,\n"
             "with back-off from 500 ms doubling up to backoff_max_ms (0..100). Default: 5."},
     {.section = "events", .key = "webhook_ca_file", .type = KeyType::string, .default_value = "",
      .help = "CA certificates (PEM) https webhooks are verified against; empty = the system's.",
      .path = true,
      .doc = "PEM file of the CA certificates an https webhook's server must chain to; its name must match\n"
             "the URL's host. Empty: the system's CA store. Default: empty."},
     {.section = "events", .key = "backoff_max_ms", .type = KeyType::integer, .default_value = "30000",
      .help = "Longest wait between webhook retries and tcp: reconnects.",
      .min = 500, .max = 3'600'000,
      .doc = "Longest wait between two webhook retries or tcp: reconnects (500..3600000). Default: 30000."},
     {.section = "events", .key = "exec_timeout_ms", .type = KeyType::integer, .default_value = "10000",
      .help = "Milliseconds an exec: program may run before it is killed.",
      .min = 100, .max = 3'600'000,
      .doc = "Milliseconds an exec: program may run; then it and its process group are killed (counted in\n"
             "subscribers_list) (100..3600000). Default: 10000."},
     {.section = "events", .key = "exec_max_running", .type = KeyType::integer, .default_value = "4",
      .help = "exec: programs running at once per subscription.",
      .min = 1, .max = 256,
      .doc = "exec: programs running at once per subscription (1..256); further events wait in the queue.\n"
             "Default: 4."},
     {.section = "events", .key = "exec_dirs", .type = KeyType::string, .default_value = "",
      .help = "Directories whose programs event_subscribe may run (exec:); empty = none at run time.",
      .doc = "Comma-separated directories whose programs a run-time event_subscribe may name as exec:\n"
             "(an admin over HTTP could otherwise run any program as the daemon's user). Programs named\n"
             "by subscribe lines above always may. Default: empty (no run-time exec subscriptions)."},
    },
    .intro = {"The event interface (OpenSIPS-style): events_list shows what the daemon raises,\n"
              "event_subscribe/subscribers_list manage subscriptions, GET /api/v1/events streams them over\n"
              "a WebSocket. Raising never blocks the SIP engine: each subscriber has a bounded queue."},
};
// clang-format on

}  // namespace

void EventsComponent::declare(ConfigSchema& schema) const { schema.add(kEventsSection); }

void EventsComponent::configure(const Config& cfg) {
  limits_.queue_size = static_cast<std::size_t>(cfg.get_int("events.queue_size"));
  limits_.max_subscriptions = static_cast<std::size_t>(cfg.get_int("events.max_subscriptions"));
  limits_.statistics_interval_s = static_cast<int>(cfg.get_int("events.statistics_interval_s"));
  limits_.statistics = split_list(cfg.get_string("events.statistics"));
  limits_.exec_dirs = split_list(cfg.get_string("events.exec_dirs"));
  limits_.delivery.webhook_timeout = std::chrono::milliseconds(cfg.get_int("events.webhook_timeout_ms"));
  limits_.delivery.webhook_retries = static_cast<int>(cfg.get_int("events.webhook_retries"));
  limits_.delivery.webhook_ca_file = cfg.get_string("events.webhook_ca_file");
  limits_.delivery.backoff_max = std::chrono::milliseconds(cfg.get_int("events.backoff_max_ms"));
  limits_.delivery.exec_timeout = std::chrono::milliseconds(cfg.get_int("events.exec_timeout_ms"));
  limits_.delivery.exec_max_running = static_cast<int>(cfg.get_int("events.exec_max_running"));
  configured_ = cfg.get_list("events.subscribe");
  bus_queue_ = static_cast<std::size_t>(cfg.get_int("events.bus_queue"));
}

void EventsComponent::register_commands(Runtime& rt) {
  declare_core_events(rt.registry.events());
  register_events_commands(rt.registry, ctx_);
}

void EventsComponent::start(Runtime& rt) {
  ctx_.bus = rt.events;
  if (!rt.events) throw std::runtime_error("events: no event bus");
  rt.events->set_pending_limit(bus_queue_);
  auto subs = std::make_unique<Subscriptions>(*rt.events, rt.stats, limits_);
  for (const auto& [line, origin] : configured_) {
    auto parsed = parse_subscribe_line(line);
    auto& spec = std::get<SubscriptionSpec>(parsed);  // checked when the configuration was loaded
    auto made = subs->subscribe(std::move(spec), 0x7fffffff);
    if (auto* e = std::get_if<mi::Error>(&made))
      throw std::runtime_error(fmt::format("{}: events.subscribe: {}{}", origin, e->reason,
                                           e->detail.empty() || e->reason.find(e->detail) != std::string::npos
                                               ? "" : ": " + e->detail));
  }
  subs->start();
  ctx_.subscriptions = std::move(subs);
}

void EventsComponent::finish(std::chrono::milliseconds left) {
  auto deadline = std::chrono::steady_clock::now() + left;
  if (ctx_.bus) ctx_.bus->flush(left);  // E_CORE_SHUTDOWN and the last events into the queues
  if (ctx_.subscriptions) ctx_.subscriptions->stop(deadline);
}

}  // namespace sb::gateway::events
