// event_stream.cpp: see event_stream.h.
#include "transports/rest/event_stream.h"

#include <gnutls/crypto.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "mi/event_bus.h"
#include "mi/printable.h"
#include "transports/http/websocket_stream.h"
#include "transports/rest/rest_reply.h"

namespace sb::transports::rest {

namespace {

using Clock = std::chrono::steady_clock;

/// Single-use tickets: 32 random bytes, hex; each carries a role and who asked.
class Tickets {
 public:
  explicit Tickets(std::chrono::seconds ttl) : ttl_(ttl) {}

  std::optional<std::string> issue(mi::Role role, std::string who) {
    unsigned char raw[32];
    if (gnutls_rnd(GNUTLS_RND_KEY, raw, sizeof raw) != 0) return std::nullopt;
    std::string t;
    for (unsigned char c : raw) t += fmt::format("{:02x}", c);
    std::lock_guard lk(mu_);
    purge();
    if (tickets_.size() >= kMaxOutstanding) return std::nullopt;
    tickets_[t] = Ticket{role, std::move(who), Clock::now() + ttl_};
    return t;
  }

  std::optional<std::pair<mi::Role, std::string>> redeem(std::string_view t) {
    std::lock_guard lk(mu_);
    purge();
    auto it = tickets_.find(std::string(t));
    if (it == tickets_.end()) return std::nullopt;
    auto out = std::make_pair(it->second.role, it->second.who);
    tickets_.erase(it);
    return out;
  }

  std::chrono::seconds ttl() const { return ttl_; }

 private:
  static constexpr std::size_t kMaxOutstanding = 1024;
  struct Ticket {
    mi::Role role;
    std::string who;
    Clock::time_point expires;
  };
  void purge() {
    auto now = Clock::now();
    for (auto it = tickets_.begin(); it != tickets_.end();) it = it->second.expires <= now ? tickets_.erase(it) : std::next(it);
  }
  std::chrono::seconds ttl_;
  std::mutex mu_;
  std::map<std::string, Ticket> tickets_;
};

/// The bus's view of one stream: queues each event's message on the WebSocket.
class StreamSink : public mi::EventSink {
 public:
  explicit StreamSink(WebSocketStream& ws) : ws_(ws) {}
  void offer(const mi::EventPtr& e) override { ws_.send_shared(e->stream_text()); }

 private:
  WebSocketStream& ws_;
};

std::string error_message(int code, std::string_view message) {
  return mi::to_compact_json(mi::Value{{"error", mi::Value{{"code", code}, {"message", message}}}});
}

struct Shared {
  mi::EventBus* bus;
  mi::Statistics& stats;
  HttpConfig cfg;
  Tickets tickets;
  std::atomic<std::size_t> streams{0};
  mi::Stat& opened;
  mi::Stat& too_slow;

