// reply_schema.cpp: the schema builders and the check of what a command declares.
#include "mi/reply_schema.h"

#include <algorithm>
#include <array>
#include <string_view>

#include <fmt/format.h>

namespace sb::mi::schema {

namespace {

constexpr std::string_view kOptional = "x-optional";

Value typed(const char* type, std::string description) {
  Value s{{"type", type}};
  if (!description.empty()) s["description"] = std::move(description);
  return s;
}

Value with_description(Value s, std::string description) {
  if (!description.empty()) s["description"] = std::move(description);
  return s;
}

bool known_type(const Value& t) {
  static constexpr std::array<std::string_view, 7> kTypes{"object", "array",   "string", "integer",
                                                          "number", "boolean", "null"};
  return t.is_string() &&
         std::find(kTypes.begin(), kTypes.end(), t.get<std::string>()) != kTypes.end();
}

}  // namespace

Value str(std::string d) { return typed("string", std::move(d)); }
Value integer(std::string d) { return typed("integer", std::move(d)); }
Value uint(std::string d) {
  Value s = typed("integer", std::move(d));
  s["minimum"] = 0;
  return s;
}
Value number(std::string d) { return typed("number", std::move(d)); }
Value boolean(std::string d) { return typed("boolean", std::move(d)); }
Value null() { return typed("null", {}); }
Value any(std::string d) { return with_description(Value::object(), std::move(d)); }
Value ok() { return Value{{"const", "OK"}}; }

Value enum_of(std::initializer_list<const char*> values, std::string d) {
  Value e = Value::array();
  for (const char* v : values) e.push_back(v);
  return with_description(Value{{"type", "string"}, {"enum", std::move(e)}}, std::move(d));
}

Value array_of(Value items, std::string d) {
  return with_description(Value{{"type", "array"}, {"items", std::move(items)}}, std::move(d));
}

Value object(std::vector<std::pair<std::string, Value>> properties, std::string d) {
  Value props = Value::object();
  Value required = Value::array();
  for (auto& [name, s] : properties) {
    bool optional = s.is_object() && s.contains(kOptional);
    if (optional) s.erase(std::string(kOptional));
    else required.push_back(name);
    props[name] = std::move(s);
  }
  Value out{{"type", "object"}, {"properties", std::move(props)}};
  if (!required.empty()) out["required"] = std::move(required);
  out["additionalProperties"] = false;
  return with_description(std::move(out), std::move(d));
}

Value object(std::initializer_list<std::pair<std::string, Value>> properties, std::string d) {
  return object(std::vector<std::pair<std::string, Value>>(properties), std::move(d));
}

Value map_of(Value values, std::string d) {
  return with_description(Value{{"type", "object"}, {"additionalProperties", std::move(values)}},
                          std::move(d));
}

Value opt(Value property) {
  property[std::string(kOptional)] = true;
  return property;
}

Value any_of(std::initializer_list<Value> shapes, std::string d) {
  Value alternatives = Value::array();
  for (const Value& shape : shapes) alternatives.push_back(shape);
  return with_description(Value{{"anyOf", std::move(alternatives)}}, std::move(d));
}

Value nullable(Value shape) { return any_of({std::move(shape), null()}); }

Value described(Value s, std::string d) { return with_description(std::move(s), std::move(d)); }

std::string check(const Value& s) {
  if (!s.is_object()) return "a schema must be a JSON object";
  for (auto it = s.begin(); it != s.end(); ++it) {
    const std::string& k = it.key();
    const Value& v = it.value();
    if (k == "type") {
      if (!known_type(v)) return fmt::format("unknown type {}", v.dump());
    } else if (k == "description") {
      if (!v.is_string()) return "description must be a string";
    } else if (k == "properties") {
      if (!v.is_object()) return "properties must be an object";
      for (auto p = v.begin(); p != v.end(); ++p)
        if (auto why = check(p.value()); !why.empty())
          return fmt::format("property '{}': {}", p.key(), why);
    } else if (k == "required") {
      if (!v.is_array()) return "required must be an array";
      for (const auto& name : v)
        if (!name.is_string() || !s.contains("properties") || !s["properties"].contains(name))
          return fmt::format("required {} is not a declared property", name.dump());
    } else if (k == "additionalProperties") {
      if (!v.is_boolean())
        if (auto why = check(v); !why.empty()) return "additionalProperties: " + why;
    } else if (k == "items") {
      if (auto why = check(v); !why.empty()) return "items: " + why;
    } else if (k == "anyOf") {
      if (!v.is_array() || v.empty()) return "anyOf must be a non-empty array";
      for (const auto& alt : v)
        if (auto why = check(alt); !why.empty()) return "anyOf: " + why;
    } else if (k == "enum") {
      if (!v.is_array() || v.empty()) return "enum must be a non-empty array";
    } else if (k == "minimum" || k == "maximum") {
      if (!v.is_number()) return k + " must be a number";
    } else if (k != "const") {
      return fmt::format("unknown keyword '{}'", k);  // also catches opt() outside object()
    }
  }
  return {};
}

namespace {

Declared declares_from(const Value& s, const std::string_view* step, const std::string_view* end) {
  if (step == end) return Declared::always;
  if (s.contains("anyOf")) {
    Declared best = Declared::no;
    for (const auto& alt : s["anyOf"]) best = std::max(best, declares_from(alt, step, end));
    return best;
  }
  if (*step == "[]") {
    if (!s.contains("items")) return Declared::no;
    return declares_from(s["items"], step + 1, end);
  }
  std::string key(*step);
  if (s.contains("properties") && s["properties"].contains(key)) {
    Declared rest = declares_from(s["properties"][key], step + 1, end);
    bool required = false;
    if (s.contains("required"))
      for (const auto& r : s["required"]) required = required || r == key;
    return required ? rest : std::min(rest, Declared::optional);
  }
  if (s.contains("additionalProperties") && s["additionalProperties"].is_object())
    return std::min(declares_from(s["additionalProperties"], step + 1, end), Declared::optional);
  return Declared::no;
}

}  // namespace

Declared declares(const Value& schema, const std::vector<std::string_view>& path) {
  return declares_from(schema, path.data(), path.data() + path.size());
}

std::string xmlrpc_type(const Value& s) {
  if (s.contains("const") && s["const"].is_string()) return "string";
  if (s.contains("anyOf")) {
    std::string first;
    for (const auto& alt : s["anyOf"]) {
      std::string t = xmlrpc_type(alt);
      if (t == "nil") continue;
      if (first.empty()) first = t;
      else if (t != first) return "string";
    }
    return first.empty() ? "nil" : first;
  }
  if (!s.contains("type")) return "string";
  const std::string t = s["type"].get<std::string>();
  if (t == "object") return "struct";
  if (t == "array") return "array";
  if (t == "integer") return "int";
  if (t == "number") return "double";
  if (t == "boolean") return "boolean";
  if (t == "null") return "nil";
  return "string";
}

}  // namespace sb::mi::schema
