// channels.h: the conformance matrix's channels — one way each to send a call to the real
// daemon and decode the answer into a transport-neutral Outcome.
//
// Threading: one Channel call at a time per channel.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/daemon.h"

namespace sb::conformance {

using Json = nlohmann::ordered_json;  // keeps member order (the text dialect shows it)

enum class Family { text, jsonrpc, xmlrpc, mi_json };

/// What came back, decoded. For text channels `text_body` is the body (status line and the
/// terminating empty line removed); other channels decode `value`.
struct Outcome {
  bool transport_ok = false;  ///< an answer arrived and could be decoded
  std::string transport_error;
  bool ok = false;            ///< a result, not an error
  int code = 0;               ///< error code as the channel spells it (text: the status code)
  std::string message;        ///< error message / text reason
  std::string status_line;    ///< text channels: the whole status line
  Json value;                 ///< decoded result (JSON-capable channels)
  std::string text_body;      ///< text channels
};

struct Call {
  std::string method;
  std::vector<std::string> params;  ///< positional, as strings (what every dialect can carry)
};

struct Channel {
  std::string name;
  Family family;
  std::function<Outcome(const Call&)> send;
};

/// Every channel of the daemon: FIFO text/JSON, datagram text/JSON over unix and UDP, HTTP
/// JSON-RPC (/mi), mi_json (/json), XML-RPC (/RPC2).
std::vector<Channel> all_channels(const test::TestDaemon& daemon);

}  // namespace sb::conformance
