// rest_operation.cpp: params in, command call, status/ETag/Location/Link out.
#include "transports/rest/rest_operation.h"

#include <algorithm>

#include <fmt/format.h>

#include "mi/binding.h"
#include "mi/codec/limits.h"
#include "transports/http/http_request_checks.h"
#include "transports/rest/rest_reply.h"

namespace sb::transports::rest {

namespace {

const mi::ParamSpec* find_param(const mi::CommandSpec& spec, std::string_view name) {
  for (const mi::ParamSpec& p : spec.params)
    if (p.name == name) return &p;
  return nullptr;
}

/// Why a JSON value is not of the param's type (strict: the body is typed JSON), or empty.
std::string type_problem(const mi::ParamSpec& p, const mi::Value& v) {
  switch (p.type) {
    case mi::ParamType::string_: return v.is_string() ? "" : "must be a string";
    case mi::ParamType::int_: return v.is_number_integer() ? "" : "must be an integer";
    case mi::ParamType::uint_:
      return v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0)
                 ? ""
                 : "must be an integer >= 0";
    case mi::ParamType::bool_: return v.is_boolean() ? "" : "must be true or false";
    case mi::ParamType::double_: return v.is_number() ? "" : "must be a number";
    case mi::ParamType::array_: return v.is_array() ? "" : "must be an array";
    case mi::ParamType::object_: return v.is_object() ? "" : "must be an object";
  }
  return "has an unsupported type";
}

/// RFC 6901: '~' → "~0", '/' → "~1".
std::string pointer_to(std::string_view member) {
  std::string out = "/";
  for (char c : member) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

mi::Value pointer_problem(std::string_view member, std::string detail) {
  return mi::Value{{"pointer", pointer_to(member)}, {"detail", std::move(detail)}};
}

mi::Value parameter_problem(std::string_view name, std::string detail) {
  return mi::Value{{"parameter", std::string(name)}, {"detail", std::move(detail)}};
}

/// The params that come from the path and the binding itself.
mi::Value path_and_fixed(const Operation& op, const HttpRequest& req) {
  mi::Value params = mi::Value::object();
  for (const std::string& name : mi::rest::path_params(op.binding->path))
    if (auto it = req.params.find(name); it != req.params.end()) params[name] = it->second;
  for (const auto& [name, value] : op.binding->fixed) params[name] = value;
  return params;
}

std::string scalar_text(const mi::Value& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

/// A path template with its {names} filled (percent-encoded) from `params`, then `reply`.
std::string filled(std::string_view tmpl, const mi::Value& params, const mi::Value& reply) {
  std::string out(kBase);
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] != '{') {
      out += tmpl[i];
      continue;
    }
    auto close = tmpl.find('}', i);
    std::string name(tmpl.substr(i + 1, close - i - 1));
    if (params.contains(name)) out += percent_encode(scalar_text(params[name]), true);
    else if (reply.is_object() && reply.contains(name)) out += percent_encode(scalar_text(reply[name]), true);
    i = close;
  }
  return out;
}

/// What a GET's answer needs from its request once the call is over (the request is gone).
struct Echo {
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  std::string if_none_match;
};

/// The request's own URL with `cursor` set to `next` (the Link: rel="next" target).
std::string next_page(const Echo& echo, const std::string& next) {
  std::string out;
  std::string_view path = echo.path;
  while (!path.empty()) {  // re-encode each segment (MHD gave it decoded)
    path.remove_prefix(1);
    auto slash = path.find('/');
    out += "/" + percent_encode(path.substr(0, slash), true);
    path.remove_prefix(slash == std::string_view::npos ? path.size() : slash);
  }
  char sep = '?';
  for (const auto& [k, v] : echo.query) {
    if (k == "cursor") continue;
    out += sep + percent_encode(k) + "=" + percent_encode(v);
    sep = '&';
  }
  return out + sep + "cursor=" + percent_encode(next);
}

