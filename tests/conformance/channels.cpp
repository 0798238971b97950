// channels.cpp: send one Call over each transport of the real daemon and decode the answer.
#include "conformance/channels.h"

#include <cstdio>

#include "support/xmlrpc_response.h"
#include "transports/datagram/datagram_client.h"
#include "transports/fifo/fifo_client.h"
#include "transports/http/http_client.h"

namespace sb::conformance {

namespace {

Outcome fail(std::string why) {
  Outcome o;
  o.transport_error = std::move(why);
  return o;
}

// `<code> <reason>\n<body>\n` (tree) or `<code> <reason>\n` (transport-level error).
Outcome decode_text(const std::string& reply) {
  auto nl = reply.find('\n');
  if (nl == std::string::npos || nl < 3) return fail("malformed text reply: " + reply.substr(0, 80));
  Outcome o;
  o.transport_ok = true;
  o.status_line = reply.substr(0, nl);
  o.code = std::atoi(o.status_line.c_str());
  o.message = o.status_line.size() > 4 ? o.status_line.substr(4) : "";
  o.ok = o.code >= 200 && o.code < 300;
  std::string body = reply.substr(nl + 1);
  if (!body.empty() && body.back() == '\n') body.pop_back();  // the terminating empty line
  o.text_body = body;
  return o;
}

Outcome decode_jsonrpc(const std::string& reply) {
  Json j = Json::parse(reply, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail("not a JSON-RPC object: " + reply.substr(0, 80));
  Outcome o;
  o.transport_ok = true;
  if (j.contains("result")) {
    o.ok = true;
    o.value = j["result"];
  } else if (j.contains("error") && j["error"].is_object()) {
    o.code = j["error"].value("code", 0);
    o.message = j["error"].value("message", "");
  } else {
    return fail("neither result nor error: " + reply.substr(0, 80));
  }
  return o;
}

std::string jsonrpc_request(const Call& c) {
  Json req = {{"jsonrpc", "2.0"}, {"method", c.method}, {"id", 1}};
  if (!c.params.empty()) req["params"] = c.params;
  return req.dump();
}

std::string url_encode(const std::string& s) {
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", ch);
      out += buf;
    }
  }
  return out;
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out += ch;
    }
  }
  return out;
}

Outcome decode_xmlrpc(const std::string& xml) {
  Json r;
  try {
    r = test::parse_xmlrpc_response(xml);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  Outcome o;
  o.transport_ok = true;
  if (r.contains("ok")) {
    o.ok = true;
    o.value = r["ok"];
  } else {
    o.code = r["faultCode"].get<int>();
    o.message = r["faultString"].get<std::string>();
  }
  return o;
}

client::HttpClientOptions http_options(const test::TestDaemon& d) {
  client::HttpClientOptions o;
  o.port = d.http_port();
  o.timeout = std::chrono::seconds(20);
  return o;
}

}  // namespace

std::vector<Channel> all_channels(const test::TestDaemon& d) {
  std::vector<Channel> out;
  const test::TestDaemon* dp = &d;

  out.push_back({"fifo text", Family::text, [dp](const Call& c) {
                   auto r = dp->call([&](const std::string& reply) {
                     return client::text_request(c.method, c.params, reply);
                   });
                   return r.ok ? decode_text(r.text) : fail(r.error);
                 }});
  out.push_back({"fifo json", Family::jsonrpc, [dp](const Call& c) {
                   auto r = dp->call([&](const std::string& reply) {
                     return client::json_request(jsonrpc_request(c), reply);
                   });
                   return r.ok ? decode_jsonrpc(r.text) : fail(r.error);
                 }});
  for (bool unix_socket : {true, false}) {
    client::DatagramClientOptions o;
    if (unix_socket) {
      o.unix_path = d.unix_socket();
      o.client_dir = d.dir();
    } else {
      o.udp = "127.0.0.1:" + std::to_string(d.udp_port());
    }
    std::string where = unix_socket ? "unix" : "udp";
    out.push_back({"datagram text " + where, Family::text, [o](const Call& c) {
                     std::vector<std::string> params = c.params;
                     for (auto& p : params)
                       if (p.empty()) p = ".";
                     auto r = client::datagram_call(o, client::datagram_text_request(c.method, params));
                     return r.ok ? decode_text(r.text) : fail(r.error);
                   }});
    out.push_back({"datagram json " + where, Family::jsonrpc, [o](const Call& c) {
                     auto r = client::datagram_call(o, jsonrpc_request(c));
                     return r.ok ? decode_jsonrpc(r.text) : fail(r.error);
                   }});
  }
  auto http = http_options(d);
  out.push_back({"http jsonrpc", Family::jsonrpc, [http](const Call& c) {
                   auto r = client::http_post(http, "/mi", jsonrpc_request(c));
                   if (!r.ok) return fail(r.error);
                   if (r.status != 200) return fail("HTTP status " + std::to_string(r.status));
                   return decode_jsonrpc(r.body);
                 }});
  out.push_back({"http mi_json", Family::mi_json, [http](const Call& c) {
                   std::string target = "/json/" + url_encode(c.method);
                   if (!c.params.empty()) {
                     std::string joined;
                     for (std::size_t i = 0; i < c.params.size(); ++i)
                       joined += (i ? "," : "") + c.params[i];
                     target += "?params=" + url_encode(joined);
                   }
                   // POST: the table holds state-changing commands too, and GET runs only
                   // read-only ones (http.json_get_writes off); same params, same reply.
                   auto r = client::http_post(http, target, "", "");
                   if (!r.ok) return fail(r.error);
                   if (r.status != 200) return fail("HTTP status " + std::to_string(r.status));
                   Json j = Json::parse(r.body, nullptr, false);
                   if (j.is_discarded()) return fail("mi_json body is not JSON: " + r.body.substr(0, 80));
                   Outcome o;
                   o.transport_ok = true;
                   if (j.is_object() && j.size() == 1 && j.contains("error") && j["error"].is_object()) {
                     o.code = j["error"].value("code", 0);
                     o.message = j["error"].value("message", "");
                   } else {
                     o.ok = true;
                     o.value = j;
                   }
                   return o;
                 }});
  out.push_back({"http xmlrpc", Family::xmlrpc, [http](const Call& c) {
                   std::string xml = "<?xml version=\"1.0\"?><methodCall><methodName>" +
                                     xml_escape(c.method) + "</methodName><params>";
                   for (const auto& p : c.params)
                     xml += "<param><value><string>" + xml_escape(p) + "</string></value></param>";
                   xml += "</params></methodCall>";
                   auto r = client::http_post(http, "/RPC2", xml, "text/xml");
                   if (!r.ok) return fail(r.error);
                   if (r.status != 200) return fail("HTTP status " + std::to_string(r.status));
                   return decode_xmlrpc(r.body);
                 }});
  return out;
}

}  // namespace sb::conformance
