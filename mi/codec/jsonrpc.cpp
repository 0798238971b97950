// jsonrpc.cpp: JSON-RPC 2.0 request validation and reply rendering.
#include "mi/codec/jsonrpc.h"

#include <fmt/format.h>

#include "mi/codec/limits.h"

namespace sb::mi {

namespace {

JsonRpcItem decode_item(const Value& j) {
  JsonRpcItem item;
  if (!j.is_object()) {
    item.error = Error::invalid_request("a request must be a JSON object");
    return item;
  }
  auto id = j.find("id");
  if (id == j.end()) {
    item.notification = true;
  } else if (id->is_string() || id->is_number() || id->is_null()) {
    item.id = *id;
  } else {
    item.error = Error::invalid_request("'id' must be a string, a number or null");
    return item;
  }
  auto ver = j.find("jsonrpc");
  if (ver == j.end() || !ver->is_string() || ver->get<std::string>() != "2.0") {
    item.error = Error::invalid_request("'jsonrpc' must be \"2.0\"");
    return item;
  }
  auto method = j.find("method");
  if (method == j.end() || !method->is_string() || method->get<std::string>().empty()) {
    item.error = Error::invalid_request("'method' must be a non-empty string");
    return item;
  }
  item.request.method = method->get<std::string>();
  auto params = j.find("params");
  if (params != j.end()) {
    if (params->is_array() || params->is_object()) {
      if (!params->empty()) item.request.params = *params;
    } else if (!params->is_null()) {
      item.error = Error::invalid_request("'params' must be an array or an object");
      return item;
    }
  }
  return item;
}

}  // namespace

JsonRpcMessage decode_jsonrpc(std::string_view text) {
  JsonRpcMessage msg;
  const DecodeLimits limits = decode_limits();
  // Before nlohmann builds (and later copies, recursively) a tree of it.
  if (json_nesting(text, limits.max_nesting + 1) > limits.max_nesting) {
    msg.error = Error::invalid_request(fmt::format(
        "JSON nested deeper than {} levels (core.max_nesting)", limits.max_nesting));
    return msg;
  }
  Value j = Value::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) {
    msg.error = Error::parse_error("the request is not valid JSON");
    return msg;
  }
  if (j.is_array()) {
    msg.batch = true;
    if (j.empty()) {
      msg.error = Error::invalid_request("empty batch");
      return msg;
    }
    if (j.size() > limits.max_batch) {
      msg.error = Error::invalid_request(fmt::format(
          "a batch of {} requests is over the limit of {} (core.max_batch)", j.size(),
          limits.max_batch));
      return msg;
    }
    for (const Value& el : j) msg.items.push_back(decode_item(el));
    return msg;
  }
  msg.items.push_back(decode_item(j));
  return msg;
}

std::string render_jsonrpc(const Result& r, const Value& id) {
  if (r.ok()) {
    // The envelope around the result's own text: the same bytes as dumping one object holding
    // a copy of the result, without copying the result's tree (a third of a small request's
    // rendering time).
    std::string out;
    out.reserve(256);
    out += "{\"jsonrpc\":\"2.0\",\"result\":";
    append_compact_json(out, r.value());
    out += ",\"id\":";
    append_compact_json(out, id);
    out += '}';
    return out;
  }
  Value out = Value::object();
  out["jsonrpc"] = "2.0";
  JsonRpcError e = jsonrpc_error(r.error());
  Value err = Value::object();
  err["code"] = e.code;
  err["message"] = e.message;
  if (!e.data.empty()) err["data"] = e.data;
  out["error"] = std::move(err);
  out["id"] = id;
  return to_compact_json(out);
}

std::string render_jsonrpc_batch(const std::vector<std::string>& replies) {
  if (replies.empty()) return {};
  std::string out = "[";
  for (std::size_t i = 0; i < replies.size(); ++i) {
    if (i) out += ',';
    out += replies[i];
  }
  out += ']';
  return out;
}

}  // namespace sb::mi
