// metrics_route.cpp: GET /metrics — every statistic in the Prometheus text format.
#include "transports/http/routes/routes.h"

#include "mi/render/prometheus.h"

namespace sb::transports {

HttpRoute metrics_route(mi::Dispatcher& dispatcher) {
  HttpRoute r;
  r.methods = {"GET"};
  r.pattern = "/metrics";
  r.summary = "GET /metrics";
  r.handle = [&dispatcher](HttpRequest&, HttpRespond respond) {
    respond(HttpReply{200, std::string(mi::kPrometheusContentType),
                      mi::render_prometheus(dispatcher.statistics()), {}});
  };
  return r;
}

}  // namespace sb::transports
