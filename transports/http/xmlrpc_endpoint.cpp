// xmlrpc_endpoint.cpp: POST /RPC2 — decode (mi/codec/xmlrpc), answer the system.* methods from
// the Registry, dispatch everything else as an MI command, encode the one reply.
//
// Introspection choices:
//  - system.listMethods: every non-hidden command by its plain name (registration order, as
//    `which` lists them), then the four system.* methods.
//  - system.methodHelp(name): the summary, the description if any, then one line per param
//    ("  text (string): the text to echo", optional ones marked).
//  - system.methodSignature(name): one signature per accepted parameter prefix (the required
//    params, then each optional one added), each [return type, param types…] with XML-RPC type
//    names (string, int, boolean, double, array). MI results are untyped Values, so the return
//    type is always "struct" (most commands answer a struct; print/which answer a string/array).
//  - an unknown name → fault -32601 (the mapping table's unknown-command row); a hidden command
//    is not listed but still described (it is still callable).
// system.multicall (the de-facto spec, as Python's xmlrpc.client.MultiCall sends it): one array
// of {methodName, params} structs; every call is dispatched at once (they run concurrently); the
// answer is an array with [result] for each success and {faultCode, faultString} for each
// failure, in call order. A nested system.multicall is a -32600 fault for that item; the other
// system.* methods work inside a multicall.
#include "transports/http/xmlrpc_endpoint.h"

#include "mi/reply_schema.h"

#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "mi/codec/limits.h"
#include "mi/codec/xmlrpc.h"

