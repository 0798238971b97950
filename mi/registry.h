// registry.h: the one table of commands every transport serves.
//
// Purpose: modules register CommandSpecs at startup; the registry refuses duplicates and
// incomplete specs (empty summary, a param without help, bad names, async flag without an async
// handler …) with a RegistryError naming the command, so a bad module is a clear startup error.
// Every command answers as `name` and as `module:name`.
// Threading: register everything before the dispatcher starts serving; lookups are then
// lock-free reads of an immutable table. (Registration after start is guarded by a mutex and
// only ever appends; specs are never removed, so pointers stay valid.)
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mi/command.h"
#include "mi/event_registry.h"

namespace sb::mi {

class RegistryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Registry {
 public:
  /// Adds a command; throws RegistryError when the spec is incomplete or the name is taken.
  const CommandSpec& add(CommandSpec spec);

  /// Exact lookup by `name` or `module:name`; nullptr when unknown.
  const CommandSpec* find(std::string_view name) const;
  /// As find(), then case-insensitive (the SER text dialect courtesy).
  const CommandSpec* find_case_insensitive(std::string_view name) const;

  /// Every command in registration order (hidden ones included; callers filter).
  std::vector<const CommandSpec*> all() const;
  std::size_t size() const;

  /// Calls `fn` for every command already registered and for each one added later (the
  /// dispatcher creates each command's statistics this way, so they exist before the first call).
  /// Returns an id for remove_listener() (call it before the listener's owner goes away).
  std::size_t on_add(std::function<void(const CommandSpec&)> fn);
  void remove_listener(std::size_t id);

  /// Returns an explanation when the spec would be refused, empty when it is acceptable.
  static std::string validate(const CommandSpec& spec);

  /// The events modules declare next to their commands (event_registry.h).
  EventRegistry& events() { return events_; }
  const EventRegistry& events() const { return events_; }

 private:
  mutable std::shared_mutex mu_;
  std::deque<CommandSpec> specs_;  // deque: stable addresses
  std::unordered_map<std::string, const CommandSpec*> by_name_;
  std::unordered_map<std::string, const CommandSpec*> by_lower_name_;
  std::vector<std::pair<std::size_t, std::function<void(const CommandSpec&)>>> listeners_;
  std::size_t next_listener_ = 1;
  EventRegistry events_;
};

}  // namespace sb::mi
