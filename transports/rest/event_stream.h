// event_stream.h: GET /api/v1/events — the event bus as a WebSocket stream (Asterisk ARI
// style), and POST /api/v1/events/tickets — short-lived single-use tickets for browsers, which
// cannot set an Authorization header on a WebSocket.
//
// Protocol (JSON text frames; README "Events" documents it):
//   server → {"hello":{"version","role","queue","ping_s"}} once, then for each event
//            {"event":"E_…","params":{…},"seq":N,"time":T}; E_STATISTICS samples likewise;
//            answers to the client: {"subscribed":[names],"statistics":{…}|null} or
//            {"error":{"code":400,"message":"…"}}.
//   client → {"subscribe":["E_UL_*","E_CALL_STATE"],"statistics":{"interval":1,"names":["core:"]}}
//            (replaces the previous subscription; [] stops the events).
// A consumer more than http.events_queue messages behind is closed with code 4008; idle
// connections are pinged every http.events_ping_s; at most http.events_max_streams streams
// (503 beyond). Same authentication and roles as the rest of the API (a ticket carries the
// role of whoever asked for it); a browser's upgrade must come from an allowed Origin.
// Threading: one thread per stream (the host's WebSocket thread); tickets from any thread.
#pragma once

#include "mi/event_bus.h"
#include "mi/statistics.h"
#include "transports/http/http_host.h"

namespace sb::transports::rest {

/// Adds the two routes; `bus` null: they answer 503 (no event bus in this process).
void add_event_stream(HttpHost& host, mi::EventBus* bus, mi::Statistics& stats, const HttpConfig& cfg);

}  // namespace sb::transports::rest