  Shared(mi::EventBus* b, mi::Statistics& s, const HttpConfig& c)
      : bus(b), stats(s), cfg(c), tickets(c.events_ticket_ttl),
        opened(s.counter("http", "event_streams_opened")),
        too_slow(s.counter("http", "event_streams_too_slow")) {
    s.computed("http", "event_streams", mi::StatKind::gauge, [this] { return std::int64_t(streams.load()); });
  }
};

/// One connection's life, on its WebSocket thread.
void serve_stream(Shared& sh, int socket, const std::string& already_read, const HttpRequest& req) {
  struct Count {
    std::atomic<std::size_t>& n;
    ~Count() { --n; }
  } count{sh.streams};
  if (++sh.streams > sh.cfg.events_max_streams) {
    WebSocketStream ws(socket, already_read, {});
    ws.close(1013, fmt::format("too many event streams (http.events_max_streams is {})", sh.cfg.events_max_streams));
    ws.run();
    return;
  }
  sh.opened.inc();
  WebSocketStream::Options opt;
  opt.max_queued = sh.cfg.events_queue;
  opt.ping_interval = sh.cfg.events_ping;
  WebSocketStream ws(socket, already_read, opt);
  const mi::EventSpec* statistics_event = sh.bus->registry().find("E_STATISTICS");
  std::uint64_t attached = 0;
  auto sink = std::make_shared<StreamSink>(ws);
  std::string peer = req.caller.peer;

  ws.on_message = [&](std::string text) {
    mi::Value msg = mi::Value::parse(text, nullptr, false);
    if (msg.is_discarded() || !msg.is_object() || !msg.contains("subscribe") || !msg["subscribe"].is_array()) {
      ws.send(error_message(400, R"(expected {"subscribe":["E_NAME","E_PREFIX_*"],"statistics":{"interval":1,"names":["core:"]}})"));
      return;
    }
    std::vector<const mi::EventSpec*> events;
    std::string why;
    for (const mi::Value& p : msg["subscribe"]) {
      if (!p.is_string()) {
        ws.send(error_message(400, "subscribe: a list of event names or prefixes (strings)"));
        return;
      }
      for (const mi::EventSpec* e : sh.bus->registry().match(p.get<std::string>(), &why)) events.push_back(e);
      if (!why.empty()) {
        ws.send(error_message(400, why));
        return;
      }
    }
    int interval = 10;
    std::vector<std::string> names = {"core:", "usrloc:", "registrar:", "calls:", "accounts:", "ports:", "events:"};
    if (msg.contains("statistics")) {
      const mi::Value& st = msg["statistics"];
      if (!st.is_object() || (st.contains("interval") && (!st["interval"].is_number_integer() || st["interval"].get<int>() < 1 ||
                                                          st["interval"].get<int>() > 86400))) {
        ws.send(error_message(400, "statistics: {\"interval\": seconds 1..86400, \"names\": [get_statistics items]}"));
        return;
      }
      if (st.contains("interval")) interval = st["interval"].get<int>();
      if (st.contains("names") && st["names"].is_array() && !st["names"].empty()) {
        names.clear();
        for (const mi::Value& n : st["names"])
          if (n.is_string()) names.push_back(n.get<std::string>());
      }
    }
    if (attached) sh.bus->detach(attached);
    attached = 0;
    bool sampled = std::find(events.begin(), events.end(), statistics_event) != events.end();
    // E_STATISTICS is sampled here, never raised on the bus; attaching it too makes events_list
    // count this stream among its listeners.
    if (!events.empty()) attached = sh.bus->attach(events, sink);
    mi::Value list = mi::Value::array();
    for (const mi::EventSpec* e : events) list.push_back(e->name);
    mi::Value statistics = nullptr;
    if (sampled && statistics_event) {
      statistics = mi::Value{{"interval", interval}, {"names", names}};
      ws.every(std::chrono::seconds(interval), [&sh, &ws, statistics_event, interval, names] {
        mi::Value params{{"interval", interval}, {"statistics", mi::statistics_sample(sh.stats, names)}};
        ws.send(sh.bus->stamp(*statistics_event, std::move(params))->stream_message(0));
      });
    } else {
      ws.every(std::chrono::seconds(0), {});
    }
    ws.send(mi::to_compact_json(mi::Value{{"subscribed", list}, {"statistics", statistics}}));
  };

  ws.send(mi::to_compact_json(mi::Value{{"hello", mi::Value{{"version", SB_VERSION},
                                                            {"role", std::string(mi::to_string(req.caller.role))},
                                                            {"queue", sh.cfg.events_queue},
                                                            {"ping_s", sh.cfg.events_ping.count()}}}}));
  spdlog::debug("http: event stream from {} opened", mi::printable(peer, 100));
  ws.run();
  if (attached) sh.bus->detach(attached);  // before `ws` goes: no offer runs on it any more
  std::string why = ws.ended_because();
  if (ws.fell_behind()) sh.too_slow.inc();
  spdlog::debug("http: event stream from {} ended: {}", mi::printable(peer, 100), why);
}

}  // namespace

void add_event_stream(HttpHost& host, mi::EventBus* bus, mi::Statistics& stats, const HttpConfig& cfg) {
  auto sh = std::make_shared<Shared>(bus, stats, cfg);

  HttpRoute tickets;
  tickets.methods = {"POST"};
  tickets.pattern = "/api/v1/events/tickets";
  tickets.summary = "POST /api/v1/events/tickets (a ticket for the event WebSocket)";
  tickets.handle = [sh](HttpRequest& req, HttpRespond respond) {
    if (!sh->bus) return respond(problem(503, "no event bus"));
    auto t = sh->tickets.issue(req.caller.role, req.caller.peer);
    if (!t) return respond(problem(503, "too many outstanding tickets; try again shortly"));
    mi::Value body{{"ticket", *t},
                   {"expires_in", sh->tickets.ttl().count()},
                   {"url", "/api/v1/events?ticket=" + *t},
                   {"role", std::string(mi::to_string(req.caller.role))}};
    respond(HttpReply{201, "application/json", mi::to_compact_json(body), {{"Cache-Control", "no-store"}}});
  };
  host.add_route(std::move(tickets));

  HttpRoute stream;
  stream.methods = {"GET"};
  stream.pattern = "/api/v1/events";
  stream.summary = "GET /api/v1/events (WebSocket event stream)";
  stream.check = [sh](const HttpRequest&) -> std::optional<HttpReply> {
    if (!sh->bus) return problem(503, "no event bus");
    if (sh->streams.load() >= sh->cfg.events_max_streams)
      return problem(503, fmt::format("too many event streams (http.events_max_streams is {})", sh->cfg.events_max_streams));
    return std::nullopt;
  };
  stream.websocket = [sh](int socket, std::string already_read, const HttpRequest& req) {
    serve_stream(*sh, socket, already_read, req);
  };
  stream.redeem_ticket = [sh](std::string_view t) { return sh->tickets.redeem(t); };
  host.add_route(std::move(stream));
}

}  // namespace sb::transports::rest
