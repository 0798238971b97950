// ser_dialect.cpp: dispatch and rendering of the SER text and JSON-RPC dialects.
#include "transports/net/ser_dialect.h"

#include "mi/codec/jsonrpc.h"
#include "mi/codec/jsonrpc_dispatch.h"
#include "mi/render/text.h"

namespace sb::transports {

SerDialect ser_dialect_of(std::string_view data) {
  for (char c : data) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '{' || c == '[' ? SerDialect::json : SerDialect::text;
  }
  return SerDialect::text;
}

void dispatch_ser(mi::Dispatcher& dispatcher, SerRequest request, mi::Caller caller,
                  SerReply reply, SerStreamReply stream) {
  if (request.dialect == SerDialect::json) {
    auto text = request.json ? request.json : std::make_shared<const std::string>();
    mi::dispatch_jsonrpc(
        dispatcher, *text, caller,
        [reply = std::move(reply), text](std::optional<std::string> out) { reply(std::move(out)); }, SIZE_MAX, {},
        std::move(stream));
    return;
  }
  const mi::CommandSpec* spec = dispatcher.registry().find_case_insensitive(request.command);
  caller.accepts_stream = static_cast<bool>(stream);
  mi::Request req{std::move(request.command), std::move(request.params), std::move(caller), true};
  dispatcher.call(std::move(req), [reply = std::move(reply), stream = std::move(stream), spec](mi::Result res) {
    if (stream && res.is_stream()) return stream(mi::chunked_text(res.take_stream(), spec));
    reply(mi::render_text(res, spec));
  });
}

std::string render_ser_error(SerDialect dialect, const mi::Error& error) {
  return dialect == SerDialect::json ? mi::render_jsonrpc(error, nullptr) : mi::render_text(error);
}

}  // namespace sb::transports
