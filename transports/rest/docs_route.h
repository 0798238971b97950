// docs_route.h: the REST API reference page (Redoc, served locally) and its script.
// Threading: routes run on MHD's threads; the bundle is read once, when they are made.
#pragma once

#include <vector>

#include "transports/http/http_host.h"

namespace sb::transports::rest {

/// GET /api/v1/docs and GET /api/v1/docs/redoc.standalone.js (503 when not installed).
std::vector<HttpRoute> docs_routes(const HttpConfig& cfg);

}  // namespace sb::transports::rest
