// fuzz_jsonrpc.cpp: JSON-RPC decoding and the rendering of every decoded item's error and id.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mi/codec/jsonrpc.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  sb::mi::JsonRpcMessage m = sb::mi::decode_jsonrpc(text);
  if (m.error) {
    (void)sb::mi::render_jsonrpc(*m.error, nullptr);
    return 0;
  }
  for (const auto& item : m.items) {
    if (item.error) (void)sb::mi::render_jsonrpc(*item.error, item.id);
    else (void)sb::mi::render_jsonrpc(sb::mi::Value(item.request.method), item.id);
  }
  return 0;
}
