// fuzz_text_request.cpp: the SER text request codec (command line + params) on arbitrary bytes.
// The first input byte picks a layout (plain lines or t_uac_dlg blocks) and at_end.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mi/codec/text_request.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  using sb::mi::TextBlock;
  const std::vector<TextBlock> uac = {TextBlock::line, TextBlock::line, TextBlock::line,
                                      TextBlock::line_set, TextBlock::body};
  bool at_end = data[0] & 1;
  const auto& layout = (data[0] & 2) ? uac : std::vector<TextBlock>{};
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto nl = text.find('\n');
  (void)sb::mi::parse_text_command_line(text.substr(0, nl));
  auto r = sb::mi::parse_text_params(nl == std::string_view::npos ? text : text.substr(nl + 1),
                                     layout, "cmd", at_end);
  if (r.status == sb::mi::TextParams::Status::complete && r.consumed > text.size()) __builtin_trap();
  return 0;
}
