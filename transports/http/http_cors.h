// http_cors.h: CORS for the origins of http.allowed_origins, and for no one else.
//
// Purpose: a web panel served from another origin (listed in http.allowed_origins) may call the
// API from a browser: its requests get Access-Control-Allow-Origin (its own origin, never *),
// Allow-Credentials, and the ETag, Location and Link headers exposed; its preflights (OPTIONS
// with Access-Control-Request-Method) are answered 204 before authentication (a browser sends
// them without credentials). Any other origin gets no CORS header, so the browser keeps the
// answer from the page, and its preflight gets 403. Same-origin requests need none of it.
// Threading: pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "transports/http/http_host.h"

namespace sb::transports {

/// The request's Origin when http.allowed_origins lists it (compared case-insensitively).
std::optional<std::string> cors_origin(const char* origin_header, const HttpConfig& cfg);

/// Adds the CORS headers of an answer to the allowed `origin`.
void add_cors_headers(HttpReply& reply, const std::string& origin);

/// True for a CORS preflight: OPTIONS with Origin and Access-Control-Request-Method.
bool is_preflight(std::string_view method, const char* origin, const char* request_method);

/// The answer to a preflight for a route taking `methods`: 204 with the allowed methods and
/// request headers when the origin is allowed, else 403.
HttpReply preflight_reply(const char* origin, const std::vector<std::string>& methods,
                          const HttpConfig& cfg);

}  // namespace sb::transports
