// event_registry.cpp: see event_registry.h.
#include "mi/event_registry.h"

#include <algorithm>
#include <mutex>

#include <fmt/format.h>

#include "mi/registry.h"
#include "mi/reply_schema.h"
#include "mi/strings.h"

namespace sb::mi {

namespace {

bool valid_event_name(std::string_view name) {
  if (name.size() < 3 || name.size() > 64 || name.substr(0, 2) != "E_") return false;
  for (char c : name)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

std::string type_word(const Value& schema) {
  if (schema.contains("type") && schema["type"].is_string()) return schema["type"].get<std::string>();
  if (schema.contains("enum")) return "string";
  if (schema.contains("anyOf")) {  // nullable(x): "x|null"
    std::string out;
    for (const Value& alt : schema["anyOf"]) out += (out.empty() ? "" : "|") + type_word(alt);
    return out;
  }
  return "any";
}

/// A property's description, or that of one of its anyOf alternatives (nullable(str("…"))).
std::string description_of(const Value& prop) {
  if (prop.contains("description") && prop["description"].is_string()) return prop["description"].get<std::string>();
  if (prop.contains("anyOf"))
    for (const Value& alt : prop["anyOf"])
      if (std::string d = description_of(alt); !d.empty()) return d;
  return {};
}

}  // namespace

std::string EventRegistry::validate(const EventSpec& spec) {
  if (!valid_event_name(spec.name)) return "the name must be E_ followed by A-Z, 0-9 or _ (at most 64)";
  if (spec.module.empty()) return "no module";
  if (spec.summary.empty()) return "no summary";
  if (!spec.params.is_object() || spec.params.value("type", "") != "object" ||
      !spec.params.contains("properties"))
    return "params must be an object schema (mi/reply_schema.h object())";
  if (std::string why = schema::check(spec.params); !why.empty()) return "params: " + why;
  for (const auto& [name, prop] : spec.params["properties"].items())
    if (description_of(prop).empty()) return fmt::format("param '{}' has no description", name);
  return {};
}

const EventSpec& EventRegistry::add(EventSpec spec) {
  if (std::string why = validate(spec); !why.empty())
    throw RegistryError(fmt::format("event '{}': {}", spec.name, why));
  std::unique_lock lk(mu_);
  if (by_name_.count(spec.name)) throw RegistryError(fmt::format("event '{}': declared twice", spec.name));
  if (specs_.size() >= kMaxEvents)
    throw RegistryError(fmt::format("event '{}': more than {} events", spec.name, kMaxEvents));
  spec.index = specs_.size();
  const EventSpec& added = specs_.emplace_back(std::move(spec));
  by_name_.emplace(added.name, &added);
  return added;
}

const EventSpec* EventRegistry::find(std::string_view name) const {
  std::shared_lock lk(mu_);
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : it->second;
}

std::vector<const EventSpec*> EventRegistry::all() const {
  std::shared_lock lk(mu_);
  std::vector<const EventSpec*> out;
  out.reserve(specs_.size());
  for (const EventSpec& s : specs_) out.push_back(&s);
  return out;
}

std::size_t EventRegistry::size() const {
  std::shared_lock lk(mu_);
  return specs_.size();
}

std::vector<const EventSpec*> EventRegistry::match(std::string_view pattern, std::string* error) const {
  std::vector<bool> picked;
  std::vector<const EventSpec*> every = all();
  picked.resize(every.size());
  std::size_t parts = 0;
  std::size_t start = 0;
  while (start <= pattern.size()) {
    std::size_t comma = pattern.find(',', start);
    std::string_view part = trim(pattern.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    start = comma == std::string_view::npos ? pattern.size() + 1 : comma + 1;
    if (part.empty()) continue;
    ++parts;
    bool prefix = part.back() == '*';
    std::string_view stem = prefix ? part.substr(0, part.size() - 1) : part;
    bool any = false;
    for (const EventSpec* s : every) {
      std::string_view n = s->name;
      if (prefix ? n.substr(0, stem.size()) == stem : n == stem) {
        picked[s->index] = true;
        any = true;
      }
    }
    if (!any) {
      if (error)
        *error = prefix ? fmt::format("no event starts with '{}' (events_list lists them)", stem)
                        : fmt::format("unknown event '{}' (events_list lists them)", part);
      return {};
    }
  }
  if (parts == 0) {
    if (error) *error = "no event named (E_NAME, E_PREFIX_* or a comma-separated list)";
    return {};
  }
  std::vector<const EventSpec*> out;
  for (const EventSpec* s : every)
    if (picked[s->index]) out.push_back(s);
  return out;
}

Value event_params_list(const EventSpec& spec) {
  Value list = Value::array();
  const Value& required = spec.params.contains("required") ? spec.params["required"] : Value::array();
  for (const auto& [name, prop] : spec.params["properties"].items()) {
    bool req = std::find(required.begin(), required.end(), Value(name)) != required.end();
    list.push_back(Value{{"name", name},
                         {"type", type_word(prop)},
                         {"required", req},
                         {"help", description_of(prop)}});
  }
  return list;
}

}  // namespace sb::mi
