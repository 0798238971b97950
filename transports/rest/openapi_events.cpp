// openapi_events.cpp: the event interface in the OpenAPI document — GET /events (the
// WebSocket stream), POST /events/tickets, and one `webhooks` entry per declared event: the
// POST an http(s):// subscription receives, whose body is the JSON-RPC notification every
// subscriber kind sends, with the event's params schema from its declaration.
#include "transports/rest/openapi.h"

#include "mi/reply_schema.h"

namespace sb::transports::rest {

namespace {

using mi::Value;
constexpr const char* kJson = "application/json";


}  // namespace

void add_event_paths(Value& paths, Value& tags) {
  tags.push_back(Value{{"name", "events"},
                       {"description", "the event stream (WebSocket) and its tickets; events_list, event_subscribe "
                                       "and subscribers_list through POST /mi/{command}"}});
  paths["/events"] = Value{
      {"get",
       {{"operationId", "event_stream"},
        {"summary", "Stream events over a WebSocket (upgrade)"},
        {"description",
         "Upgrade to a WebSocket (same authentication; or ?ticket= from POST /events/tickets). The server "
         "sends {\"hello\":{…}} then {\"event\",\"params\",\"seq\",\"time\"} per event; the client sends "
         "{\"subscribe\":[\"E_UL_*\"],\"statistics\":{\"interval\":1,\"names\":[\"core:\"]}} and gets "
         "{\"subscribed\":[…]} or {\"error\":{…}}. A consumer more than http.events_queue messages behind is "
         "closed with code 4008. The webhooks section describes each event's params."},
        {"tags", Value::array({"events"})},
        {"parameters", Value::array({Value{{"name", "ticket"}, {"in", "query"}, {"required", false},
                                           {"description", "a single-use ticket instead of an Authorization header"},
                                           {"schema", {{"type", "string"}, {"pattern", "^[0-9a-f]{64}$"}}}}})},
        {"responses", {{"101", {{"description", "switching to the WebSocket protocol"}}},
                       {"401", component_ref("responses/Unauthorized")},
                       {"403", component_ref("responses/Forbidden")},
                       {"426", {{"description", "not a WebSocket upgrade"}}},
                       {"503", {{"description", "too many streams (http.events_max_streams)"},
                                {"content", {{"application/problem+json", {{"schema", component_ref("schemas/Problem")}}}}}}},
                       {"default", component_ref("responses/Error")}}}}}};
  paths["/events/tickets"] = Value{
      {"post",
       {{"operationId", "event_ticket"},
        {"summary", "Get a single-use ticket to open the event stream from a browser"},
        {"description", "Browsers cannot set an Authorization header on a WebSocket: ask for a ticket with "
                        "your credentials, then open GET /events?ticket=<ticket> within expires_in seconds. "
                        "It carries your role and works once."},
        {"tags", Value::array({"events"})},
        {"responses",
         {{"201", {{"description", "the ticket"},
                   {"content", {{kJson, {{"schema", mi::schema::object({{"ticket", mi::schema::str("64 hex digits")},
                                                                        {"expires_in", mi::schema::uint("seconds")},
                                                                        {"url", mi::schema::str("the stream's URL with the ticket")},
                                                                        {"role", mi::schema::str("the role it carries")}})}}}}}}},
          {"401", component_ref("responses/Unauthorized")},
          {"403", component_ref("responses/Forbidden")},
          {"default", component_ref("responses/Error")}}}}}};
}

Value event_webhooks(const mi::Registry& registry) {
  Value hooks = Value::object();
  for (const mi::EventSpec* e : registry.events().all()) {
    Value body{{"type", "object"},
               {"required", Value::array({"jsonrpc", "method", "params", "seq", "time"})},
               {"additionalProperties", false},
               {"properties", {{"jsonrpc", {{"const", "2.0"}}},
                               {"method", {{"const", e->name}}},
                               {"params", e->params},
                               {"seq", {{"type", "integer"}, {"minimum", 1}, {"description", "event sequence number"}}},
                               {"time", {{"type", "number"}, {"description", "unix time it was raised"}}},
                               {"dropped", {{"type", "integer"}, {"minimum", 1},
                                            {"description", "events this subscriber lost before this one"}}}}}};
    hooks[e->name] = Value{
        {"post",
         {{"operationId", "event_" + e->name},
          {"summary", e->summary},
          {"description", "Raised by module " + e->module + ". Delivered to event_subscribe sockets (udp:, unix:, tcp:, "
                          "http(s)://, exec:) as this JSON-RPC notification and on GET /events as "
                          "{\"event\",\"params\",\"seq\",\"time\"}." +
                          std::string(e->from_sip_request ? " exec: subscribers also get the SIP request (SIP_* variables)." : "")},
          {"tags", Value::array({"events"})},
          {"parameters", Value::array({Value{{"name", "X-Switchboard-Signature"}, {"in", "header"}, {"required", false},
                                             {"description", "sha256=<hex HMAC-SHA256 of the body>, with a secret"},
                                             {"schema", {{"type", "string"}}}}})},
          {"requestBody", {{"required", true}, {"content", {{kJson, {{"schema", body}}}}}}},
          {"responses", {{"200", {{"description", "received (any 2xx); 5xx, 408 and 429 are retried"}}}}}}}};
  }
  return hooks;
}

}  // namespace sb::transports::rest
