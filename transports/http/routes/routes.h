// routes.h: the management routes of the HTTP host, one file each (spec/wire.md §5). A new
// endpoint is a file here returning an HttpRoute plus one add_route() line in
// http_transport.cpp.
// Threading: a route's functions run on MHD's threads (see http_host.h).
#pragma once

#include "mi/dispatcher.h"
#include "transports/http/http_host.h"

namespace sb::transports {

/// POST /mi: JSON-RPC 2.0 (single, batch, notifications → 202).
HttpRoute mi_route(mi::Dispatcher& dispatcher, const HttpConfig& cfg);
/// GET|POST /json/{command}: OpenSIPS 2 mi_json (`?params=a,b`).
HttpRoute json_route(mi::Dispatcher& dispatcher, const HttpConfig& cfg);
/// POST /RPC2: XML-RPC.
HttpRoute rpc2_route(mi::Dispatcher& dispatcher, const HttpConfig& cfg);
/// GET /metrics: Prometheus text exposition.
HttpRoute metrics_route(mi::Dispatcher& dispatcher);
/// GET / and GET /assets/{file}: the web panel's static files (web/dist, built by npm).
std::vector<HttpRoute> panel_routes(const HttpConfig& cfg);

}  // namespace sb::transports
