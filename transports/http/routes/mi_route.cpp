// mi_route.cpp: POST /mi — JSON-RPC 2.0 over the dispatcher (mi/codec/jsonrpc_dispatch.h).
#include "transports/http/routes/routes.h"

#include "mi/codec/jsonrpc_dispatch.h"

namespace sb::transports {

HttpRoute mi_route(mi::Dispatcher& dispatcher, const HttpConfig& cfg) {
  HttpRoute r;
  r.methods = {"POST"};
  r.pattern = "/mi";
  r.summary = "POST /mi";
  r.content_type = "application/json";
  r.needs_body = true;
  r.handle = [&dispatcher, max = cfg.max_reply](HttpRequest& req, HttpRespond respond) {
    mi::dispatch_jsonrpc(
        dispatcher, req.body, req.caller,
        [respond](std::optional<std::string> out) {
          if (out) respond(HttpReply{200, "application/json", std::move(*out), {}});
          else respond(HttpReply{202, {}, {}, {}});  // notifications only
        },
        max, "http.max_reply",
        // A streamed result (ul_dump …) is written piece by piece: never held whole, so
        // http.max_reply does not apply to it.
        [respond](std::shared_ptr<mi::ChunkedReply> pieces) {
          HttpReply r{200, "application/json", {}, {}};
          r.pieces = std::move(pieces);
          respond(std::move(r));
        });
  };
  return r;
}

}  // namespace sb::transports