/// The representation without the members the binding marks as run-time state.
std::string stable_text(const Operation& op, const mi::Value& reply, const std::string& text) {
  const auto& ignored = op.binding->etag_ignores;
  if (ignored.empty() || !reply.is_object()) return text;
  std::string out;  // each kept member as "name":value, without copying the reply
  for (auto it = reply.begin(); it != reply.end(); ++it) {
    if (std::find(ignored.begin(), ignored.end(), it.key()) != ignored.end()) continue;
    out += it.key();
    out += ':';
    out += mi::to_compact_json(it.value());
    out += ',';
  }
  return out;
}

/// The ETag of a GET's reply (`text` is its JSON): the version member; or, with run-time
/// members, the two-part tag (stable digest . full digest); else a digest of the bytes.
std::string etag_for(const Operation& op, const mi::Value& reply, const std::string& text) {
  const mi::RestBinding& b = *op.binding;
  if (!b.etag_member.empty() && reply.is_object() && reply.contains(b.etag_member))
    return etag_of_version(reply[b.etag_member]);
  if (b.etag_ignores.empty() || !reply.is_object()) return etag_of(text);
  return two_part_etag(stable_text(op, reply, text), text);
}

/// Whether If-Match names the resource as it is now: its version, or the stable part of its
/// ETag (a change of run-time state is not a conflicting write).
bool if_match_holds(const Operation& op, const std::string& if_match, const mi::Value& reply) {
  const mi::RestBinding& b = *op.binding;
  std::string text = mi::to_compact_json(reply);
  if (!b.etag_member.empty() && reply.is_object() && reply.contains(b.etag_member))
    return etag_listed(if_match, etag_of_version(reply[b.etag_member]));
  return etag_listed_stable(if_match, etag_of(stable_text(op, reply, text)));
}

/// An MI error as REST answers it: a bad param points into the body (422) or names the query
/// or path param (400); everything else through the one table.
HttpReply error_reply(const Operation* op, const mi::Error& e) {
  if (!e.problems.empty()) {
    mi::Value errors = mi::Value::array();
    for (const auto& [pointer, detail] : e.problems)
      errors.push_back(mi::Value{{"pointer", pointer}, {"detail", detail}});
    return problem(e, std::move(errors));
  }
  if (e.kind == mi::ErrorKind::bad_param && !e.param.empty() && op &&
      find_param(*op->spec, e.param)) {
    if (mi::rest_source(*op->binding, e.param) == mi::RestSource::body)
      return validation_problem(e, mi::Value::array({pointer_problem(e.param, e.reason)}));
    return problem(e, mi::Value::array({parameter_problem(e.param, e.reason)}));
  }
  return problem(e);
}

/// The If-Match check, run by the dispatcher in the write's own step (see Request::precondition).
std::function<std::optional<mi::Error>()> if_match_check(const Operation& op, const HttpRequest& req,
                                                         std::string if_match, HttpReply* refusal) {
  const Operation& read = *op.read;
  auto bound = mi::bind_params(*read.spec, path_and_fixed(read, req));
  if (auto* e = std::get_if<mi::Error>(&bound)) {
    *refusal = error_reply(&read, *e);
    return {};
  }
  mi::Args args(read.spec, std::move(std::get<std::vector<mi::Value>>(bound)), req.caller);
  return [&read, args = std::move(args), if_match = std::move(if_match)]() -> std::optional<mi::Error> {
    mi::Result current = read.spec->handler(args);
    if (!current.ok()) return current.error();
    if (if_match_holds(read, if_match, current.value())) return std::nullopt;
    return mi::Error::failure(412, "Precondition Failed",
                              "the resource has changed since that ETag: GET it again");
  };
}

