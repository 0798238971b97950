// sbctl_transport.h: how sbctl reaches the daemon — FIFO, unix datagram, UDP or HTTP — with the
// same request in and the same reply out whatever the transport.
//
// Text mode returns a text-dialect reply (`<code> <reason>\n<body>\n`): the FIFO and datagrams
// carry it natively; over HTTP the JSON-RPC answer is turned into it with the shared renderer
// (mi/render/text) and the inverse of the error mapping table (mi::error_from_jsonrpc), so sbctl
// prints the same bytes and exits with the same status on every transport.
// JSON mode returns the JSON-RPC reply text.
// Threading: single-threaded (sbctl).
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace sbctl {

struct Endpoint {
  std::string transport = "fifo";  ///< fifo | dgram | udp | http
  std::string fifo, reply_dir;     ///< fifo
  std::string socket;              ///< dgram: the daemon's unix socket
  std::string udp;                 ///< udp: host:port
  std::string url;                 ///< http: http://host:port/mi
  std::string user;                ///< http: user:password (Basic)
  std::string token;               ///< http: Bearer token
  std::chrono::milliseconds timeout{120'000};
};

struct Exchange {
  bool ok = false;    ///< a reply is in `text`
  std::string text;   ///< the reply (text dialect or JSON-RPC)
  std::string error;  ///< why there is no reply
};

/// Checks the endpoint's settings (transport name, URL syntax); returns why it is unusable.
std::string check_endpoint(const Endpoint& e);

Exchange send_text(const Endpoint& e, const std::string& command,
                   const std::vector<std::string>& params);
Exchange send_json(const Endpoint& e, const std::string& body);

/// For the signal handler: removes the reply FIFO / client socket of the call in progress.
void cleanup_on_signal() noexcept;

}  // namespace sbctl
