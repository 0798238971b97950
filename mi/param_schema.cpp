// param_schema.cpp: ParamSpec → JSON Schema.
#include "mi/param_schema.h"

#include "mi/binding.h"

namespace sb::mi {

Value param_schema(const ParamSpec& p) {
  if (!p.shape.is_null()) {
    Value s = p.shape;
    if (!p.help.empty()) s["description"] = p.help;
    return s;
  }
  Value s = Value::object();
  switch (p.type) {
    case ParamType::string_: s["type"] = "string"; break;
    case ParamType::int_: s["type"] = "integer"; break;
    case ParamType::uint_:
      s["type"] = "integer";
      s["minimum"] = 0;
      break;
    case ParamType::bool_: s["type"] = "boolean"; break;
    case ParamType::double_: s["type"] = "number"; break;
    case ParamType::array_: s["type"] = "array"; break;
    case ParamType::object_: s["type"] = "object"; break;
  }
  if (p.min) s["minimum"] = *p.min;
  if (p.max) s["maximum"] = *p.max;
  if (!p.choices.empty()) {
    s["enum"] = Value::array();
    for (const std::string& c : p.choices) s["enum"].push_back(c);
  }
  if (!p.help.empty()) s["description"] = p.help;
  if (!p.required && !p.default_value.is_null() && !p.sensitive) {
    auto c = coerce(p, p.default_value);
    if (auto* v = std::get_if<Value>(&c)) s["default"] = *v;
  }
  if (p.sensitive) s["writeOnly"] = true;
  return s;
}

Value params_object_schema(const CommandSpec& spec,
                           const std::function<bool(const ParamSpec&)>& include) {
  Value props = Value::object();
  Value required = Value::array();
  for (const ParamSpec& p : spec.params) {
    if (!include(p)) continue;
    props[p.name] = param_schema(p);
    if (p.required) required.push_back(p.name);
  }
  Value s{{"type", "object"}, {"properties", std::move(props)}, {"additionalProperties", false}};
  if (!required.empty()) s["required"] = std::move(required);
  return s;
}

}  // namespace sb::mi
