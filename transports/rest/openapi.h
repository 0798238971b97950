// openapi.h: the OpenAPI 3.1 document of the REST API, generated from the registry.
//
// Purpose: every operation comes from a command's REST binding (rest_catalogue.h): its params
// (path, query, body schemas from mi/param_schema.h), its reply schema (mi/reply_schema.h), the
// binding's status, ETag/Location/Link headers, its role, and problem+json for errors. The
// daemon serves it (GET /api/v1/openapi.json), prints it (`switchboard --openapi`), and the
// committed openapi/switchboard.json is this output (a test fails when it is stale). The events
// (registry.events()) are its `webhooks`, the event stream its /events paths.
// Threading: a pure function of its arguments.
#pragma once

#include <string>

#include "mi/registry.h"
#include "transports/rest/rest_catalogue.h"

namespace sb::transports::rest {

mi::Value openapi_document(const Catalogue& catalogue, const mi::Registry& registry);

/// GET /events and POST /events/tickets, and the `events` tag (openapi_events.cpp).
void add_event_paths(mi::Value& paths, mi::Value& tags);
/// {"$ref": "#/components/<what>"} ("schemas/Problem", "responses/BadRequest").
mi::Value component_ref(std::string_view what);
/// One `webhooks` entry per declared event: the notification its subscribers receive.
mi::Value event_webhooks(const mi::Registry& registry);

/// The whole document as `switchboard --openapi` prints it (indented JSON, newline at the end).
std::string openapi_text(const mi::Registry& registry);

}  // namespace sb::transports::rest
