// rest_catalogue.h: the REST resources as the registry's bindings declare them.
//
// Purpose: groups every command's RestBindings by path into resources (one HTTP route each) and
// links each write that needs If-Match, and each PUT/PATCH, to the GET of the same path. The
// routes (rest_api.cpp) and the OpenAPI document (openapi.cpp) both read this one table, so
// they cannot disagree. A binding that cannot work (two commands on one method and path, an
// If-Match write without a GET, a GET that cannot run in the write's step) is a start-up error.
// Threading: built once at start; immutable, read from any thread.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "mi/registry.h"

namespace sb::transports::rest {

struct Operation {
  const mi::CommandSpec* spec = nullptr;
  const mi::RestBinding* binding = nullptr;
  /// The GET of the same path, or of the binding's if_match_path (its ETag for If-Match; the
  /// representation after PUT/PATCH unless the binding reports), or nullptr.
  const Operation* read = nullptr;
};

struct Resource {
  std::string path;  ///< the binding's path template, without the /api/v1 base
  std::vector<Operation> operations;
  const Operation* find(std::string_view method) const;  ///< HEAD finds the GET
};

class Catalogue {
 public:
  /// Throws std::logic_error naming the binding when the bindings do not fit together.
  explicit Catalogue(const mi::Registry& registry);
  Catalogue(const Catalogue&) = delete;
  Catalogue& operator=(const Catalogue&) = delete;
  /// Literal paths before parameterised ones, so "/ports/groups" would win over "/ports/{id}".
  const std::vector<Resource>& resources() const { return resources_; }

 private:
  std::vector<Resource> resources_;
};

}  // namespace sb::transports::rest
