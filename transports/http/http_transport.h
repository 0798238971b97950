// http_transport.h: the HTTP management transport (spec/wire.md §5): the HTTP host
// (http_host.h) with the management routes, one file each under routes/:
//   POST /mi          JSON-RPC 2.0 (single, batch, notifications → 202)      routes/mi_route.cpp
//   GET  /json/<cmd>  OpenSIPS 2 mi_json compatibility (`?params=a,b`)     routes/json_route.cpp
//   POST /RPC2        XML-RPC (xmlrpc-c), system.* introspection, multicall  routes/rpc2_route.cpp
//   GET  /metrics     Prometheus text exposition of every statistic         routes/metrics_route.cpp
// (later issues add /api/v1 REST, the event WebSocket and the web panel as more routes).
// Purpose: which routes the daemon serves. Framing, auth and limits are the host's; requests go
// to the Dispatcher and replies are rendered by the shared renderers.
// Threading: see http_host.h.
#pragma once

#include <chrono>
#include <memory>

#include "mi/dispatcher.h"
#include "mi/event_bus.h"
#include "transports/http/http_config.h"
#include "transports/http/http_host.h"

namespace sb::transports {

class HttpTransport {
 public:
  /// The host with the management routes (add more with host() before start()).
  HttpTransport(HttpConfig config, mi::Dispatcher& dispatcher, mi::EventBus* events = nullptr);
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  /// Starts the daemon; throws HttpError (bad address, off-loopback without credentials,
  /// unreadable TLS files, port in use, …).
  void start() { host_.start(); }
  /// Stops accepting connections; requests in flight still get their replies.
  void stop_accepting() { host_.stop_accepting(); }
  /// Waits up to `deadline` for in-flight requests, then stops the daemon.
  void finish(std::chrono::milliseconds deadline) { host_.finish(deadline); }
  /// The bound TCP port (useful with port 0); 0 when not started.
  int port() const { return host_.port(); }
  HttpHost& host() { return host_; }

 private:
  HttpHost host_;
};

}  // namespace sb::transports