/// 200 with the representation and its ETag (a GET, or the resource after a PUT/PATCH).
/// `echo` (a GET's request): If-None-Match → 304, and the Link of a paged list.
HttpReply representation(const Operation& op, const mi::Value& value, const Echo* echo,
                         std::size_t max_reply) {
  std::string text = mi::to_compact_json(value);
  if (text.size() > max_reply)
    return problem(mi::Error::reply_too_large(text.size(), max_reply, "over http.max_reply"));
  std::string tag = etag_for(op, value, text);
  if (echo && !echo->if_none_match.empty() && etag_listed(echo->if_none_match, tag, true))
    return HttpReply{304, {}, {}, {{"ETag", tag}}};
  HttpReply r{200, kJson, std::move(text), {{"ETag", tag}}};
  if (echo && !op.binding->next_cursor.empty() && value.is_object()) {
    auto it = value.find(op.binding->next_cursor);
    if (it != value.end() && it->is_string() && !it->get<std::string>().empty())
      r.headers.emplace_back("Link", "<" + next_page(*echo, it->get<std::string>()) + ">; rel=\"next\"");
  }
  return r;
}

}  // namespace

mi::Value body_problems(const Operation& op, const mi::Value& body) {
  mi::Value problems = mi::Value::array();
  if (!op.binding->body_param.empty()) return problems;  // the command checks a whole document
  for (auto it = body.begin(); it != body.end(); ++it) {
    const mi::ParamSpec* p = find_param(*op.spec, it.key());
    if (!p || mi::rest_source(*op.binding, p->name) != mi::RestSource::body) {
      problems.push_back(pointer_problem(it.key(), "is not a member of this request"));
      continue;
    }
    if (std::string why = type_problem(*p, it.value()); !why.empty()) {
      problems.push_back(pointer_problem(it.key(), why));
      continue;
    }
    auto c = mi::coerce(*p, it.value());
    if (auto* why = std::get_if<std::string>(&c)) problems.push_back(pointer_problem(it.key(), *why));
  }
  for (const mi::ParamSpec& p : op.spec->params)
    if (p.required && mi::rest_source(*op.binding, p.name) == mi::RestSource::body &&
        !body.contains(p.name))
      problems.push_back(pointer_problem(p.name, "is required"));
  return problems;
}

std::optional<HttpReply> check_head(const Operation& op, const HttpRequest& req) {
  mi::Value problems = mi::Value::array();
  std::vector<std::string> seen;
  for (const auto& [key, value] : req.query_args()) {
    const mi::ParamSpec* p = find_param(*op.spec, key);
    if (!p || mi::rest_source(*op.binding, key) != mi::RestSource::query)
      problems.push_back(parameter_problem(key, "is not a parameter of this operation"));
    else if (std::find(seen.begin(), seen.end(), key) != seen.end())
      problems.push_back(parameter_problem(key, "is given twice"));
    seen.push_back(key);
  }
  if (!problems.empty())
    return problem(400, "the query string has parameters this operation does not take",
                   std::move(problems));
  if (op.binding->needs_if_match && !req.header("If-Match"))
    return problem(428, "this write needs If-Match with the resource's ETag (GET it first), or "
                        "If-Match: * to write whatever it is now");
  return std::nullopt;
}

