// fifo_framer.h: splits the FIFO's byte stream into requests (spec/wire.md §3).
//
// Purpose: the FIFO is one byte stream shared by every writer. The framer recognises
//   text:  `:<cmd>:<reply>\n` + params (mi/codec/text_request) + empty line
//   JSON:  `:<reply>:{…}` or `:<reply>:[…]` (detected by `{`/`[` right after the second colon),
// skips garbage up to the next empty line (or the next line that is a known command's first
// line), and turns a request over `max_request` bytes into a
// request_too_large error (after discarding it: text up to the next empty line, JSON up to the
// end of the object) so the transport can answer 400 when a reply name was readable.
// Resynchronisation (the FIFO is one stream shared by every writer, so a writer that stops
// mid-request must not swallow the next writer's request): a JSON request whose bytes stop being
// JSON is cut at the next request header found in them; a text request in which a complete line
// `:<known command>:<reply>` appears (another writer's first line) is cut there. Either cut
// request is answered with an error at once, and parsing goes on at the header.
// Threading: not thread-safe; owned by the FIFO reader thread.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mi/command.h"
#include "transports/net/ser_dialect.h"

namespace sb::transports {

struct FramedRequest {
  using Dialect = SerDialect;  // transports/net/ser_dialect.h
  Dialect dialect = Dialect::text;
  std::string reply_name;          ///< empty = run without reply
  std::string command;             ///< text dialect
  mi::Value params;                ///< text dialect: null, array or object
  std::string json;                ///< JSON dialect: the JSON-RPC text
  std::optional<mi::Error> error;  ///< a framing error to answer instead of dispatching
};

/// Minimal JSON extent scanner: finds where a top-level object/array ends, across chunks.
class JsonExtent {
 public:
  /// Scans `s`; returns the index just after the closing bracket, or npos when not yet closed.
  std::size_t scan(std::string_view s);
  void reset() { *this = JsonExtent(); }

 private:
  int depth_ = 0;
  bool in_string_ = false, escape_ = false, started_ = false;
};

class FifoFramer {
 public:
  using Layout = std::function<std::vector<mi::TextBlock>(std::string_view command)>;
  /// True for a command the server knows (null: resynchronisation on text headers is off).
  using KnownCommand = std::function<bool(std::string_view command)>;
  FifoFramer(std::size_t max_request, Layout layout, KnownCommand known = nullptr);

  /// Appends bytes; returns the requests they complete, in order.
  std::vector<FramedRequest> feed(std::string_view bytes);

  /// Drops the buffered, incomplete request (its writer went silent). Returns the 400 to answer
  /// when its reply name could be read.
  std::optional<FramedRequest> abandon(std::chrono::milliseconds waited);

  std::size_t garbage_blocks() const { return garbage_; }
  std::size_t buffered() const { return buf_.size(); }

 private:
  enum class Mode { normal, discard_text, discard_json };
  bool parse_one(std::vector<FramedRequest>& out);
  /// Offset of the first complete line of `s` (which starts at a line start) that is a text
  /// request's first line `:<known command>:<reply>`; npos when none.
  std::size_t text_header_line(std::string_view s) const;
  bool discard(std::vector<FramedRequest>& out);
  void enter_discard(Mode mode, std::string reply, FramedRequest::Dialect dialect);

  std::size_t max_;
  Layout layout_;
  KnownCommand known_;
  std::string buf_;
  Mode mode_ = Mode::normal;
  // Discard state: what to answer once the oversized/garbage block has been skipped.
  std::string discard_reply_;
  FramedRequest::Dialect discard_dialect_ = FramedRequest::Dialect::text;
  bool discard_oversize_ = false;
  std::size_t discard_bytes_ = 0;
  bool line_blank_ = true;
  bool at_line_start_ = true;  ///< discard mode: buf_[0] starts a line
  JsonExtent json_;
  std::size_t garbage_ = 0;
};

}  // namespace sb::transports
