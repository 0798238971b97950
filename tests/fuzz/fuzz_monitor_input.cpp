// fuzz_monitor_input.cpp: the ISGW monitor's decoder (transports/monitor/telnet_input) and its
// conversation on arbitrary bytes. The first byte sets the chunk size; the decoder must keep at
// most max_line bytes of a line, produce the same lines and telnet answers whatever the
// chunking, and the conversation must answer every line (or close) without crashing.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>

#include "transports/monitor/conversation.h"
#include "transports/monitor/telnet_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using sb::transports::monitor::Conversation;
  using sb::transports::monitor::TelnetInput;
  static const bool quiet = (spdlog::set_level(spdlog::level::off), true);
  (void)quiet;
  if (size == 0) return 0;
  constexpr std::size_t kMax = 64;
  std::size_t chunk = 1 + data[0] % 64;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  TelnetInput chunked(kMax), whole(kMax);
  std::vector<TelnetInput::Event> a, b;
  std::string replies_a, replies_b;
  for (std::size_t off = 0; off < text.size(); off += chunk) {
    chunked.feed(text.substr(off, chunk), a, replies_a);
    if (chunked.pending() > kMax) __builtin_trap();
  }
  whole.feed(text, b, replies_b);
  if (a.size() != b.size() || replies_a != replies_b) __builtin_trap();
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].kind != b[i].kind || a[i].text != b[i].text) __builtin_trap();

  Conversation conversation({"fuzz", sb::mi::Role::read_only, "pw", {}, 3, nullptr});
  for (const auto& e : b) {
    auto step = e.kind == TelnetInput::Event::Kind::overlong ? conversation.on_overlong(kMax)
                                                              : conversation.on_line(e.text);
    if (step.close) break;
    if (step.output.empty() && !step.call) __builtin_trap();  // every line gets an answer
    if (step.call) conversation.on_result(sb::mi::Error::failure(500, "fuzz"));
  }
  return 0;
}
