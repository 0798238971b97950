// rest_binding.cpp: the REST binding builders and the checks the registry applies to them.
#include "mi/rest_binding.h"

#include <algorithm>

#include <fmt/format.h>

#include "mi/command.h"

namespace sb::mi {

RestBinding RestBinding::created(std::string location_template) && {
  status = 201;
  location = std::move(location_template);
  return std::move(*this);
}
RestBinding RestBinding::if_match() && {
  needs_if_match = true;
  return std::move(*this);
}
RestBinding RestBinding::if_match_of(std::string path) && {
  needs_if_match = true;
  if_match_path = std::move(path);
  return std::move(*this);
}
RestBinding RestBinding::body_as(std::string param) && {
  body_param = std::move(param);
  return std::move(*this);
}
RestBinding RestBinding::reporting() && {
  answers_with_reply = true;
  return std::move(*this);
}
RestBinding RestBinding::no_content() && {
  status = 204;
  return std::move(*this);
}
RestBinding RestBinding::accepted() && {
  status = 202;
  return std::move(*this);
}
RestBinding RestBinding::with(std::string param, Value value) && {
  fixed.emplace_back(std::move(param), std::move(value));
  return std::move(*this);
}
RestBinding RestBinding::defaults_to(std::string param, Value value) && {
  defaults.emplace_back(std::move(param), std::move(value));
  return std::move(*this);
}
RestBinding RestBinding::etag_ignoring(std::vector<std::string> members) && {
  etag_ignores = std::move(members);
  return std::move(*this);
}
RestBinding RestBinding::from_query(std::vector<std::string> names) && {
  query = std::move(names);
  return std::move(*this);
}
RestBinding RestBinding::paged(std::string cursor_member) && {
  next_cursor = std::move(cursor_member);
  return std::move(*this);
}
RestBinding RestBinding::etag_from(std::string member) && {
  etag_member = std::move(member);
  return std::move(*this);
}
RestBinding RestBinding::described(std::string one_line) && {
  summary = std::move(one_line);
  return std::move(*this);
}

namespace rest {

namespace {
RestBinding make(const char* method, std::string path) {
  RestBinding b;
  b.method = method;
  b.path = std::move(path);
  return b;
}
}  // namespace

RestBinding get(std::string path) { return make("GET", std::move(path)); }
RestBinding post(std::string path) { return make("POST", std::move(path)); }
RestBinding put(std::string path) { return make("PUT", std::move(path)); }
RestBinding patch(std::string path) { return make("PATCH", std::move(path)); }
RestBinding del(std::string path) { return make("DELETE", std::move(path)); }

std::vector<std::string> path_params(std::string_view path) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '{') continue;
    auto close = path.find('}', i);
    if (close == std::string_view::npos || close == i + 1) return {};
    out.emplace_back(path.substr(i + 1, close - i - 1));
    i = close;
  }
  return out;
}

std::string check_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return "must start with '/'";
  if (path.size() > 1 && path.back() == '/') return "must not end with '/'";
  if (path.find("//") != std::string_view::npos) return "has an empty segment";
  for (std::size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '}') return "has a '}' without '{'";
    if (c == '{') {
      auto close = path.find('}', i);
      if (close == std::string_view::npos) return "has a '{' without '}'";
      std::string_view name = path.substr(i + 1, close - i - 1);
      if (name.empty() || name.find_first_of("{/") != std::string_view::npos)
        return "has an empty or malformed {name}";
      if (close + 1 < path.size() && path[close + 1] == '{')
        return "has two {names} with nothing between them";
      i = close;
      continue;
    }
    bool plain = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '-' ||
                 c == '_' || c == '@' || c == '.';
    if (!plain) return fmt::format("has '{}': use lower-case letters, digits, - _ @ .", c);
  }
  return {};
}

}  // namespace rest

