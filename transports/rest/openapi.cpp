// openapi.cpp: catalogue → OpenAPI 3.1.
#include "transports/rest/openapi.h"

#include <fmt/format.h>

#include "mi/param_schema.h"
#include "transports/rest/rest_reply.h"

#ifndef SB_VERSION
#define SB_VERSION "0"
#endif

namespace sb::transports::rest {

namespace {

using mi::Value;


std::string_view role_of(const mi::CommandSpec& s) {
  if (s.has(mi::kAdmin)) return "admin";
  if (s.has(mi::kReadOnly)) return "read_only";
  return "operator";
}

Value problem_schema() {
  Value item = Value{{"type", "object"},
                     {"properties", {{"pointer", {{"type", "string"}, {"description", "JSON Pointer into the request body"}}},
                                     {"parameter", {{"type", "string"}, {"description", "a path or query parameter"}}},
                                     {"detail", {{"type", "string"}}}}},
                     {"required", Value::array({"detail"})}};
  return Value{{"type", "object"},
               {"description", "RFC 9457 problem details"},
               {"properties",
                {{"type", {{"type", "string"}, {"description", "tag:switchboard,2026:problem:<slug>"}}},
                 {"title", {{"type", "string"}}},
                 {"status", {{"type", "integer"}}},
                 {"detail", {{"type", "string"}}},
                 {"mi_code", {{"type", "integer"}, {"description", "the MI status code"}}},
                 {"errors", {{"type", "array"}, {"items", item}}}}},
               {"required", Value::array({"type", "title", "status", "detail"})}};
}

Value problem_response(std::string description) {
  return Value{{"description", std::move(description)},
               {"content", {{kProblemJson, {{"schema", component_ref("schemas/Problem")}}}}}};
}

Value header(std::string description, bool required = true) {
  return Value{{"description", std::move(description)}, {"required", required},
               {"schema", {{"type", "string"}}}};
}

Value parameters_of(const Operation& op) {
  Value out = Value::array();
  auto in_path = mi::rest::path_params(op.binding->path);
  for (const std::string& name : in_path)
    for (const mi::ParamSpec& p : op.spec->params)
      if (p.name == name)
        out.push_back(Value{{"name", name}, {"in", "path"}, {"required", true},
                            {"description", p.help}, {"schema", mi::param_schema(p)}});
  for (const mi::ParamSpec& p : op.spec->params)
    if (mi::rest_source(*op.binding, p.name) == mi::RestSource::query) {
      Value schema = mi::param_schema(p);
      for (const auto& [name, value] : op.binding->defaults)
        if (name == p.name) schema["default"] = value;
      out.push_back(Value{{"name", p.name}, {"in", "query"}, {"required", p.required},
                          {"description", p.help}, {"schema", std::move(schema)}});
    }
  return out;
}

Value operation_of(const Operation& op, const std::string& operation_id) {
  const mi::CommandSpec& s = *op.spec;
  const mi::RestBinding& b = *op.binding;
  Value o = Value::object();
  o["operationId"] = operation_id;
  o["summary"] = b.summary.empty() ? s.summary : b.summary;
  std::string description = s.description.empty() ? "" : s.description + "\n\n";
  description += fmt::format("MI command `{}` (also `POST /mi/{}`, the FIFO, sbctl). Role: {}.",
                             s.name, s.name, role_of(s));
  o["description"] = description;
  o["tags"] = Value::array({s.module});
  if (Value params = parameters_of(op); !params.empty()) o["parameters"] = std::move(params);
  bool has_body = false, body_required = false;
  for (const mi::ParamSpec& p : s.params)
    if (mi::rest_source(b, p.name) == mi::RestSource::body) {
      has_body = true;
      body_required = body_required || p.required;
    }
  if (has_body) {
    // A whole-document body is described by its param's own schema (its shape).
    Value schema = mi::params_object_schema(s, [&](const mi::ParamSpec& p) {
      return mi::rest_source(b, p.name) == mi::RestSource::body;
    });
    for (const mi::ParamSpec& p : s.params)
      if (p.name == b.body_param) schema = mi::param_schema(p);
    o["requestBody"] = Value{{"required", body_required},
                             {"content", {{kJson, {{"schema", std::move(schema)}}}}}};
  }

  Value responses = Value::object();
  const Operation& shown =
      (op.read && !b.answers_with_reply && (b.method == "PUT" || b.method == "PATCH")) ? *op.read : op;
  Value ok{{"description", b.status == 204 ? "done" : shown.spec->summary}};
  if (b.status != 204) {
    // After a PUT/PATCH: the resource as a GET shows it now, or (when reading it back failed
    // after the committed write) the command's own reply.
    Value schema = &shown == &op || shown.spec->reply == op.spec->reply
                       ? shown.spec->reply
                       : Value{{"anyOf", Value::array({shown.spec->reply, op.spec->reply})}};
    ok["content"] = Value{{kJson, {{"schema", std::move(schema)}}}};
  }
  Value headers = Value::object();
  if (b.method == "GET" || &shown != &op) headers["ETag"] = header("strong ETag of the representation");
  if (b.status == 201) headers["Location"] = header("the new resource");
  if (!b.next_cursor.empty()) headers["Link"] = header("<…&cursor=…>; rel=\"next\" while more pages follow", false);
  if (!headers.empty()) ok["headers"] = std::move(headers);
  responses[std::to_string(b.status)] = std::move(ok);
  if (b.method == "GET")
    responses["304"] = Value{{"description", "not modified (If-None-Match)"},
                             {"headers", {{"ETag", header("strong ETag of the representation")}}}};
  responses["400"] = component_ref("responses/BadRequest");
  responses["401"] = component_ref("responses/Unauthorized");
  responses["403"] = component_ref("responses/Forbidden");
  if (!mi::rest::path_params(b.path).empty()) responses["404"] = component_ref("responses/NotFound");
  if (b.status == 201) responses["409"] = component_ref("responses/Conflict");
  if (b.needs_if_match) {
    responses["412"] = component_ref("responses/PreconditionFailed");
    responses["428"] = component_ref("responses/PreconditionRequired");
    o["parameters"].push_back(Value{{"name", "If-Match"}, {"in", "header"}, {"required", true},
                                    {"description", "the ETag of the resource as last read, or *"},
                                    {"schema", {{"type", "string"}}}});
  }
  if (mi::rest_has_body(b.method)) {
    responses["415"] = component_ref("responses/UnsupportedMediaType");
    responses["422"] = component_ref("responses/Unprocessable");
  }
  responses["default"] = component_ref("responses/Error");
  o["responses"] = std::move(responses);
  return o;
}

std::string lower_method(const std::string& m) {
  std::string out = m;
  for (char& c : out) c = static_cast<char>(c - 'A' + 'a');
  return out;
}

Value escape_hatch() {
  Value body = Value{{"oneOf", Value::array({Value{{"type", "object"}, {"description", "named params"}},
                                              Value{{"type", "array"}, {"description", "positional params"}}})}};
  Value o{{"operationId", "mi_call"},
          {"summary", "Run any MI command with JSON params (the escape hatch)"},
          {"description", "The command's own role applies (read-only callers run read-only commands). "
                          "GET /commands lists every command with its params and reply schema."},
          {"tags", Value::array({"mi"})},
          {"parameters", Value::array({Value{{"name", "command"}, {"in", "path"}, {"required", true},
                                             {"description", "the command name, e.g. uptime"},
                                             {"schema", {{"type", "string"}}}}})},
          {"requestBody", {{"required", false}, {"content", {{kJson, {{"schema", body}}}}}}},
          {"responses", {{"200", {{"description", "the command's reply"}, {"content", {{kJson, {{"schema", Value::object()}}}}}}},
                         {"400", component_ref("responses/BadRequest")},
                         {"401", component_ref("responses/Unauthorized")},
                         {"403", component_ref("responses/Forbidden")},
                         {"404", component_ref("responses/NotFound")},
                         {"415", component_ref("responses/UnsupportedMediaType")},
                         {"422", component_ref("responses/Unprocessable")},
                         {"default", component_ref("responses/Error")}}}};
  return Value{{"post", std::move(o)}};
}

}  // namespace

Value openapi_document(const Catalogue& catalogue, const mi::Registry& registry) {
  Value paths = Value::object();
  // operationId: the command's name, with the method when a command has several bindings.
  auto id_of = [](const Operation& op) {
    if (op.spec->rest.size() == 1) return op.spec->name;
    std::string suffix;
    for (char c : op.binding->path)
      suffix += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
    return fmt::format("{}_{}{}", op.spec->name, lower_method(op.binding->method), suffix);
  };
  for (const Resource& r : catalogue.resources()) {
    Value item = Value::object();
    for (const Operation& op : r.operations)
      item[lower_method(op.binding->method)] = operation_of(op, id_of(op));
    paths[r.path] = std::move(item);
  }
  paths["/mi/{command}"] = escape_hatch();
  paths["/openapi.json"] = Value{{"get", {{"operationId", "openapi_document"},
                                          {"summary", "This document"},
                                          {"tags", Value::array({"mi"})},
                                          {"responses", {{"200", {{"description", "OpenAPI 3.1"},
                                                                  {"content", {{kJson, {{"schema", {{"type", "object"}}}}}}}}},
                                                         {"304", {{"description", "not modified"}}},
                                                         {"401", component_ref("responses/Unauthorized")},
                                                         {"default", component_ref("responses/Error")}}}}}};
  Value tags = Value::array();
  std::vector<std::string> seen;
  for (const mi::CommandSpec* s : registry.all())
    if (!s->rest.empty() && std::find(seen.begin(), seen.end(), s->module) == seen.end()) {
      seen.push_back(s->module);
      tags.push_back(Value{{"name", s->module}, {"description", fmt::format("commands of the {} module", s->module)}});
    }
  tags.push_back(Value{{"name", "mi"}, {"description", "any MI command, and this document"}});
  add_event_paths(paths, tags);

  Value responses{{"BadRequest", problem_response("bad request: a query or path parameter, or JSON that does not parse")},
                  {"Unauthorized", problem_response("credentials missing or wrong (Basic or Bearer)")},
                  {"Forbidden", problem_response("the caller's role may not do this")},
                  {"NotFound", problem_response("no such resource")},
                  {"Conflict", problem_response("it exists already")},
                  {"PreconditionFailed", problem_response("If-Match names an ETag that is no longer current")},
                  {"PreconditionRequired", problem_response("If-Match is required")},
                  {"UnsupportedMediaType", problem_response("the body must be application/json")},
                  {"Unprocessable", problem_response("the body does not validate: `errors` lists each problem with a JSON Pointer")},
                  {"Error", problem_response("any other error, as problem+json")}};
  return Value{
      {"openapi", "3.1.0"},
      {"info", {{"title", "Switchboard REST API"},
                {"version", SB_VERSION},
                {"summary", "Provisioning and operation of a Switchboard SIP gateway"},
                {"description",
                 "Every operation runs one MI command through the same dispatcher as the FIFO, "
                 "JSON-RPC and XML-RPC (roles, statistics, timeouts). Errors are RFC 9457 "
                 "problem+json. Writes of provisioned resources need If-Match with the ETag of "
                 "a GET (428 without, 412 when stale). Lists page with `limit` and `cursor`; "
                 "the next page is in the Link header."},
                {"license", {{"name", "proprietary"}, {"identifier", "LicenseRef-Switchboard"}}}}},
      {"servers", Value::array({Value{{"url", std::string(kBase)}}})},
      {"security", Value::array({Value{{"basic", Value::array()}}, Value{{"bearer", Value::array()}},
                                 Value::object()})},
      {"tags", std::move(tags)},
      {"paths", std::move(paths)},
      {"webhooks", event_webhooks(registry)},
      {"components",
       {{"securitySchemes", {{"basic", {{"type", "http"}, {"scheme", "basic"}}},
                             {"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}},
        {"schemas", {{"Problem", problem_schema()}}},
        {"responses", std::move(responses)}}}};
}

std::string openapi_text(const mi::Registry& registry) {
  Catalogue catalogue(registry);
  return openapi_document(catalogue, registry).dump(2) + "\n";
}

Value component_ref(std::string_view what) { return Value{{"$ref", fmt::format("#/components/{}", what)}}; }

}  // namespace sb::transports::rest
