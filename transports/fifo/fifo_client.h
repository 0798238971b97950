// fifo_client.h: the client side of the FIFO transport (used by sbctl, tests and benchmarks).
//
// Purpose: make a private reply FIFO `<prefix>_<pid>_<random>` (mode 0600) in a reply dir and
// open it for reading, write one request to the server FIFO in a single write(), read the reply
// until the server closes its end, and remove the reply FIFO on every path. The request bytes
// are framed by text_request() (SER text dialect) or json_request() (OpenSIPS-3 JSON dialect);
// see spec/wire.md §3. The client does not link the mi/ core.
// Threading: fifo_call() is self-contained and may run on many threads at once. At most one call
// at a time (the first to ask, with FifoClientOptions::signal_cleanup) is recorded for
// unlink_active_reply_fifo(), which is async-signal-safe. SIGPIPE is blocked in the calling
// thread while it writes, so a server closing the FIFO gives an error, not a dead process.
#pragma once

#include <chrono>
#include <functional>
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
  std::chrono::milliseconds timeout{120'000};  ///< for the whole call: open, write and read
  std::string reply_prefix = "sbctl";          ///< reply FIFO name: <prefix>_<pid>_<random>
  /// Record this call's reply FIFO for unlink_active_reply_fifo() (sbctl's signal handler).
  bool signal_cleanup = false;
};

/// SER text request bytes: `:<cmd>:<reply>\n` + one line per param + `\n`. Params are copied
/// as they are: an empty param ends the request early (send `.` for "empty"), a param holding
/// newlines becomes several lines (header sets, bodies).
std::string text_request(const std::string& command, const std::vector<std::string>& params,
                         const std::string& reply_name);
/// OpenSIPS-3 JSON request bytes: `:<reply>:<json>` (json is a complete JSON-RPC object).
std::string json_request(const std::string& json, const std::string& reply_name);

/// Sends `request_builder(reply_name)` and returns the reply. The reply FIFO is created in
/// options.reply_dir with a unique name and always removed. Never throws for I/O failures:
/// they come back as `error` (one line, naming the path involved).
FifoReply fifo_call(const FifoClientOptions& options,
                    const std::function<std::string(const std::string& reply_name)>& request_builder);

/// Async-signal-safe: removes the reply FIFO of the call in progress that asked for
/// signal_cleanup, if there is one. Call it from SIGINT/SIGTERM/SIGHUP handlers before dying.
void unlink_active_reply_fifo() noexcept;

}  // namespace sb::client
