// rpc2_route.cpp: POST /RPC2 — XML-RPC (xmlrpc_endpoint.h: methodCall, system.multicall).
#include "transports/http/routes/routes.h"

#include "mi/codec/xmlrpc.h"
#include "transports/http/xmlrpc_endpoint.h"

namespace sb::transports {

HttpRoute rpc2_route(mi::Dispatcher& dispatcher, const HttpConfig& cfg) {
  HttpRoute r;
  r.methods = {"POST"};
  r.pattern = "/RPC2";
  r.summary = "POST /RPC2";
  r.content_type = "text/xml";
  r.needs_body = true;
  r.handle = [&dispatcher, max = cfg.max_reply](HttpRequest& req, HttpRespond respond) {
    handle_xmlrpc(dispatcher, req.body, req.caller, [respond = std::move(respond), max](std::string xml) {
      if (xml.size() > max)
        xml = mi::render_xmlrpc(mi::Error::reply_too_large(xml.size(), max, "over http.max_reply"));
      respond(HttpReply{200, "text/xml", std::move(xml), {}});
    });
  };
  return r;
}

}  // namespace sb::transports
