// registry.cpp: spec validation and the name tables.
#include "mi/registry.h"

#include "mi/strings.h"

#include "mi/binding.h"
#include "mi/reply_schema.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace sb::mi {

namespace {

bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  if (!std::isalpha(static_cast<unsigned char>(n[0])) && n[0] != '_') return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}


}  // namespace

std::string Registry::validate(const CommandSpec& s) {
  if (!valid_name(s.name))
    return fmt::format("command name '{}' is not valid (letters, digits, '_', '.', '-')", s.name);
  if (!valid_name(s.module))
    return fmt::format("command '{}': module name '{}' is not valid", s.name, s.module);
  if (s.summary.empty()) return fmt::format("command '{}' has an empty summary", s.name);
  if (s.has(kAsync) && !s.async_handler)
    return fmt::format("command '{}' is flagged async but has no async handler", s.name);
  if (!s.has(kAsync) && !s.handler)
    return fmt::format("command '{}' has no handler", s.name);
  if (s.has(kAsync) && s.handler)
    return fmt::format("command '{}' is async but also has a sync handler", s.name);
  if (s.has(kInline) && (s.has(kAsync) || s.has(kEngine)))
    return fmt::format("command '{}' is inline but async or engine-bound", s.name);
  // read_only + admin is a read of secrets (config_export): it changes nothing, and only an
  // admin may see it.
  if (s.has(kConfig) && !s.has(kEngine))
    return fmt::format("command '{}' is flagged config but not engine: its revision is recorded on the "
                       "engine's database connection, from the engine thread", s.name);
  if (s.has(kConfig) && (s.has(kReadOnly) || s.has(kAsync)))
    return fmt::format("command '{}' is flagged config (a write recorded as a configuration revision) "
                       "but also read_only or async", s.name);
  if (s.reply.is_null())
    return fmt::format("command '{}' declares no reply schema (.reply, mi/reply_schema.h)", s.name);
  if (std::string why = schema::check(s.reply); !why.empty())
    return fmt::format("command '{}': reply schema: {}", s.name, why);
  bool seen_optional = false;
  for (std::size_t i = 0; i < s.params.size(); ++i) {
    const ParamSpec& p = s.params[i];
    if (!valid_name(p.name))
      return fmt::format("command '{}': param name '{}' is not valid", s.name, p.name);
    if (p.help.empty())
      return fmt::format("command '{}': param '{}' has no help text", s.name, p.name);
    for (std::size_t j = 0; j < i; ++j)
      if (s.params[j].name == p.name)
        return fmt::format("command '{}': param '{}' is declared twice", s.name, p.name);
    if (p.required && seen_optional)
      return fmt::format("command '{}': required param '{}' follows an optional one", s.name,
                         p.name);
    if (!p.required) seen_optional = true;
    if ((p.min || p.max) && p.type != ParamType::int_ && p.type != ParamType::uint_)
      return fmt::format("command '{}': param '{}' has a range but is not an integer", s.name, p.name);
    if (!p.shape.is_null()) {
      if (p.type != ParamType::object_)
        return fmt::format("command '{}': param '{}' has a shape but is not an object", s.name, p.name);
      if (std::string why = schema::check(p.shape); !why.empty())
        return fmt::format("command '{}': param '{}': shape: {}", s.name, p.name, why);
    }
    if (!p.choices.empty() && p.type != ParamType::string_)
      return fmt::format("command '{}': param '{}' has choices but is not a string", s.name, p.name);
    if (!p.required && !p.default_value.is_null()) {
      auto c = coerce(p, p.default_value);
      if (auto* why = std::get_if<std::string>(&c))
        return fmt::format("command '{}': the default of param '{}' is not valid: {}", s.name,
                           p.name, *why);
    }
    if (p.type == ParamType::array_ && i + 1 != s.params.size())
      return fmt::format("command '{}': array param '{}' must be the last param", s.name, p.name);
  }
  return check_rest_bindings(s);
}

const CommandSpec& Registry::add(CommandSpec spec) {
  if (std::string why = validate(spec); !why.empty()) throw RegistryError(why);
  std::unique_lock lk(mu_);
  std::string qualified = spec.module + ":" + spec.name;
  for (const std::string& key : {spec.name, qualified}) {
    if (auto it = by_name_.find(key); it != by_name_.end())
      throw RegistryError(fmt::format("command '{}' of module '{}' is already registered by module '{}'",
                                      key, spec.module, it->second->module));
  }
  // The SER text dialect looks names up case-insensitively: names differing only in case clash.
  if (auto it = by_lower_name_.find(lower(spec.name)); it != by_lower_name_.end())
    throw RegistryError(fmt::format("command '{}' of module '{}' differs only in case from '{}' of "
                                    "module '{}'", spec.name, spec.module, it->second->name,
                                    it->second->module));
  specs_.push_back(std::move(spec));
  const CommandSpec* p = &specs_.back();
  by_name_.emplace(p->name, p);
  by_name_.emplace(qualified, p);
  by_lower_name_.emplace(lower(p->name), p);
  by_lower_name_.emplace(lower(qualified), p);
  auto listeners = listeners_;
  lk.unlock();
  for (auto& [id, fn] : listeners) fn(*p);
  return *p;
}

std::size_t Registry::on_add(std::function<void(const CommandSpec&)> fn) {
  std::vector<const CommandSpec*> existing;
  std::size_t id;
  {
    std::unique_lock lk(mu_);
    id = next_listener_++;
    listeners_.emplace_back(id, fn);
    for (const auto& s : specs_) existing.push_back(&s);
  }
  for (const CommandSpec* s : existing) fn(*s);
  return id;
}

void Registry::remove_listener(std::size_t id) {
  std::unique_lock lk(mu_);
  std::erase_if(listeners_, [id](const auto& l) { return l.first == id; });
}

const CommandSpec* Registry::find(std::string_view name) const {
  std::shared_lock lk(mu_);
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : it->second;
}

const CommandSpec* Registry::find_case_insensitive(std::string_view name) const {
  if (const CommandSpec* s = find(name)) return s;
  std::shared_lock lk(mu_);
  auto it = by_lower_name_.find(lower(name));
  return it == by_lower_name_.end() ? nullptr : it->second;
}

std::vector<const CommandSpec*> Registry::all() const {
  std::shared_lock lk(mu_);
  std::vector<const CommandSpec*> out;
  out.reserve(specs_.size());
  for (const auto& s : specs_) out.push_back(&s);
  return out;
}

std::size_t Registry::size() const {
  std::shared_lock lk(mu_);
  return specs_.size();
}

}  // namespace sb::mi
