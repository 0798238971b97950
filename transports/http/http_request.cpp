// http_request.cpp: what a route reads of its request (headers, query string) and the
// client's address, from libmicrohttpd's connection.
// Threading: on the MHD thread serving the request, while the request is being handled.
#include "transports/http/http_host.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "transports/http/http_request_checks.h"
#include "transports/http/mhd.h"
#include "transports/net/address.h"
#include "transports/net/auth_throttle.h"

namespace sb::transports {

std::string client_address(MHD_Connection* conn) {
  const MHD_ConnectionInfo* ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (!ci || !ci->client_addr) return "?";
  SocketAddress a;
  std::size_t len = ci->client_addr->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  std::memcpy(&a.storage, ci->client_addr, len);
  a.length = static_cast<socklen_t>(len);
  return a.to_string();
}

/// The address part of the client's socket address (what per-IP limits count by).
std::string client_ip(MHD_Connection* conn) { return address_of(client_address(conn)); }

HttpReply text_reply(unsigned status, std::string body) {
  return HttpReply{status, "text/plain; charset=utf-8", std::move(body) + "\n", {}};
}

const char* HttpRequest::header(const char* name) const {
  return conn_ ? MHD_lookup_connection_value(conn_, MHD_HEADER_KIND, name) : nullptr;
}

const char* HttpRequest::query(const char* name) const {
  return conn_ ? MHD_lookup_connection_value(conn_, MHD_GET_ARGUMENT_KIND, name) : nullptr;
}

std::vector<std::pair<std::string, std::string>> HttpRequest::query_args() const {
  std::vector<std::pair<std::string, std::string>> out;
  if (!conn_) return out;
  MHD_get_connection_values(
      conn_, MHD_GET_ARGUMENT_KIND,
      [](void* cls, MHD_ValueKind, const char* key, const char* value) -> MhdResult {
        static_cast<std::vector<std::pair<std::string, std::string>>*>(cls)->emplace_back(
            key ? key : "", value ? value : "");
        return MHD_YES;
      },
      &out);
  return out;
}

}  // namespace sb::transports
