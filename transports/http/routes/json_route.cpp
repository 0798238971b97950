// json_route.cpp: GET|POST /json/{command} — OpenSIPS 2's mi_json: `?params=a,b` as positional
// params, the reply value as JSON, errors as {"error":{"code","message"}} with the MI code.
// A GET runs only read-only commands (any web page can make a browser send one), unless
// http.json_get_writes restores OpenSIPS 2's behaviour.
#include "transports/http/routes/routes.h"

#include <fmt/format.h>

#include "transports/net/printable.h"

namespace sb::transports {

namespace {

/// `a,b,c` → ["a","b","c"]; absent or empty → null (no params).
mi::Value params_of(const char* arg) {
  mi::Value params;
  if (!arg || !*arg) return params;
  params = mi::Value::array();
  std::string_view rest(arg);
  for (;;) {
    auto comma = rest.find(',');
    params.push_back(std::string(rest.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return params;
}

}  // namespace

HttpRoute json_route(mi::Dispatcher& dispatcher, const HttpConfig& cfg) {
  HttpRoute r;
  r.methods = {"GET", "POST"};
  r.pattern = "/json/{command}";
  r.summary = "GET or POST /json/<command>";
  r.get_may_write = cfg.json_get_writes;
  if (!cfg.json_get_writes)
    r.check = [&dispatcher](const HttpRequest& req) -> std::optional<HttpReply> {
      if (req.method != "GET" && req.method != "HEAD") return std::nullopt;
      const std::string& command = req.params.at("command");
      const mi::CommandSpec* spec = dispatcher.registry().find(command);
      if (!spec || spec->has(mi::kReadOnly)) return std::nullopt;
      HttpReply reply = text_reply(405, fmt::format("'{}' changes state: send it with POST (GET runs "
                                                    "only read-only commands; see http.json_get_writes)",
                                                    printable(command, 64)));
      reply.headers.emplace_back("Allow", "POST");
      return reply;
    };
  r.handle = [&dispatcher, max = cfg.max_reply](HttpRequest& req, HttpRespond respond) {
    mi::Request call{req.params.at("command"), params_of(req.query("params")), req.caller, false};
    call.caller.accepts_stream = true;
    dispatcher.call(std::move(call), [respond = std::move(respond), max](mi::Result res) {
      if (res.is_stream()) {  // written piece by piece, never held whole: no http.max_reply
        HttpReply r{200, "application/json", {}, {}};
        r.pieces = mi::chunked_json(res.take_stream());
        return respond(std::move(r));
      }
      if (res.ok()) {
        std::string text = mi::to_compact_json(res.value());
        if (text.size() <= max) return respond(HttpReply{200, "application/json", std::move(text), {}});
        res = mi::Error::reply_too_large(text.size(), max, "over http.max_reply");
      }
      // mi_json's error object, with the MI code and reason (not the JSON-RPC code).
      mi::Value body = mi::Value::object();
      body["error"]["code"] = res.error().code;
      body["error"]["message"] = res.error().reason;
      respond(HttpReply{200, "application/json", mi::to_compact_json(body), {}});
    });
  };
  return r;
}

}  // namespace sb::transports