bool rest_has_body(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

RestSource rest_source(const RestBinding& b, std::string_view name) {
  auto params = rest::path_params(b.path);
  if (std::find(params.begin(), params.end(), name) != params.end()) return RestSource::path;
  for (const auto& [n, v] : b.fixed)
    if (n == name) return RestSource::fixed;
  if (!rest_has_body(b.method)) return RestSource::query;
  if (std::find(b.query.begin(), b.query.end(), name) != b.query.end()) return RestSource::query;
  if (!b.body_param.empty() && name != b.body_param) return RestSource::query;
  return RestSource::body;
}

namespace {

const ParamSpec* find_param(const CommandSpec& s, std::string_view name) {
  for (const ParamSpec& p : s.params)
    if (p.name == name) return &p;
  return nullptr;
}

std::string check_one(const CommandSpec& s, const RestBinding& b) {
  static const char* const kMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
  if (std::find(std::begin(kMethods), std::end(kMethods), b.method) == std::end(kMethods))
    return fmt::format("method '{}' is not GET, POST, PUT, PATCH or DELETE", b.method);
  if (std::string why = rest::check_path(b.path); !why.empty())
    return fmt::format("path '{}' {}", b.path, why);
  if (b.method == "GET" && !s.has(kReadOnly))
    return "GET of a command that changes state (GET never mutates)";
  if (b.status != 200 && b.status != 201 && b.status != 202 && b.status != 204)
    return fmt::format("status {} is not 200, 201, 202 or 204", b.status);
  if ((b.status == 201) != !b.location.empty()) return "201 goes with a location, and only it";
  if (!b.location.empty()) {
    if (std::string why = rest::check_path(b.location); !why.empty())
      return fmt::format("location '{}' {}", b.location, why);
  }
  if (b.needs_if_match && b.if_match_path.empty() && b.method != "PUT" && b.method != "PATCH" &&
      b.method != "DELETE")
    return "If-Match is for PUT, PATCH and DELETE (or names another path's ETag)";
  if (!b.if_match_path.empty()) {
    if (std::string why = rest::check_path(b.if_match_path); !why.empty())
      return fmt::format("if_match_of '{}' {}", b.if_match_path, why);
    for (const std::string& n : rest::path_params(b.if_match_path))
      if (!find_param(s, n)) return fmt::format("if_match_of path param '{}' is not a param of the command", n);
  }
  if (!b.body_param.empty()) {
    const ParamSpec* p = find_param(s, b.body_param);
    if (!rest_has_body(b.method)) return "only a POST, PUT or PATCH has a body";
    if (!p || p->type != ParamType::object_) return fmt::format("body param '{}' is not an object param", b.body_param);
  }
  if (b.method == "GET" && b.status != 200) return "a GET answers 200";
  if (!b.next_cursor.empty() && b.method != "GET") return "only a GET pages";
  if (!b.query.empty() && !rest_has_body(b.method))
    return "`query` names params of a POST, PUT or PATCH (a GET or DELETE reads them all there)";
  auto in_path = rest::path_params(b.path);
  for (std::size_t i = 0; i < in_path.size(); ++i) {
    const ParamSpec* p = find_param(s, in_path[i]);
    if (!p) return fmt::format("path param '{}' is not a param of the command", in_path[i]);
    if (p->type != ParamType::string_ && p->type != ParamType::int_ && p->type != ParamType::uint_)
      return fmt::format("path param '{}' is not a string or an integer", in_path[i]);
    for (std::size_t j = 0; j < i; ++j)
      if (in_path[j] == in_path[i]) return fmt::format("path param '{}' appears twice", in_path[i]);
  }
  for (const auto& [name, value] : b.fixed) {
    if (!find_param(s, name)) return fmt::format("fixed param '{}' is not a param of the command", name);
    if (std::find(in_path.begin(), in_path.end(), name) != in_path.end())
      return fmt::format("param '{}' is both in the path and fixed", name);
  }
  for (const std::string& name : b.query)
    if (!find_param(s, name)) return fmt::format("query param '{}' is not a param of the command", name);
  for (const auto& [name, value] : b.defaults) {
    const ParamSpec* p = find_param(s, name);
    if (!p) return fmt::format("default of '{}', which is not a param of the command", name);
    if (p->required) return fmt::format("default of required param '{}'", name);
  }
  if (!b.etag_ignores.empty() && b.method != "GET") return "only a GET has an ETag to compute";
  for (const ParamSpec& p : s.params) {
    RestSource src = rest_source(b, p.name);
    if (src == RestSource::query && p.type == ParamType::array_)
      return fmt::format("array param '{}' cannot come from the query string", p.name);
    if (src == RestSource::query && p.text_block != TextBlock::line)
      return fmt::format("multi-line param '{}' cannot come from the query string", p.name);
  }
  return {};
}

}  // namespace

std::string check_rest_bindings(const CommandSpec& s) {
  for (std::size_t i = 0; i < s.rest.size(); ++i) {
    const RestBinding& b = s.rest[i];
    if (std::string why = check_one(s, b); !why.empty())
      return fmt::format("command '{}': REST {} {}: {}", s.name, b.method, b.path, why);
    for (std::size_t j = 0; j < i; ++j)
      if (s.rest[j].method == b.method && s.rest[j].path == b.path)
        return fmt::format("command '{}': REST {} {} is declared twice", s.name, b.method, b.path);
  }
  return {};
}

}  // namespace sb::mi
