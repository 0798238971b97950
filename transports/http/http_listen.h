// http_listen.h: what the HTTP host does before libmicrohttpd starts — refuse an exposure the
// configuration does not protect (a non-loopback address without credentials, Basic passwords
// off loopback without TLS), read the TLS certificate and key, and open the listening socket
// itself so that bind errors ("Address already in use") reach the operator verbatim.
// Threading: called once, from HttpHost::start() (main thread). Errors are HttpError.
#pragma once

#include <string>

#include "transports/http/http_config.h"
#include "transports/net/address.h"

namespace sb::transports {

/// Throws HttpError when listening on `addr` with `cfg` would expose commands or passwords.
void check_exposure(const HttpConfig& cfg, const SocketAddress& addr);

struct TlsFiles {
  std::string cert_pem, key_pem;
};
/// Reads http.tls_cert and http.tls_key (both or neither; empty files when neither is set).
TlsFiles read_tls_files(const HttpConfig& cfg);

/// A non-blocking, close-on-exec TCP socket listening on `addr` (SO_REUSEADDR; IPv6 only for
/// an IPv6 address). `what` is the configured address, for errors
/// ("http: cannot listen on 127.0.0.1:8080: Address already in use").
int listen_socket(const SocketAddress& addr, const std::string& what);

}  // namespace sb::transports
