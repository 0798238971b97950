// fuzz_binding.cpp: param binding and coercion of arbitrary JSON params against a spec that has
// every param type and constraint — ranges, choices, objects (also as JSON text, depth-limited),
// secrets — (the dispatcher's arity/type checks must never throw or crash, and what they accept
// must satisfy the declaration; a secret is never echoed in the error).
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
                optional_param("u", ParamType::uint_, "a count"),
                optional_param("r", ParamType::int_, "a port", 5).range(1, 9999),
                optional_param("w", ParamType::string_, "a word").one_of({"linear", "roundrobin"}),
                optional_param("o", ParamType::object_, "options", Value::object()),
                optional_param("p", ParamType::int_, "a PIN").secret(),
                optional_param("a", ParamType::array_, "an array")};
    s.handler = [](const Args&) -> Result { return ok_value(); };
    return s;
  }();
  Value params = Value::parse(reinterpret_cast<const char*>(data),
                              reinterpret_cast<const char*>(data) + size, nullptr, false);
  if (params.is_discarded()) return 0;
  auto bound = bind_params(spec, params);
  if (auto* values = std::get_if<std::vector<Value>>(&bound)) {
    const auto& v = *values;
    if (v.size() != spec.params.size()) __builtin_trap();
    if (!v[1].is_number_integer()) __builtin_trap();
    if (!v[4].is_null() && (!v[4].is_number_integer() || v[4].get<std::int64_t>() < 0)) __builtin_trap();
    if (!v[5].is_number_integer() || v[5].get<std::int64_t>() < 1 || v[5].get<std::int64_t>() > 9999)
      __builtin_trap();
    if (!v[6].is_null() && v[6] != "linear" && v[6] != "roundrobin") __builtin_trap();
    if (!v[7].is_object()) __builtin_trap();
  } else if (const Value& secret = params.is_object() && params.contains("p") ? params["p"] : Value();
             secret.is_string() && secret.get_ref<const std::string&>().size() >= 4) {
    // A refused secret is never part of the error text.
    const Error& e = std::get<Error>(bound);
    if ((e.reason + e.detail).find(secret.get_ref<const std::string&>()) != std::string::npos &&
        e.reason.find("'p'") != std::string::npos)
      __builtin_trap();
  }
  return 0;
}
