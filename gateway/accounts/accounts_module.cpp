// accounts_module.cpp: the accounts engine module and its [accounts] configuration keys, documented as
// conf/switchboard.conf shows them (that file is generated from these declarations).
#include "gateway/sip/sofia.h"  // first: sofia's magic types

#include "gateway/accounts/accounts_commands.h"

#include "gateway/accounts/accounts_module.h"

#include <stdexcept>
#include <string>

namespace sb::gateway {

namespace {

// clang-format off
const ConfigSection kAccountsSection = {
    .name = "accounts",
    .keys = {
     {.section = "accounts", .key = "retry_min_s", .type = KeyType::integer, .default_value = "30",
      .help = "Seconds before the first retry of a failed outbound registration (then doubling).",
      .min = 1, .max = 3600, .at_most = "accounts.retry_max_s",
      .doc = "Outbound registrations of the SIP accounts (account_add ... register on). A failed REGISTER\n"
             "(4xx-6xx, no response, transport error, wrong credentials) is retried after retry_min_s\n"
             "seconds, the delay doubling after every further failure up to retry_max_s; a Retry-After in\n"
             "the reply is honoured instead. A registered binding is refreshed at 90 % of the expiry the\n"
             "registrar granted, and removed (Expires: 0) at a graceful shutdown, within\n"
             "core.shutdown_timeout_ms. Seconds, 1..3600 and 1..86400; retry_max_s >= retry_min_s.\n"
             "Defaults: 30 and 300."},
     {.section = "accounts", .key = "retry_max_s", .type = KeyType::integer, .default_value = "300",
      .help = "Longest delay between two retries of a failed outbound registration, in seconds.",
      .min = 1, .max = 86'400},
    },
    .outro = {
        "Inbound calls are matched to an account (account_add ... matchtype) by the packet's real\n"
        "source address and port, never by the Via header the sender wrote. matchtype to_user trusts\n"
        "the network: any host that can reach the SIP port and sends the account's user name in To is\n"
        "taken for that trunk; use it only when a firewall lets the provider alone reach the port. A\n"
        "WARN is logged for every to_user account when it is loaded, added or updated.",
    },
};
// clang-format on

}  // namespace

AccountsConfig accounts_config(const Config& cfg) {
  AccountsConfig c;
  c.retry_min_s = static_cast<int>(cfg.get_int("accounts.retry_min_s"));
  c.retry_max_s = static_cast<int>(cfg.get_int("accounts.retry_max_s"));
  return c;
}

namespace {

class AccountsModule final : public EngineModule {
 public:
  std::string_view name() const override { return "accounts"; }
  const ConfigSection* config_section() const override { return &kAccountsSection; }
  void configure(const Config& cfg) override { config_ = accounts_config(cfg); }
  void register_commands(mi::Registry& registry, const SipServices& services) override {
    register_accounts_commands(registry, services);
    reg_state_ = &declare_registration_events(registry.events());
  }
  void build(EngineContext& ctx) override {
    accounts_ = std::make_unique<Accounts>(*ctx.services.db, *ctx.services.sip, ctx.engine, ctx.root,
                                           config_, ctx.stats);
    accounts_->set_events(&ctx.events, reg_state_);
    loaded_ = accounts_->load();
    ctx.services.accounts = accounts_.get();
  }
  std::string summary() const override { return std::to_string(loaded_) + " SIP accounts"; }
  void begin_stop() override {
    if (accounts_) accounts_->unregister_all();  // Expires: 0, within the grace
  }
  bool busy() const override { return accounts_ && accounts_->busy(); }
  void teardown(SipServices& services) override {
    services.accounts = nullptr;
    accounts_.reset();  // an unregistration still in flight after the grace period is dropped
  }

 private:
  AccountsConfig config_;
  std::unique_ptr<Accounts> accounts_;
  std::size_t loaded_ = 0;
  const mi::EventSpec* reg_state_ = nullptr;
};

}  // namespace

std::unique_ptr<EngineModule> make_accounts_module() { return std::make_unique<AccountsModule>(); }

}  // namespace sb::gateway
