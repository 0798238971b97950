// jsonrpc.h: the JSON-RPC 2.0 codec shared by the FIFO JSON dialect, datagrams and HTTP.
//
// Decoding follows OpenSIPS 3 (research/mi-protocols.md §3.1): `jsonrpc` must be "2.0", `method`
// a string, `params` absent/array/object, `id` string/number/null; no `id` = notification (no
// reply). Batches (a JSON array of requests) are decoded item by item.
// Limits (mi/codec/limits.h), checked before a tree is built: text nested deeper than
// core.max_nesting, or a batch of more than core.max_batch requests → -32600 naming the key.
// Rendering is compact, key order jsonrpc, result|error, id; errors through the mapping table.
// Threading: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mi/dispatcher.h"

namespace sb::mi {

struct JsonRpcItem {
  std::optional<Error> error;  ///< invalid request: answer this (with `id`, even when absent)
  Request request;             ///< method + params (caller filled by the transport)
  Value id;                    ///< null when absent or null
  bool notification = false;  ///< no `id` member: run, do not answer
};

struct JsonRpcMessage {
  std::optional<Error> error;  ///< the bytes are not JSON (-32700) or an empty batch (-32600)
  bool batch = false;
  std::vector<JsonRpcItem> items;
};

JsonRpcMessage decode_jsonrpc(std::string_view text);

/// `{"jsonrpc":"2.0","result":…,"id":…}` or `{"jsonrpc":"2.0","error":{…},"id":…}`.
std::string render_jsonrpc(const Result& r, const Value& id);
/// A batch reply from rendered item replies; empty string when there are none (all notifications).
std::string render_jsonrpc_batch(const std::vector<std::string>& replies);

}  // namespace sb::mi
