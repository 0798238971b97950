// jsonrpc_dispatch.h: one JSON-RPC message (single or batch) → the Dispatcher → one reply text,
// shared by every transport that speaks JSON-RPC (FIFO JSON dialect, datagrams, HTTP /mi).
//
// The reply is the compact JSON-RPC response (a JSON array for batches), or nullopt when nothing
// must be answered (a notification, or a batch of notifications). Parse errors and invalid
// requests are answered even without an id, as JSON-RPC 2.0 requires.
// Threading: `done` runs exactly once, on whichever thread completes the last call.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "mi/dispatcher.h"

namespace sb::mi {

using JsonRpcDone = std::function<void(std::optional<std::string> reply)>;

void dispatch_jsonrpc(Dispatcher& dispatcher, std::string_view text, const Caller& caller,
                      JsonRpcDone done);

}  // namespace sb::mi