namespace sb::transports {

namespace {

using mi::Error;
using mi::ParamType;
using mi::Result;
using mi::Value;

constexpr std::string_view kListMethods = "system.listMethods";
constexpr std::string_view kMethodHelp = "system.methodHelp";
constexpr std::string_view kMethodSignature = "system.methodSignature";
constexpr std::string_view kMulticall = "system.multicall";

struct SystemMethod {
  std::string_view name;
  std::string_view help;
  std::vector<std::vector<std::string_view>> signatures;
};

const std::vector<SystemMethod>& system_methods() {
  static const std::vector<SystemMethod> methods = {
      {kListMethods, "Return an array of the names of every method this server offers.",
       {{"array"}}},
      {kMethodHelp, "Return the help text of a method (its summary and parameters).",
       {{"string", "string"}}},
      {kMethodSignature,
       "Return the signatures a method accepts: an array of [return type, param types...] "
       "arrays, one per accepted parameter count.",
       {{"array", "string"}}},
      {kMulticall,
       "Run several calls in one request: takes an array of {methodName, params} structs, "
       "returns an array holding [result] or a {faultCode, faultString} struct per call.",
       {{"array", "array"}}},
  };
  return methods;
}

const SystemMethod* find_system(std::string_view name) {
  for (const SystemMethod& m : system_methods())
    if (m.name == name) return &m;
  return nullptr;
}

std::string_view xmlrpc_type(ParamType t) {
  switch (t) {
    case ParamType::string_: return "string";
    case ParamType::int_: return "int";
    case ParamType::bool_: return "boolean";
    case ParamType::double_: return "double";
    case ParamType::array_: return "array";
    case ParamType::uint_: return "int";
    case ParamType::object_: return "struct";
  }
  return "string";
}

/// The params as a list: none → empty, array → its items, named (object) → its values in order.
std::vector<Value> positional(const Value& params) {
  std::vector<Value> out;
  if (params.is_array() || params.is_object())
    for (const Value& v : params) out.push_back(v);
  return out;
}

/// The one string param of system.methodHelp / system.methodSignature, or the error.
std::variant<std::string, Error> name_param(std::string_view method, const Value& params) {
  std::vector<Value> list = positional(params);
  if (list.size() != 1)
    return Error::arity(fmt::format("{} takes 1 parameter (a method name), {} given", method,
                                    list.size()));
  if (!list[0].is_string()) return Error::bad_param("method_name", "expected a string");
  return list[0].get<std::string>();
}

Result list_methods(const mi::Registry& registry, const Value& params) {
  if (!positional(params).empty())
    return Error::arity(fmt::format("{} takes no parameters", kListMethods));
  Value out = Value::array();
  for (const mi::CommandSpec* s : registry.all())
    if (!s->has(mi::kHidden)) out.push_back(s->name);
  for (const SystemMethod& m : system_methods()) out.push_back(std::string(m.name));
  return out;
}

Result method_help(const mi::Registry& registry, const Value& params) {
  auto name = name_param(kMethodHelp, params);
  if (auto* e = std::get_if<Error>(&name)) return *e;
  const std::string& n = std::get<std::string>(name);
  if (const SystemMethod* m = find_system(n)) return Value(std::string(m->help));
  const mi::CommandSpec* spec = registry.find(n);
  if (!spec) return Error::unknown_command(n);
  std::string text = spec->summary;
  if (!spec->description.empty()) text += "\n" + spec->description;
  if (spec->params.empty()) {
    text += "\nParameters: none";
  } else {
    text += "\nParameters:";
    for (const mi::ParamSpec& p : spec->params) {
      text += fmt::format("\n  {} ({}", p.name, xmlrpc_type(p.type));
      if (!p.required) {
        text += ", optional";
        if (!p.default_value.is_null()) text += ", default " + mi::to_compact_json(p.default_value);
      }
      text += "): " + p.help;
    }
  }
  return Value(std::move(text));
}

Result method_signature(const mi::Registry& registry, const Value& params) {
  auto name = name_param(kMethodSignature, params);
  if (auto* e = std::get_if<Error>(&name)) return *e;
  const std::string& n = std::get<std::string>(name);
  Value out = Value::array();
  if (const SystemMethod* m = find_system(n)) {
    for (const auto& sig : m->signatures) {
      Value s = Value::array();
      for (std::string_view t : sig) s.push_back(std::string(t));
      out.push_back(std::move(s));
    }
    return out;
  }
  const mi::CommandSpec* spec = registry.find(n);
  if (!spec) return Error::unknown_command(n);
  // The first element is the return type, from the command's declared reply schema.
  Value sig = Value::array({mi::schema::xmlrpc_type(spec->reply)});
  const std::size_t required = spec->required_count();
  for (std::size_t i = 0; i <= spec->params.size(); ++i) {
    if (i >= required) out.push_back(sig);
    if (i < spec->params.size()) sig.push_back(std::string(xmlrpc_type(spec->params[i].type)));
  }
  return out;
}


/// One multicall item's entry: [result] or {faultCode, faultString}.
Value multicall_entry(const Result& r) {
  if (!r.ok()) return mi::xmlrpc_fault_value(r.error());
  Value one = Value::array();
  one.push_back(r.value());
  return one;
}

/// Gathers the entries of one system.multicall; the last call to finish sends the reply.
struct Multicall {
  std::mutex mu;
  std::vector<Value> entries;
  std::size_t remaining = 0;
  std::function<void(std::string)> done;

