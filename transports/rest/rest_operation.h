// rest_operation.h: one REST request → one MI command call → one REST answer.
//
// Purpose: the generic mapping. Params are gathered from the path, the binding's fixed values,
// the query string and the JSON body (mi/rest_binding.h says which); the body is checked
// member by member against the param declarations first, so a 422 lists every problem with a
// JSON Pointer. If-Match is checked in the command's own step (Request::precondition). The
// reply becomes 200/201/202/204 with ETag, Location and Link as the binding declares; an MI
// error becomes problem+json through the one error table.
// Threading: serve() runs on an MHD thread; `respond` is called once, from any thread.
#pragma once

#include <cstddef>

#include "mi/dispatcher.h"
#include "transports/http/http_host.h"
#include "transports/rest/rest_catalogue.h"

namespace sb::transports::rest {

/// Refusals known from the head alone (unknown query params, missing If-Match), or none.
std::optional<HttpReply> check_head(const Operation& op, const HttpRequest& req);

/// Serves `req` with `op`; `max_reply` bounds the reply body (http.max_reply).
void serve(const Operation& op, HttpRequest& req, HttpRespond respond, mi::Dispatcher& dispatcher,
           std::size_t max_reply);

/// The problems of a JSON object body against the params the binding reads from the body:
/// [{pointer, detail}], empty when it fits. Secrets are never echoed.
mi::Value body_problems(const Operation& op, const mi::Value& body);

}  // namespace sb::transports::rest
