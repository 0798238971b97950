// rest_reply.h: the pieces of a REST answer — RFC 9457 problem+json from the one error table,
// strong ETags and their conditional-request checks, percent-encoding for Location and Link.
// Threading: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "mi/error.h"
#include "mi/value.h"
#include "transports/http/http_host.h"

namespace sb::transports::rest {

inline constexpr const char* kJson = "application/json";
inline constexpr const char* kProblemJson = "application/problem+json";
/// The API's base path: every binding's path is under it.
inline constexpr std::string_view kBase = "/api/v1";

/// `tag:switchboard,2026:problem:<slug>`: the problem type URI of a slug.
std::string problem_type(std::string_view slug);

/// The problem+json answer for an MI error: type from the error table, title (the HTTP reason
/// phrase), status, detail (the MI reason and detail), mi_code; `errors` when not null.
HttpReply problem(const mi::Error& e, mi::Value errors = nullptr);
/// The same as a 422 `validation` problem (a bad param that came in the JSON body).
HttpReply validation_problem(const mi::Error& e, mi::Value errors);
/// A problem the REST layer finds itself (no MI code): 400, 412, 415, 422, 428 ….
HttpReply problem(unsigned status, std::string detail, mi::Value errors = nullptr);
/// The host's own text/plain refusals (404, 405, 401 …) as problem+json, headers kept.
HttpReply restyle(HttpReply text);

/// A strong ETag ("…", quotes included): a 128-bit hash of the representation's bytes.
std::string etag_of(std::string_view representation);
/// A strong ETag from a version number or string (the config revision).
std::string etag_of_version(const mi::Value& version);
/// If-Match / If-None-Match: true when `header` ("*", or a list of ETags) names `etag`.
/// Weak ETags (W/"…") never match (strong comparison, RFC 9110 §13.1.1).
bool etag_listed(std::string_view header, std::string_view etag, bool weak_compare = false);
/// The ETag of a resource whose representation holds run-time state: "<stable>.<full>", the
/// digest without those members, then of the whole. If-None-Match compares it whole (a GET
/// sees any change); If-Match compares the stable part (a write conflicts only with writes).
std::string two_part_etag(std::string_view stable_representation, std::string_view representation);
/// If-Match against a two-part (or plain) ETag: compares the part before '.' of each listed
/// tag with `stable` (a quoted digest). "*" matches.
bool etag_listed_stable(std::string_view header, std::string_view stable);

/// RFC 3986 percent-encoding of a query component (everything but the unreserved characters),
/// or of a path segment (`in_path`: '@' and ':' stay, as pchar allows).
std::string percent_encode(std::string_view text, bool in_path = false);

}  // namespace sb::transports::rest
