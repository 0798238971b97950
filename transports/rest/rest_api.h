// rest_api.h: the REST API (/api/v1) on the HTTP host.
//
// Purpose: one route per resource of the catalogue (rest_catalogue.h: the commands' own REST
// bindings), POST /api/v1/mi/{command} (any command with JSON params, same auth), GET
// /api/v1/openapi.json (the document generated from the same catalogue), and problem+json for
// the host's own refusals under /api/v1. Adding a resource is a binding on its command: nothing
// here changes.
// Threading: routes run on MHD's threads (http_host.h); the catalogue is immutable.
#pragma once

#include "mi/dispatcher.h"
#include "transports/http/http_host.h"

namespace sb::transports::rest {

/// Adds the REST routes to `host` (after every command is registered). Throws std::logic_error
/// when the bindings do not fit together (rest_catalogue.h).
void add_rest_api(HttpHost& host, mi::Dispatcher& dispatcher, const HttpConfig& cfg);

}  // namespace sb::transports::rest
