// binding.cpp: positional/named binding and type coercion.
#include "mi/binding.h"

#include "mi/strings.h"

#include "mi/codec/limits.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace sb::mi {

namespace {

std::string trimmed(const std::string& s) { return std::string(trim(s, kWhitespace)); }

std::variant<Value, std::string> to_int(const Value& v) {
  if (v.is_number_integer()) return v;
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.2e18)
      return Value(static_cast<std::int64_t>(d));
    return std::string("expected an integer");
  }
  if (v.is_string()) {
    std::string s = trimmed(v.get<std::string>());
    if (s.empty()) return std::string("expected an integer, got an empty value");
    errno = 0;
    char* end = nullptr;
    long long n = std::strtoll(s.c_str(), &end, 10);
    if (*end != '\0') return fmt::format("expected an integer, got '{}'", s);
    if (errno == ERANGE) return fmt::format("integer '{}' out of range", s);
    return Value(static_cast<std::int64_t>(n));
  }
  if (v.is_boolean()) return Value(v.get<bool>() ? 1 : 0);
  return std::string("expected an integer");
}

std::variant<Value, std::string> to_double(const Value& v) {
  if (v.is_number()) return Value(v.get<double>());
  if (v.is_string()) {
    std::string s = trimmed(v.get<std::string>());
    if (s.empty()) return std::string("expected a number, got an empty value");
    errno = 0;
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (*end != '\0' || !std::isfinite(d)) return fmt::format("expected a number, got '{}'", s);
    return Value(d);
  }
  return std::string("expected a number");
}

std::variant<Value, std::string> to_bool(const Value& v) {
  if (v.is_boolean()) return v;
  if (v.is_number_integer()) {
    auto n = v.get<std::int64_t>();
    if (n == 0 || n == 1) return Value(n == 1);
    return fmt::format("expected a boolean (0/1), got {}", n);
  }
  if (v.is_string()) {
    std::string s = trimmed(v.get<std::string>());
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (s == "1" || s == "true" || s == "yes" || s == "on") return Value(true);
    if (s == "0" || s == "false" || s == "no" || s == "off") return Value(false);
    return fmt::format("expected a boolean (true/false/1/0/yes/no), got '{}'",
                       v.get<std::string>());
  }
  return std::string("expected a boolean");
}

std::variant<Value, std::string> to_string_value(const Value& v) {
  if (v.is_string()) return v;
  if (v.is_number_integer()) return Value(std::to_string(v.get<std::int64_t>()));
  if (v.is_number_float()) return Value(fmt::format("{}", v.get<double>()));
  if (v.is_boolean()) return Value(v.get<bool>() ? "true" : "false");
  return std::string("expected a string");
}

std::variant<Value, std::string> to_object(const Value& v) {
  if (v.is_object()) return v;
  if (!v.is_string()) return std::string("expected a JSON object");
  // The text dialects (FIFO, datagram, monitor) can only give it as JSON text; its depth is
  // bounded before it is parsed, as for every JSON entry point (core.max_nesting).
  const std::string& text = v.get_ref<const std::string&>();
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return Value::object();  // "" = {}
  if (const std::size_t max = decode_limits().max_nesting; json_nesting(text, max + 1) > max)
    return fmt::format("nested deeper than {} levels (core.max_nesting)", max);
  Value parsed = Value::parse(text, nullptr, false);
  if (parsed.is_discarded()) return std::string("expected a JSON object, got text that is not JSON");
  if (!parsed.is_object()) return std::string("expected a JSON object");
  return parsed;
}

