// http_component.h: the HTTP transport as a daemon component — its [http] keys (declared in
// http_component.cpp), their reading into an HttpConfig, the XML-RPC introspection commands,
// start and shutdown.
// Threading: as gateway::Component (main thread).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gateway/component/serving_component.h"
#include "transports/http/http_transport.h"

namespace sb::transports {

/// The [http] keys as an HttpConfig.
HttpConfig http_config(const gateway::Config& cfg);

/// Parses `user:password:role, …` (or `token:role, …` when `tokens`); on a malformed list
/// returns an empty vector and sets `why` (which never contains a secret).
std::vector<HttpCredential> parse_credentials(std::string_view text, bool tokens, std::string* why);

class HttpComponent final : public gateway::ServingComponent<HttpTransport> {
 public:
  std::string_view name() const override { return "http"; }
  void declare(gateway::ConfigSchema& schema) const override;
  void configure(const gateway::Config& cfg) override;
  /// system.listMethods, system.methodHelp, system.methodSignature (XML-RPC introspection).
  void register_commands(gateway::Runtime& rt) override;
  bool enabled() const override { return !config_.listen.empty(); }
  std::string describe() const override;
  /// The management API (_switchboard-mi._tcp) and the panel (_http._tcp, _https._tcp with TLS).
  std::vector<gateway::Announcement> announcements() const override;

 private:
  std::unique_ptr<HttpTransport> make(mi::Dispatcher& dispatcher) override;
  /// http.admin_token: the generated token joins the credentials.
  void add_admin_token();
  HttpConfig config_;
  bool admin_token_ = false;
  std::string db_path_;
  mi::EventBus* events_ = nullptr;
};

}  // namespace sb::transports
