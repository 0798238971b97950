// ser_dialect.h: the SER/OpenSIPS management dialects shared by the FIFO and the datagram
// sockets, once a request is framed: SER text (`:cmd:` + one param per line) answered with the
// SER text rendering, or JSON-RPC 2.0 (OpenSIPS 3) answered per spec/wire.md §4.
//
// Purpose: one place decides how a framed request is dispatched and how its reply (or a framing
// error) is rendered in its own dialect; the transports keep only their framing, their reply
// channel and their statistics.
// Threading: dispatch_ser() may be called from any thread; `reply` runs once, on whatever thread
// completes the command (a worker, the engine, the timer, or the caller for early errors).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mi/dispatcher.h"
#include "mi/render/chunked.h"

namespace sb::transports {

enum class SerDialect { text, json };

/// JSON-RPC when the first non-blank byte opens an object or a batch (spec/wire.md §4).
SerDialect ser_dialect_of(std::string_view data);

/// A framed request: a text one (its command and decoded params) or the JSON-RPC text.
struct SerRequest {
  SerDialect dialect = SerDialect::text;
  std::string command;  ///< text: the command name (looked up case-insensitively)
  mi::Value params;     ///< text: the params as decoded
  std::shared_ptr<const std::string> json;  ///< json: the request text (a call or a batch)
};

/// The rendered reply; nullopt for a JSON-RPC notification (nothing to send).
using SerReply = std::function<void(std::optional<std::string>)>;
/// A streamed reply to write in pieces (mi/render/chunked.h), in the request's dialect.
using SerStreamReply = std::function<void(std::shared_ptr<mi::ChunkedReply>)>;

/// Runs the request and renders its reply in its dialect (text: mi::render_text with the
/// command's own text form, e.g. t_uac_dlg's status line; json: one JSON-RPC response or batch).
/// With `stream`, a streamed result (ul_dump …) goes there to be written in pieces.
void dispatch_ser(mi::Dispatcher& dispatcher, SerRequest request, mi::Caller caller,
                  SerReply reply, SerStreamReply stream = {});

/// An error found while framing or decoding, rendered in the request's dialect.
std::string render_ser_error(SerDialect dialect, const mi::Error& error);

}  // namespace sb::transports
