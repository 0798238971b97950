// piecewise_response.h: a libmicrohttpd response whose body is a streamed reply
// (mi/render/chunked.h), sent with chunked transfer encoding. MHD pulls the next piece on its own
// thread when the socket takes more, so one piece is held per connection however long the reply;
// pulling may wait for the engine's next slice. A source that fails ends the connection without
// the final chunk, so the client sees the reply incomplete rather than short.
// Threading: the returned response is queued once, from an MHD callback; MHD calls the reader on
// the connection's thread and frees it when the response is destroyed.
#pragma once

#include <memory>

#include "mi/render/chunked.h"
#include "transports/http/mhd.h"

namespace sb::transports {

/// Null when MHD cannot make the response (out of memory).
MHD_Response* piecewise_response(std::shared_ptr<mi::ChunkedReply> pieces);

}  // namespace sb::transports
