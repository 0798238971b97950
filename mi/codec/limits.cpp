// limits.cpp: the process-wide decode limits and the JSON nesting pre-scan.
#include "mi/codec/limits.h"

#include <atomic>

namespace sb::mi {

namespace {
std::atomic<std::size_t> g_max_nesting{DecodeLimits{}.max_nesting};
std::atomic<std::size_t> g_max_batch{DecodeLimits{}.max_batch};
}  // namespace

void set_decode_limits(const DecodeLimits& limits) {
  g_max_nesting.store(limits.max_nesting, std::memory_order_relaxed);
  g_max_batch.store(limits.max_batch, std::memory_order_relaxed);
}

DecodeLimits decode_limits() {
  return DecodeLimits{g_max_nesting.load(std::memory_order_relaxed),
                      g_max_batch.load(std::memory_order_relaxed)};
}

std::size_t json_nesting(std::string_view text, std::size_t stop_at) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;  // the escaped character cannot end the string
      else if (c == '"') in_string = false;
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '[':
      case '{':
        if (++depth > deepest) {
          deepest = depth;
          if (deepest >= stop_at) return stop_at;
        }
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;  // unbalanced text: the parser reports it
        break;
      default: break;
    }
  }
  return deepest;
}

}  // namespace sb::mi
