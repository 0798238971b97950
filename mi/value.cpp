// value.cpp: compact JSON text of a Value.
#include "mi/value.h"

#include <memory>

namespace sb::mi {

namespace {

using Serializer = nlohmann::detail::serializer<Value>;

/// nlohmann's serializer writing to whichever string the current call names. A serializer
/// allocates its output adapter and a 512-byte indentation buffer when it is made; one per
/// thread, reused, saves both on every reply.
class AppendTo final : public nlohmann::detail::output_adapter_protocol<char> {
 public:
  std::string* out = nullptr;
  void write_character(char c) override { out->push_back(c); }
  void write_characters(const char* s, std::size_t length) override { out->append(s, length); }
};

struct ThreadWriter {
  std::shared_ptr<AppendTo> sink = std::make_shared<AppendTo>();
  Serializer serializer{sink, ' ', Value::error_handler_t::replace};
};

}  // namespace

std::string to_compact_json(const Value& v) {
  std::string out;
  append_compact_json(out, v);
  return out;
}

void append_compact_json(std::string& out, const Value& v) {
  thread_local ThreadWriter writer;
  writer.sink->out = &out;
  writer.serializer.dump(v, false, false, 0);  // what Value::dump(-1, ' ', false, replace) does
  writer.sink->out = nullptr;
}

}  // namespace sb::mi