  void set(std::size_t i, Value entry) {
    {
      std::lock_guard lk(mu);
      entries[i] = std::move(entry);
      if (--remaining > 0) return;
    }
    Value all = Value::array();
    for (Value& e : entries) all.push_back(std::move(e));
    done(mi::render_xmlrpc(Result(std::move(all))));
  }
};

/// The call an item of a multicall describes, or the fault to answer for it.
std::variant<mi::Request, Error> multicall_item(const Value& item) {
  if (!item.is_object())
    return Error::invalid_request("a system.multicall item must be a struct {methodName, params}");
  auto name = item.find("methodName");
  if (name == item.end() || !name->is_string() || name->get<std::string>().empty())
    return Error::invalid_request("a system.multicall item needs a non-empty string methodName");
  mi::Request req;
  req.method = name->get<std::string>();
  if (req.method == kMulticall) return Error::invalid_request("system.multicall cannot be nested");
  auto params = item.find("params");
  if (params != item.end() && !params->is_null()) {
    if (!params->is_array())
      return Error::invalid_request("the params of a system.multicall item must be an array");
    // The same rule as a top-level call: one struct = named params.
    if (params->size() == 1 && (*params)[0].is_object()) {
      if (!(*params)[0].empty()) req.params = (*params)[0];
    } else if (!params->empty()) {
      req.params = *params;
    }
  }
  return req;
}

void multicall(mi::Dispatcher& dispatcher, const Value& params, const mi::Caller& caller,
               std::function<void(std::string)> done) {
  std::vector<Value> list = positional(params);
  if (list.size() != 1 || !list[0].is_array()) {
    done(mi::render_xmlrpc(Error::arity(
        "system.multicall takes 1 parameter: an array of {methodName, params} structs")));
    return;
  }
  const Value& calls = list[0];
  if (const std::size_t max = mi::decode_limits().max_batch; calls.size() > max) {
    done(mi::render_xmlrpc(Error::invalid_request(fmt::format(
        "a system.multicall of {} calls is over the limit of {} (core.max_batch)", calls.size(), max))));
    return;
  }
  if (calls.empty()) {
    done(mi::render_xmlrpc(Result(Value::array())));
    return;
  }
  auto state = std::make_shared<Multicall>();
  state->entries.resize(calls.size());
  state->remaining = calls.size();
  state->done = std::move(done);
  for (std::size_t i = 0; i < calls.size(); ++i) {
    std::optional<Value> entry;  // answered here, without the dispatcher
    mi::Request req;
    try {
      auto item = multicall_item(calls[i]);
      if (auto* e = std::get_if<Error>(&item)) {
        entry = mi::xmlrpc_fault_value(*e);
      } else {
        req = std::move(std::get<mi::Request>(item));
      }
    } catch (const std::exception& ex) {
      entry = mi::xmlrpc_fault_value(Error::failure(500, "Internal server error", ex.what()));
    }
    if (entry) {
      state->set(i, std::move(*entry));
      continue;
    }
    req.caller = caller;
    dispatcher.call(std::move(req), [state, i](Result r) { state->set(i, multicall_entry(r)); });
  }
}

}  // namespace

void register_xmlrpc_commands(mi::Registry& registry) {
  const mi::Registry* reg = &registry;
  const unsigned flags = mi::kReadOnly | mi::kHidden | mi::kInline;
  registry.add({.name = std::string(kListMethods), .module = "xmlrpc",
                .summary = "List every method (XML-RPC introspection)",
                .flags = flags,
                .reply = mi::schema::array_of(mi::schema::str()),
                .handler = [reg](const mi::Args&) { return list_methods(*reg, Value()); }});
  registry.add({.name = std::string(kMethodHelp), .module = "xmlrpc",
                .summary = "Show a method's help text (XML-RPC introspection)",
                .params = {mi::param("method_name", ParamType::string_, "the method to describe")},
                .flags = flags,
                .reply = mi::schema::str(),
                .handler = [reg](const mi::Args& a) {
                  return method_help(*reg, Value::array({a.str("method_name")}));
                }});
  registry.add({.name = std::string(kMethodSignature), .module = "xmlrpc",
                .summary = "Show the signatures a method accepts (XML-RPC introspection)",
                .params = {mi::param("method_name", ParamType::string_, "the method to describe")},
                .flags = flags,
                .reply = mi::schema::array_of(mi::schema::array_of(mi::schema::str()),
                                              "[return type, param types…] per accepted prefix"),
                .handler = [reg](const mi::Args& a) {
                  return method_signature(*reg, Value::array({a.str("method_name")}));
                }});
}

void handle_xmlrpc(mi::Dispatcher& dispatcher, std::string_view body, const mi::Caller& caller,
                   std::function<void(std::string xml)> done) {
  mi::XmlRpcCall call;
  std::optional<Result> immediate;
  try {
    call = mi::decode_xmlrpc_call(body);
    if (call.error) immediate = Result(*call.error);
  } catch (const std::exception& ex) {
    immediate = Result(Error::failure(500, "Internal server error", ex.what()));
  }
  if (immediate) {
    done(mi::render_xmlrpc(*immediate));
    return;
  }
  if (call.method == kMulticall) {
    multicall(dispatcher, call.params, caller, std::move(done));
    return;
  }
  mi::Request req{std::move(call.method), std::move(call.params), caller};
  dispatcher.call(std::move(req),
                  [done = std::move(done)](Result r) { done(mi::render_xmlrpc(r)); });
}

}  // namespace sb::transports
