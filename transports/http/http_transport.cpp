// http_transport.cpp: the management routes on the HTTP host, one line each.
#include "transports/http/http_transport.h"

#include "transports/http/routes/routes.h"
#include "transports/rest/event_stream.h"
#include "transports/rest/rest_api.h"

namespace sb::transports {

HttpTransport::HttpTransport(HttpConfig config, mi::Dispatcher& dispatcher, mi::EventBus* events)
    : host_(std::move(config), dispatcher) {
  const HttpConfig& cfg = host_.config();
  host_.add_route(mi_route(dispatcher, cfg));
  host_.add_route(json_route(dispatcher, cfg));
  host_.add_route(rpc2_route(dispatcher, cfg));
  host_.add_route(metrics_route(dispatcher));
  for (HttpRoute& r : panel_routes(cfg)) host_.add_route(std::move(r));
  rest::add_event_stream(host_, events, dispatcher.statistics(), cfg);  // /api/v1/events (before the resources)
  rest::add_rest_api(host_, dispatcher, cfg);  // /api/v1: every command's REST bindings
}

}  // namespace sb::transports
