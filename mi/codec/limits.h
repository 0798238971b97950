// limits.h: the decoders' structural limits (nesting depth, batch length), shared by every
// transport's JSON-RPC and XML-RPC decoding.
//
// Purpose: a decoder must refuse a request that is small in bytes but huge in structure (50 000
// nested arrays in 100 KB overflow the stack of any recursive copy) BEFORE a library builds a
// tree of it. The limits are config keys (core.max_nesting, core.max_batch) set once at start-up.
// Threading: set_decode_limits() is called at start-up, before any transport runs (and by
// tests); decode_limits() may then be read from any thread (atomics, relaxed).
#pragma once

#include <cstddef>
#include <string_view>

namespace sb::mi {

struct DecodeLimits {
  std::size_t max_nesting = 64;  ///< arrays/objects (JSON) or array/struct values (XML-RPC) deep
  std::size_t max_batch = 100;   ///< items of a JSON-RPC batch or calls of a system.multicall
};

void set_decode_limits(const DecodeLimits& limits);
DecodeLimits decode_limits();

/// The deepest nesting of arrays and objects in JSON text, counted without parsing it (strings
/// and escapes skipped); stops counting and returns `stop_at` as soon as it is reached.
std::size_t json_nesting(std::string_view text, std::size_t stop_at);

}  // namespace sb::mi
