// fuzz_xmlrpc.cpp: XML-RPC methodCall decoding (xmlrpc-c underneath, with our shielding of
// non-BMP characters and <i8> checks in front of it) and the rendering of what was decoded.
// Invariant: whatever decodes re-encodes into XML that decodes again (our encoder never emits
// something xmlrpc-c — or any XML parser — refuses).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mi/codec/xmlrpc.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  sb::mi::XmlRpcCall call = sb::mi::decode_xmlrpc_call(text);
  if (call.error) {
    (void)sb::mi::render_xmlrpc(*call.error);
    return 0;
  }
  sb::mi::Value params = call.params.is_null() ? sb::mi::Value::array() : call.params;
  (void)sb::mi::render_xmlrpc(sb::mi::Result(params));
  std::string again = "<methodCall><methodName>m</methodName><params><param>" +
                      sb::mi::render_xmlrpc_value(params) + "</param></params></methodCall>";
  sb::mi::XmlRpcCall back = sb::mi::decode_xmlrpc_call(again);
  if (back.error) {
    std::fprintf(stderr, "re-encoded value does not decode: %s\n%s\n", back.error->detail.c_str(),
                 again.c_str());
    std::abort();
  }
  return 0;
}
