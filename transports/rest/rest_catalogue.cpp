// rest_catalogue.cpp: bindings → resources, and the checks that need more than one command.
#include "transports/rest/rest_catalogue.h"

#include <algorithm>

#include <fmt/format.h>

namespace sb::transports::rest {

const Operation* Resource::find(std::string_view method) const {
  if (method == "HEAD") method = "GET";
  for (const Operation& op : operations)
    if (op.binding->method == method) return &op;
  return nullptr;
}

Catalogue::Catalogue(const mi::Registry& registry) {
  for (const mi::CommandSpec* spec : registry.all())
    for (const mi::RestBinding& b : spec->rest) {
      auto it = std::find_if(resources_.begin(), resources_.end(),
                             [&](const Resource& r) { return r.path == b.path; });
      if (it == resources_.end()) {
        resources_.push_back(Resource{b.path, {}});
        it = std::prev(resources_.end());
      }
      if (const Operation* other = it->find(b.method))
        throw std::logic_error(fmt::format("REST {} {}: bound by both '{}' and '{}'", b.method,
                                           b.path, other->spec->name, spec->name));
      it->operations.push_back(Operation{spec, &b, nullptr});
    }
  auto params = [](const Resource& r) { return std::count(r.path.begin(), r.path.end(), '{'); };
  std::stable_sort(resources_.begin(), resources_.end(),
                   [&](const Resource& a, const Resource& b) { return params(a) < params(b); });
  // Linked after sorting: `read` points into the resource's own vector, which no longer moves.
  auto get_of = [this](const std::string& path) -> const Operation* {
    for (const Resource& other : resources_)
      if (other.path == path) return other.find("GET");
    return nullptr;
  };
  for (Resource& r : resources_) {
    for (Operation& op : r.operations) {
      const std::string& m = op.binding->method;
      const Operation* get = get_of(op.binding->if_match_path.empty() ? r.path : op.binding->if_match_path);
      if (m != "PUT" && m != "PATCH" && !op.binding->needs_if_match) continue;
      if (!get) {
        if (op.binding->needs_if_match)
          throw std::logic_error(fmt::format("REST {} {} ('{}') needs If-Match but no GET serves "
                                             "it to give the ETag", m, r.path, op.spec->name));
        continue;
      }
      // The ETag check runs the GET's handler in the write's step: same thread, synchronously.
      if (op.binding->needs_if_match &&
          (get->spec->has(mi::kAsync) || get->spec->has(mi::kEngine) != op.spec->has(mi::kEngine)))
        throw std::logic_error(fmt::format("REST {} {}: '{}' cannot check If-Match with '{}' (it "
                                           "must be synchronous and run where '{}' runs)",
                                           m, r.path, op.spec->name, get->spec->name, op.spec->name));
      op.read = get;
    }
  }
}

}  // namespace sb::transports::rest
