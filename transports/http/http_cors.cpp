// http_cors.cpp: the CORS headers and the preflight answer.
#include "transports/http/http_cors.h"

#include <fmt/format.h>

#include "mi/strings.h"
#include "transports/net/printable.h"

namespace sb::transports {

std::optional<std::string> cors_origin(const char* origin_header, const HttpConfig& cfg) {
  if (!origin_header || cfg.allowed_origins.empty()) return std::nullopt;
  std::string origin = mi::lower(mi::trim(origin_header));
  for (const std::string& allowed : cfg.allowed_origins)
    if (mi::lower(allowed) == origin) return std::string(mi::trim(origin_header));
  return std::nullopt;
}

void add_cors_headers(HttpReply& reply, const std::string& origin) {
  reply.headers.emplace_back("Access-Control-Allow-Origin", origin);
  reply.headers.emplace_back("Access-Control-Allow-Credentials", "true");
  reply.headers.emplace_back("Access-Control-Expose-Headers", "ETag, Location, Link, Retry-After");
  reply.headers.emplace_back("Vary", "Origin");
}

bool is_preflight(std::string_view method, const char* origin, const char* request_method) {
  return method == "OPTIONS" && origin && request_method;
}

HttpReply preflight_reply(const char* origin, const std::vector<std::string>& methods,
                          const HttpConfig& cfg) {
  if (!cors_origin(origin, cfg))
    return text_reply(403, fmt::format("cross-origin request from '{}' refused: add it to "
                                       "http.allowed_origins", printable(origin, 100)));
  std::string allow;
  for (const std::string& m : methods) allow += (allow.empty() ? "" : ", ") + m;
  HttpReply r{204, {}, {}, {}};
  r.headers.emplace_back("Access-Control-Allow-Methods", allow);
  r.headers.emplace_back("Access-Control-Allow-Headers",
                         "Authorization, Content-Type, If-Match, If-None-Match");
  r.headers.emplace_back("Access-Control-Max-Age", "600");
  return r;
}

}  // namespace sb::transports
