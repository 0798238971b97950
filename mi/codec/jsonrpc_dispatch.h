// jsonrpc_dispatch.h: one JSON-RPC message (single or batch) → the Dispatcher → one reply text,
// shared by every transport that speaks JSON-RPC (FIFO JSON dialect, datagrams, HTTP /mi).
//
// The reply is the compact JSON-RPC response (a JSON array for batches), or nullopt when nothing
// must be answered (a notification, or a batch of notifications). Parse errors and invalid
// requests are answered even without an id, as JSON-RPC 2.0 requires.
// Threading: `done` runs exactly once, on whichever thread completes the last call.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "mi/dispatcher.h"
#include "mi/render/chunked.h"

namespace sb::mi {

using JsonRpcDone = std::function<void(std::optional<std::string> reply)>;
/// A single call's streamed reply (mi/stream.h), to be written in pieces instead of through
/// `done`. A transport that passes one gets streamed results this way; batches never stream.
using JsonRpcStream = std::function<void(std::shared_ptr<ChunkedReply> reply)>;

/// `max_reply` bounds the reply text: a batch whose replies add up to more stops keeping them
/// and is answered with one reply_too_large error naming `max_reply_key` (never an OOM).
void dispatch_jsonrpc(Dispatcher& dispatcher, std::string_view text, const Caller& caller,
                      JsonRpcDone done, std::size_t max_reply = SIZE_MAX,
                      std::string_view max_reply_key = {}, JsonRpcStream stream = {});

}  // namespace sb::mi
