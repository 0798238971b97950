// sbctl_transport.cpp: one request over the chosen transport.
#include "sbctl_transport.h"

#include <strings.h>

#include <nlohmann/json.hpp>

#include "mi/error.h"
#include "mi/render/text.h"
#include "transports/datagram/datagram_client.h"
#include "transports/fifo/fifo_client.h"
#include "transports/http/http_client.h"

namespace sbctl {

namespace {

using Json = nlohmann::ordered_json;

struct Url {
  std::string host;
  int port = 0;
  std::string path;
};

// http://host[:port][/path]; [v6] hosts allowed. https is refused (sbctl has no TLS client).
bool parse_url(const std::string& url, Url& out, std::string& why) {
  const std::string scheme = "http://";
  if (url.rfind("https://", 0) == 0) {
    why = "https URLs are not supported by sbctl (use curl for TLS)";
    return false;
  }
  if (url.rfind(scheme, 0) != 0) {
    why = "URL '" + url + "' does not start with http://";
    return false;
  }
  std::string rest = url.substr(scheme.size());
  auto slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  out.path = slash == std::string::npos ? "/mi" : rest.substr(slash);
  std::string port_text = "80";
  if (!hostport.empty() && hostport.front() == '[') {
    auto close = hostport.find(']');
    if (close == std::string::npos) {
      why = "URL '" + url + "' has an unterminated [ipv6] host";
      return false;
    }
    out.host = hostport.substr(1, close - 1);
    if (close + 1 < hostport.size() && hostport[close + 1] == ':') port_text = hostport.substr(close + 2);
  } else if (auto colon = hostport.rfind(':'); colon != std::string::npos) {
    out.host = hostport.substr(0, colon);
    port_text = hostport.substr(colon + 1);
  } else {
    out.host = hostport;
  }
  char* end = nullptr;
  long port = std::strtol(port_text.c_str(), &end, 10);
  if (out.host.empty() || port_text.empty() || *end != '\0' || port <= 0 || port > 65535) {
    why = "URL '" + url + "' has no valid host:port";
    return false;
  }
  out.port = static_cast<int>(port);
  return true;
}

sb::client::FifoClientOptions fifo_options(const Endpoint& e) {
  sb::client::FifoClientOptions o;
  o.fifo = e.fifo;
  o.reply_dir = e.reply_dir;
  o.timeout = e.timeout;
  o.signal_cleanup = true;
  return o;
}

sb::client::DatagramClientOptions datagram_options(const Endpoint& e) {
  sb::client::DatagramClientOptions o;
  if (e.transport == "dgram") o.unix_path = e.socket;
  else o.udp = e.udp;
  o.timeout = e.timeout;
  o.signal_cleanup = true;
  return o;
}

Exchange http_post(const Endpoint& e, const std::string& body) {
  Url url;
  std::string why;
  if (!parse_url(e.url, url, why)) return {false, {}, why};
  sb::client::HttpClientOptions o;
  o.host = url.host;
  o.port = url.port;
  o.timeout = e.timeout;
  if (auto colon = e.user.find(':'); !e.user.empty()) {
    o.basic_user = e.user.substr(0, colon);
    o.basic_password = colon == std::string::npos ? "" : e.user.substr(colon + 1);
  }
  o.bearer_token = e.token;
  auto r = sb::client::http_post(o, url.path, body);
  if (!r.ok) return {false, {}, r.error};
  if (r.status == 401) return {false, {}, "401 Unauthorized: give --user USER:PASSWORD or --token"};
  if (r.status == 202) return {true, "", {}};
  if (r.status != 200)
    return {false, {}, "HTTP " + std::to_string(r.status) + " from " + e.url + ": " + r.body.substr(0, 200)};
  return {true, r.body, {}};
}

std::string jsonrpc_body(const std::string& command, const Json& params) {
  Json req = {{"jsonrpc", "2.0"}, {"method", command}};
  if (!params.empty()) req["params"] = params;
  req["id"] = 1;
  return req.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

std::string check_endpoint(const Endpoint& e) {
  if (e.transport != "fifo" && e.transport != "dgram" && e.transport != "udp" && e.transport != "http")
    return "unknown transport '" + e.transport + "' (fifo, dgram, udp or http)";
  if (e.transport == "http") {
    Url url;
    std::string why;
    if (!parse_url(e.url, url, why)) return why;
  }
  return {};
}

Exchange send_json(const Endpoint& e, const std::string& body);

namespace {

/// A JSON-RPC reply rendered as the text dialect would have answered (status line + body).
Exchange json_reply_as_text(const Exchange& x, const std::string& command) {
  if (!x.ok) return x;
  Json reply = Json::parse(x.text, nullptr, false);
  if (reply.is_discarded() || !reply.is_object())
    return {false, {}, "malformed JSON-RPC reply from switchboard"};
  if (auto it = reply.find("result"); it != reply.end()) {
    // t_uac_dlg's text form carries the SIP final status on the status line (as over the FIFO).
    if (strcasecmp(command.c_str(), "t_uac_dlg") == 0 && it->is_object() && it->contains("Status"))
      return {true, sb::mi::render_uac_reply_text(*it), {}};
    return {true, sb::mi::render_text(sb::mi::Result(*it)), {}};
  }
  const Json err = reply.value("error", Json::object());
  auto text_of = [&](const char* key) {
    auto it = err.find(key);
    return it != err.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto code = err.find("code");
  int number = code != err.end() && code->is_number_integer() ? code->get<int>() : 500;
  sb::mi::Error back = sb::mi::error_from_jsonrpc(number, text_of("message"), text_of("data"), command);
  return {true, sb::mi::render_text(back), {}};
}

bool one_line_each(const std::vector<std::string>& params) {
  for (const auto& p : params)
    if (p.find_first_of("\r\n") != std::string::npos) return false;
  return true;
}

}  // namespace

Exchange send_text(const Endpoint& e, const std::string& command,
                   const std::vector<std::string>& params) {
  // A param with a line break cannot be one line of the text dialect (t_uac_dlg headers):
  // such a request, and every HTTP request, goes as JSON-RPC with positional strings (the
  // daemon coerces them as it does for text) and the reply is rendered as text.
  if (e.transport != "http" && one_line_each(params)) {
    if (e.transport == "fifo") {
      auto o = fifo_options(e);
      auto r = sb::client::fifo_call(o, [&](const std::string& reply) {
        return sb::client::text_request(command, params, reply);
      });
      return {r.ok, r.text, r.error};
    }
    if (e.transport == "dgram" || e.transport == "udp") {
      auto r = sb::client::datagram_call(datagram_options(e),
                                         sb::client::datagram_text_request(command, params));
      return {r.ok, r.text, r.error};
    }
  }
  std::vector<std::string> wire = params;
  for (auto& p : wire)
    if (p == ".") p.clear();  // the text dialect's "empty value"
  return json_reply_as_text(send_json(e, jsonrpc_body(command, Json(wire))), command);
}

Exchange send_json(const Endpoint& e, const std::string& body) {
  if (e.transport == "fifo") {
    auto o = fifo_options(e);
    auto r = sb::client::fifo_call(o, [&](const std::string& reply) {
      return sb::client::json_request(body, reply);
    });
    return {r.ok, r.text, r.error};
  }
  if (e.transport == "dgram" || e.transport == "udp") {
    auto r = sb::client::datagram_call(datagram_options(e), body);
    return {r.ok, r.text, r.error};
  }
  return http_post(e, body);
}

void cleanup_on_signal() noexcept {
  sb::client::unlink_active_reply_fifo();
  sb::client::unlink_active_client_socket();
}

}  // namespace sbctl
