// chunked.h: a streamed reply (mi/stream.h) rendered piece by piece, byte for byte what the
// whole-tree renderers give for the same value: compact JSON, a JSON-RPC response, or the serctl
// text tree with its status line.
//
// How: the skeleton is rendered once by the ordinary renderer with a unique marker in place of
// the long array; the text before the marker is the first piece, each slice of items is rendered
// as that renderer writes array elements, and the text after the marker is the last piece. When
// the marker cannot be located (a command with its own text form), the value is materialized and
// rendered whole, as one piece.
// Threading: a ChunkedReply is used by one thread at a time (the transport's writer).
#pragma once

#include <memory>
#include <string>

#include "mi/command.h"

namespace sb::mi {

class ChunkedReply {
 public:
  virtual ~ChunkedReply() = default;
  /// Appends the next piece (at least ~32 kB unless it is the last) to `out`; false once the
  /// reply is complete (this call appended its end). Throws std::exception when the item source
  /// fails: the reply is incomplete and the transport must not make it look complete.
  virtual bool next(std::string& out) = 0;
};

/// Compact JSON of the value (HTTP /json).
std::unique_ptr<ChunkedReply> chunked_json(Streamed s);
/// The JSON-RPC 2.0 response {"jsonrpc","result","id"} (HTTP /mi, the FIFO's JSON dialect).
std::unique_ptr<ChunkedReply> chunked_jsonrpc(Streamed s, const Value& id);
/// "200 OK\n", the text tree, the terminating empty line (the FIFO's and datagrams' text).
std::unique_ptr<ChunkedReply> chunked_text(Streamed s, const CommandSpec* spec = nullptr);
/// `reply`, then `trailer` after its last piece (the FIFO's newline after a JSON reply).
std::unique_ptr<ChunkedReply> followed_by(std::shared_ptr<ChunkedReply> reply, std::string trailer);
/// A reply already rendered whole, as one piece.
std::unique_ptr<ChunkedReply> whole_reply(std::string text);

}  // namespace sb::mi
