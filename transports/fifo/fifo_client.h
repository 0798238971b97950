// fifo_client.h: the client side of the FIFO transport (used by sbctl, tests and benchmarks).
//
// Purpose: make a private reply FIFO in a reply dir, write one request to the server FIFO in a
// single write(), read the reply until the server closes it, remove the reply FIFO on every path.
// Threading: a FifoClient call is self-contained; use one per thread.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sb::client {

struct FifoReply {
  bool ok = false;      ///< a reply was read (see `error` otherwise)
  std::string text;     ///< the raw reply bytes
  std::string error;    ///< why no reply was read (server not running, timeout, …)
};

struct FifoClientOptions {
  std::string fifo = "/tmp/switchboard_fifo";
  std::string reply_dir = "/tmp";
  std::chrono::milliseconds timeout{120'000};
};

/// SER text request bytes: `:<cmd>:<reply>\n` + one line per param + `\n`.
std::string text_request(const std::string& command, const std::vector<std::string>& params,
                         const std::string& reply_name);
/// OpenSIPS-3 JSON request bytes: `:<reply>:<json>` (json is a complete JSON-RPC object).
std::string json_request(const std::string& json, const std::string& reply_name);

/// Sends `request_builder(reply_name)` and returns the reply. The reply FIFO is created in
/// options.reply_dir with a unique name and always removed.
FifoReply fifo_call(const FifoClientOptions& options,
                    const std::function<std::string(const std::string& reply_name)>& request_builder);

}  // namespace sb::client
