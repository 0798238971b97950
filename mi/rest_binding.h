// rest_binding.h: how a command is reached over REST (/api/v1), declared with the command.
//
// Purpose: a CommandSpec row lists its REST bindings next to its params and reply schema, e.g.
//   .rest = {rest::get("/subscribers/{username}@{domain}"),
//            rest::del("/subscribers/{username}@{domain}").if_match().no_content()},
// so the REST transport (transports/rest/) is generic: it builds its routes, its request checks
// and the OpenAPI document from these declarations and never names a command.
// Where a param comes from: a `{name}` of the path; else a `fixed` value of the binding; else
// the query string for GET and DELETE (and for the names listed in `query`); else a member of
// the JSON object body (POST, PUT, PATCH).
// Threading: plain values, immutable after registration.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mi/value.h"

namespace sb::mi {

struct CommandSpec;

struct RestBinding {
  std::string method;  ///< GET, POST, PUT, PATCH or DELETE
  std::string path;    ///< under /api/v1: "/ports/{id}/block"; "{a}@{b}" splits one segment
  int status = 200;    ///< success status: 200, 201 (with `location`), 202 or 204 (no body)
  /// 201: the new resource's path, its {names} filled from the call's params, then from the
  /// reply's top-level members ("/dialplan/rules/{id}").
  std::string location{};
  /// A write of a provisioned resource: the request must carry If-Match with the ETag a GET of
  /// the same path gives (missing: 428; stale: 412). Checked and written in one step.
  bool needs_if_match = false;
  /// Params the binding sets itself (POST /ports/{id}/unblock → block = false).
  std::vector<std::pair<std::string, Value>> fixed{};
  /// Defaults REST gives params the request leaves out (a list's `limit` of 100, where the
  /// command itself lists everything for the FIFO's scripts).
  std::vector<std::pair<std::string, Value>> defaults{};
  /// Params a POST/PUT/PATCH reads from the query string instead of the body (`dry_run`).
  std::vector<std::string> query{};
  /// A paged list: the reply member holding the next page's cursor (null or absent: last page);
  /// the response gets `Link: <…?cursor=…>; rel="next"`.
  std::string next_cursor{};
  /// The reply member that is the resource's version (the config's `revision`): its ETag.
  /// Empty: the ETag is a digest of the representation.
  std::string etag_member{};
  /// Top-level reply members left out of the ETag digest: run-time state (a port's `state`, an
  /// account's registration) that changes without anyone writing the resource.
  std::vector<std::string> etag_ignores{};
  /// The whole JSON body is this (object) param, not a set of members: PUT /config carries the
  /// document itself.
  std::string body_param{};
  /// If-Match names the ETag of this path's GET instead of the binding's own path
  /// (POST /config/revisions/{revision}/restore checks the config's revision).
  std::string if_match_path{};
  /// A PUT/PATCH answers with the command's own reply (an import's report) instead of the
  /// resource as a GET now shows it.
  bool answers_with_reply = false;
  /// One line for the OpenAPI operation; empty: the command's summary.
  std::string summary{};

  // Modifiers, reading as a sentence: rest::post("/accounts").created("/accounts/{name}").
  RestBinding created(std::string location_template) &&;
  RestBinding if_match() &&;
  RestBinding if_match_of(std::string path) &&;
  RestBinding body_as(std::string param) &&;
  RestBinding reporting() &&;
  RestBinding no_content() &&;
  RestBinding accepted() &&;
  RestBinding with(std::string param, Value value) &&;
  RestBinding defaults_to(std::string param, Value value) &&;
  RestBinding etag_ignoring(std::vector<std::string> members) &&;
  RestBinding from_query(std::vector<std::string> names) &&;
  RestBinding paged(std::string cursor_member) &&;
  RestBinding etag_from(std::string member) &&;
  RestBinding described(std::string one_line) &&;
};

namespace rest {
RestBinding get(std::string path);
RestBinding post(std::string path);
RestBinding put(std::string path);
RestBinding patch(std::string path);
RestBinding del(std::string path);

/// The {names} of a path template, in order ("/subscribers/{username}@{domain}" → username,
/// domain). Empty names or unbalanced braces yield nothing (check_path says why).
std::vector<std::string> path_params(std::string_view path);
/// Why a path template is not acceptable (empty when it is): must start with '/', no empty
/// segment, each {name} a whole segment or separated from the next by a literal character.
std::string check_path(std::string_view path);
}  // namespace rest

/// Where a REST request carries one param of a binding.
enum class RestSource { path, fixed, query, body };
/// The source of `param_name` in binding `b` (by the rules above).
RestSource rest_source(const RestBinding& b, std::string_view param_name);
/// True for the methods whose request has a JSON body (POST, PUT, PATCH).
bool rest_has_body(std::string_view method);

/// Why a command's REST bindings are not acceptable (empty when they are); the registry
/// refuses the command: unknown method or param, a GET of a command that changes state, a
/// path param that is not a scalar, 201 without a location, If-Match on a GET or POST, …
std::string check_rest_bindings(const CommandSpec& spec);

}  // namespace sb::mi