std::variant<Value, std::string> to_type(const ParamSpec& p, const Value& v) {
  switch (p.type) {
    case ParamType::string_: return to_string_value(v);
    case ParamType::int_: return to_int(v);
    case ParamType::uint_: {
      auto n = to_int(v);
      if (auto* i = std::get_if<Value>(&n); i && i->get<std::int64_t>() < 0)
        return std::string("expected an integer >= 0");
      return n;
    }
    case ParamType::double_: return to_double(v);
    case ParamType::bool_: return to_bool(v);
    case ParamType::object_: return to_object(v);
    case ParamType::array_:
      if (v.is_array()) return v;
      if (v.is_object()) return std::string("expected an array");
      return Value(Value::array({v}));
  }
  return std::string("unsupported type");
}

/// The declared range and choices (after the type is right).
std::string constraint_violation(const ParamSpec& p, const Value& v) {
  if (v.is_number_integer()) {
    auto n = v.get<std::int64_t>();
    if ((p.min && n < *p.min) || (p.max && n > *p.max)) {
      if (p.min && p.max) return fmt::format("must be {}..{}", *p.min, *p.max);
      if (p.min) return fmt::format("must be >= {}", *p.min);
      return fmt::format("must be <= {}", *p.max);
    }
  }
  if (!p.choices.empty() && v.is_string()) {
    const auto& word = v.get_ref<const std::string&>();
    for (const auto& c : p.choices)
      if (c == word) return {};
    return fmt::format("must be one of: {}", fmt::join(p.choices, ", "));
  }
  return {};
}

}  // namespace

std::variant<Value, std::string> coerce(const ParamSpec& p, const Value& v) {
  if (v.is_null()) return std::string("a value is required");
  auto c = to_type(p, v);
  if (std::holds_alternative<std::string>(c)) {
    // A secret's value is never echoed ("expected an integer, got 'hunter2'").
    if (p.sensitive) return std::string("not a valid ") + std::string(to_string(p.type));
    return c;
  }
  if (std::string why = constraint_violation(p, std::get<Value>(c)); !why.empty()) return why;
  return c;
}

std::variant<std::vector<Value>, Error> bind_params(const CommandSpec& spec, const Value& params) {
  const auto& ps = spec.params;
  std::vector<Value> given(ps.size());  // null = not given

  if (params.is_array()) {
    std::size_t n = params.size();
    for (std::size_t i = 0; i < n; ++i) {
      if (i >= ps.size())
        return Error::arity(fmt::format("'{}' takes at most {} parameter{}, {} given", spec.name,
                                        ps.size(), ps.size() == 1 ? "" : "s", n));
      if (ps[i].type == ParamType::array_) {
        // The trailing array param takes every remaining positional value.
        if (i + 1 == n && params[i].is_array()) {
          given[i] = params[i];
        } else {
          Value rest = Value::array();
          for (std::size_t j = i; j < n; ++j) rest.push_back(params[j]);
          given[i] = std::move(rest);
        }
        break;
      }
      given[i] = params[i];
    }
  } else if (params.is_object()) {
    for (auto it = params.begin(); it != params.end(); ++it) {
      std::size_t i = 0;
      while (i < ps.size() && ps[i].name != it.key()) ++i;
      if (i == ps.size())
        return Error::arity(fmt::format("'{}' has no parameter named '{}'", spec.name, it.key()));
      given[i] = it.value();
    }
  } else if (!params.is_null()) {
    return Error::invalid_request("params must be an array or an object");
  }

  std::vector<Value> out(ps.size());
  for (std::size_t i = 0; i < ps.size(); ++i) {
    const ParamSpec& p = ps[i];
    if (given[i].is_null()) {
      if (p.required)
        return Error::arity(fmt::format("missing parameter '{}' of '{}'", p.name, spec.name));
      out[i] = p.default_value;
      continue;
    }
    auto c = coerce(p, given[i]);
    if (auto* why = std::get_if<std::string>(&c)) return Error::bad_param(p.name, *why);
    out[i] = std::move(std::get<Value>(c));
    if (p.type == ParamType::array_ && p.required && out[i].empty())
      return Error::bad_param(p.name, "the array is empty");
  }
  return out;
}

}  // namespace sb::mi