void serve(const Operation& op, HttpRequest& req, HttpRespond respond, mi::Dispatcher& dispatcher,
           std::size_t max_reply) {
  mi::Value params = path_and_fixed(op, req);
  for (const auto& [key, value] : req.query_args()) params[key] = value;
  for (const auto& [name, value] : op.binding->defaults)
    if (!params.contains(name) && mi::rest_source(*op.binding, name) != mi::RestSource::body)
      params[name] = value;
  if (mi::rest_has_body(op.binding->method) && !req.body.empty()) {
    const char* ct = req.header("Content-Type");
    if (media_type(ct) != kJson) return respond(problem(415, "the body must be application/json"));
    const std::size_t max_depth = mi::decode_limits().max_nesting;
    if (mi::json_nesting(req.body, max_depth + 1) > max_depth)
      return respond(problem(400, fmt::format("the body is nested deeper than {} levels "
                                              "(core.max_nesting)", max_depth)));
    mi::Value body = mi::Value::parse(req.body, nullptr, false);
    if (body.is_discarded()) return respond(problem(400, "the body is not JSON"));
    if (!body.is_object())
      return respond(problem(422, "the body must be a JSON object",
                             mi::Value::array({mi::Value{{"pointer", ""}, {"detail", "must be an object"}}})));
    mi::Value problems = body_problems(op, body);
    if (const std::size_t n = problems.size(); n > 0)
      return respond(problem(422, fmt::format("the body has {} problem{}", n, n == 1 ? "" : "s"),
                             std::move(problems)));
    if (!op.binding->body_param.empty()) params[op.binding->body_param] = std::move(body);
    else
      for (auto it = body.begin(); it != body.end(); ++it) params[it.key()] = it.value();
    for (const auto& [name, value] : op.binding->defaults)
      if (!params.contains(name)) params[name] = value;
  } else if (mi::rest_has_body(op.binding->method)) {
    mi::Value problems = body_problems(op, mi::Value::object());
    if (!op.binding->body_param.empty())
      problems.push_back(mi::Value{{"pointer", ""}, {"detail", "a JSON object is required"}});
    if (!problems.empty())
      return respond(problem(422, "the body is missing", std::move(problems)));
  }

  mi::Request call{op.spec->name, params, req.caller, false, {}};
  if (op.binding->needs_if_match) {
    HttpReply refusal;
    call.precondition = if_match_check(op, req, req.header("If-Match"), &refusal);
    if (!call.precondition) return respond(std::move(refusal));
  }
  Echo echo{req.path, req.query_args(), req.header("If-None-Match") ? req.header("If-None-Match") : ""};
  dispatcher.call(std::move(call), [&op, &dispatcher, respond = std::move(respond), params,
                                    max_reply, caller = req.caller,
                                    echo = std::move(echo)](mi::Result res) mutable {
    if (!res.ok()) return respond(error_reply(&op, res.error()));
    const mi::RestBinding& b = *op.binding;
    if (b.status == 204) return respond(HttpReply{204, {}, {}, {}});
    if (b.method == "GET") return respond(representation(op, res.value(), &echo, max_reply));
    if (op.read && !b.answers_with_reply && (b.method == "PUT" || b.method == "PATCH")) {
      // Answer with the resource as it is now, and its new ETag. The write is committed: if
      // reading it back fails (shutting down, removed meanwhile), the write's own reply is the
      // answer, never an error for a write that happened.
      mi::Request read{op.read->spec->name, mi::Value::object(), caller, false, {}};
      for (const std::string& name : mi::rest::path_params(op.read->binding->path))
        if (params.contains(name)) read.params[name] = params[name];
      for (const auto& [name, value] : op.read->binding->fixed) read.params[name] = value;
      const Operation& r = *op.read;
      return dispatcher.call(std::move(read), [&r, respond, max_reply,
                                               written = std::move(res.value())](mi::Result now) {
        if (now.ok()) return respond(representation(r, now.value(), nullptr, max_reply));
        std::string text = mi::to_compact_json(written);
        if (text.size() > max_reply)
          return respond(problem(mi::Error::reply_too_large(text.size(), max_reply, "over http.max_reply")));
        respond(HttpReply{200, kJson, std::move(text), {}});
      });
    }
    std::string text = mi::to_compact_json(res.value());
    if (text.size() > max_reply)
      return respond(problem(mi::Error::reply_too_large(text.size(), max_reply, "over http.max_reply")));
    HttpReply r{static_cast<unsigned>(b.status), kJson, std::move(text), {}};
    if (b.status == 201) r.headers.emplace_back("Location", filled(b.location, params, res.value()));
    // A write that reports the version it made (config_import's revision): that is the ETag.
    if (op.read && !op.read->binding->etag_member.empty() && res.value().is_object() &&
        res.value().contains(op.read->binding->etag_member))
      r.headers.emplace_back("ETag", etag_of_version(res.value()[op.read->binding->etag_member]));
    respond(std::move(r));
  });
}

}  // namespace sb::transports::rest
