// rest_api.cpp: the catalogue's resources as host routes, plus the escape hatch and the document.
#include "transports/rest/rest_api.h"

#include <memory>
#include <optional>

#include <fmt/format.h>

#include "mi/codec/limits.h"
#include "transports/http/http_request_checks.h"
#include "transports/http/loaded_on_first_use.h"
#include "transports/rest/docs_route.h"
#include "transports/rest/openapi.h"
#include "transports/rest/rest_catalogue.h"
#include "transports/rest/rest_operation.h"
#include "transports/rest/rest_reply.h"

namespace sb::transports::rest {

namespace {

std::vector<std::string> methods_of(const Resource& r) {
  std::vector<std::string> out;
  for (const Operation& op : r.operations) out.push_back(op.binding->method);
  return out;
}

HttpRoute resource_route(std::shared_ptr<const Catalogue> cat, const Resource& res,
                         mi::Dispatcher& dispatcher, std::size_t max_reply) {
  HttpRoute r;
  r.methods = methods_of(res);
  r.pattern = std::string(kBase) + res.path;
  r.check = [&res](const HttpRequest& req) -> std::optional<HttpReply> {
    const Operation* op = res.find(req.method);
    return op ? check_head(*op, req) : std::nullopt;
  };
  r.handle = [cat, &res, &dispatcher, max_reply](HttpRequest& req, HttpRespond respond) {
    if (const Operation* op = res.find(req.method)) return serve(*op, req, std::move(respond), dispatcher, max_reply);
    respond(problem(405, "method not allowed"));
  };
  return r;
}

/// POST /api/v1/mi/{command}: the body is the params, an object (named) or an array
/// (positional); empty = none.
HttpRoute mi_route(mi::Dispatcher& dispatcher, std::size_t max_reply) {
  HttpRoute r;
  r.methods = {"POST"};
  r.pattern = std::string(kBase) + "/mi/{command}";
  r.handle = [&dispatcher, max_reply](HttpRequest& req, HttpRespond respond) {
    mi::Value params;
    if (!req.body.empty()) {
      if (media_type(req.header("Content-Type")) != kJson)
        return respond(problem(415, "the body must be application/json"));
      const std::size_t max_depth = mi::decode_limits().max_nesting;
      if (mi::json_nesting(req.body, max_depth + 1) > max_depth)
        return respond(problem(400, fmt::format("the body is nested deeper than {} levels "
                                                "(core.max_nesting)", max_depth)));
      params = mi::Value::parse(req.body, nullptr, false);
      if (params.is_discarded()) return respond(problem(400, "the body is not JSON"));
      if (!params.is_object() && !params.is_array() && !params.is_null())
        return respond(problem(422, "the body must be an object (named params) or an array "
                                    "(positional params)",
                               mi::Value::array({mi::Value{{"pointer", ""}, {"detail", "must be an object or an array"}}})));
    }
    bool named = params.is_object();
    mi::Request call{req.params.at("command"), std::move(params), req.caller, false, {}};
    dispatcher.call(std::move(call), [respond = std::move(respond), max_reply, named](mi::Result res) {
      if (!res.ok()) {
        const mi::Error& e = res.error();
        if (e.kind == mi::ErrorKind::bad_param && named && !e.param.empty()) {
          HttpReply reply = problem(e, mi::Value::array({mi::Value{{"pointer", "/" + e.param},
                                                                   {"detail", e.reason}}}));
          return respond(std::move(reply));
        }
        return respond(problem(e));
      }
      std::string text = mi::to_compact_json(res.value());
      if (text.size() > max_reply)
        return respond(problem(mi::Error::reply_too_large(text.size(), max_reply, "over http.max_reply")));
      respond(HttpReply{200, kJson, std::move(text), {}});
    });
  };
  return r;
}

/// The OpenAPI document (~150 kB) is rendered at its first request, then served from memory.
HttpRoute document_route(std::shared_ptr<const Catalogue> cat, const mi::Registry& registry) {
  struct Document {
    std::string text;
    std::string etag;
  };
  // The registry does not change once the daemon serves (modules register before the
  // dispatcher exists), so the document is the one that rendering at start gave.
  auto doc = std::make_shared<LoadedOnFirstUse<Document>>("the OpenAPI document", [cat, &registry] {
    Document d{mi::to_compact_json(openapi_document(*cat, registry)), {}};
    d.etag = etag_of(d.text);
    return std::optional<Document>(std::move(d));
  });
  HttpRoute r;
  r.methods = {"GET"};
  r.pattern = std::string(kBase) + "/openapi.json";
  r.summary = "GET /api/v1/openapi.json (the REST API)";
  r.handle = [doc](HttpRequest& req, HttpRespond respond) {
    std::shared_ptr<const Document> d = doc->get();
    if (!d) return respond(problem(500, "the OpenAPI document could not be rendered (see the server log)"));
    const char* inm = req.header("If-None-Match");
    if (inm && etag_listed(inm, d->etag, true)) return respond(HttpReply{304, {}, {}, {{"ETag", d->etag}}});
    respond(HttpReply{200, kJson, d->text, {{"ETag", d->etag}}});
  };
  return r;
}

}  // namespace

void add_rest_api(HttpHost& host, mi::Dispatcher& dispatcher, const HttpConfig& cfg) {
  auto cat = std::make_shared<const Catalogue>(dispatcher.registry());
  host.add_route(document_route(cat, dispatcher.registry()));
  host.add_route(mi_route(dispatcher, cfg.max_reply));
  for (HttpRoute& r : docs_routes(cfg)) host.add_route(std::move(r));
  for (const Resource& res : cat->resources())
    host.add_route(resource_route(cat, res, dispatcher, cfg.max_reply));
  host.restyle_errors(std::string(kBase) + "/", restyle);
}

}  // namespace sb::transports::rest
