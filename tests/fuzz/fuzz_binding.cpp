// fuzz_binding.cpp: param binding and coercion of arbitrary JSON params against a spec that has
// every param type (the dispatcher's arity/type checks must never throw or crash).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mi/binding.h"
#include "mi/reply_schema.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sb::mi;
  static const CommandSpec spec = [] {
    CommandSpec s;
    s.name = "fuzz";
    s.module = "test";
    s.summary = "Fuzz every param type";
    s.reply = schema::ok();
    s.params = {param("s", ParamType::string_, "a string"), param("i", ParamType::int_, "an int"),
                optional_param("b", ParamType::bool_, "a bool", true),
                optional_param("d", ParamType::double_, "a double"),
                optional_param("a", ParamType::array_, "an array")};
    s.handler = [](const Args&) -> Result { return ok_value(); };
    return s;
  }();
  Value params = Value::parse(reinterpret_cast<const char*>(data),
                              reinterpret_cast<const char*>(data) + size, nullptr, false);
  if (params.is_discarded()) return 0;
  auto bound = bind_params(spec, params);
  if (auto* values = std::get_if<std::vector<Value>>(&bound)) {
    if (values->size() != spec.params.size()) __builtin_trap();
    if (!(*values)[1].is_number_integer()) __builtin_trap();
  }
  return 0;
}
