// value.cpp: compact JSON text of a Value.
#include "mi/value.h"

#include <memory>

namespace sb::mi {

// nlohmann::detail is not a public interface: the writer below is checked against 3.11, the
// version Debian 12 ships; another version must be read again before this compiles.
static_assert(NLOHMANN_JSON_VERSION_MAJOR == 3 && NLOHMANN_JSON_VERSION_MINOR == 11,
              "append_compact_json uses nlohmann::detail::serializer as of 3.11");

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
  struct Target {  // the sink never keeps a pointer to `out` past this call, even if dump throws
    AppendTo& sink;
    ~Target() { sink.out = nullptr; }
  } target{*writer.sink};
  target.sink.out = &out;
  writer.serializer.dump(v, false, false, 0);  // what Value::dump(-1, ' ', false, replace) does
}

}  // namespace sb::mi
