// websocket_upgrade.h: answering a WebSocket upgrade through libmicrohttpd (101 Switching
// Protocols with Sec-WebSocket-Accept) and, once libmicrohttpd hands the socket over, running
// the route's handler on it (websocket_bridge.h speaks the protocol). The HTTP host has checked
// the route, the credentials, Host/Origin and the handshake headers before.
// Threading: queue_websocket_upgrade() runs on the MHD thread serving the request; the handler
// runs on a thread of its own, its socket tracked by `upgraded` until it returns.
#pragma once

#include <string>

#include "transports/http/http_host.h"
#include "transports/http/mhd.h"
#include "transports/http/websocket_bridge.h"

namespace sb::transports {

/// Queues the 101 on `conn`; MHD_NO when libmicrohttpd could not make the response (MHD then
/// closes the connection). `request` is the upgrade request (no body, no connection).
MhdResult queue_websocket_upgrade(MHD_Connection* conn, const std::string& accept_key, WebSocketHandler handler,
                                  HttpRequest request, UpgradedSockets& upgraded);

}  // namespace sb::transports
