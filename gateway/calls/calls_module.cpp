// calls_module.cpp: the calls engine module and its [calls] configuration keys, documented as
// conf/switchboard.conf shows them (that file is generated from these declarations), and the
// wiring of calls to the dialplan (routes), the accounts (trunks) and the registrar (callers).
#include "gateway/sip/sofia.h"  // first: sofia's magic types

#include "gateway/calls/calls_module.h"

#include <ctime>
#include <optional>
#include <stdexcept>
#include <string>

#include <spdlog/spdlog.h>

#include "gateway/accounts/accounts.h"
#include "gateway/calls/calls_commands.h"
#include "gateway/calls/call_events.h"
#include "gateway/calls/cause_map.h"
#include "gateway/dialplan/dialplan.h"
#include "gateway/registrar/registrar.h"
#include "gateway/sip/client_auth.h"

namespace sb::gateway {

namespace {

// clang-format off
const ConfigSection kCallsSection = {
    .name = "calls",
    .keys = {
     {.section = "calls", .key = "ring_timeout_s", .type = KeyType::integer, .default_value = "60",
      .help = "Seconds a call may ring without an answer before it fails (480, Q.850 cause 19); a "
              "dialplan rule's timeout_s option overrides it.",
      .min = 1, .max = 600,
      .doc = "Seconds a call may ring without an answer before it fails with 480 (Q.850 cause 19, no\n"
             "answer), 1..600. A dialplan rule's timeout_s option overrides it. Default: 60."},
     {.section = "calls", .key = "max_calls", .type = KeyType::integer, .default_value = "1000",
      .help = "Concurrent calls; one more INVITE is answered 503 Too Many Calls (Retry-After: 5).",
      .min = 1, .max = 100000,
      .doc = "Concurrent calls (1..100000); one more INVITE is answered 503 Too Many Calls with\n"
             "Retry-After: 5. Default: 1000."},
     {.section = "calls", .key = "q850_to_sip", .type = KeyType::string, .default_value = "",
      .help = "Overrides of the Q.850 cause -> SIP status map (RFC 3398), e.g. \"17=486, 34=503\".",
      .check = [](std::string_view v) { return check_cause_overrides(std::string(v), true); },
      .doc = "Overrides of the RFC 3398 cause map used for line interfaces, \"cause=status, ...\" and\n"
             "\"status=cause, ...\". `sbctl cause_map` prints the map in use. Default: empty (none)."},
     {.section = "calls", .key = "sip_to_q850", .type = KeyType::string, .default_value = "",
      .help = "Overrides of the SIP status -> Q.850 cause map (RFC 3398), e.g. \"486=17, 503=34\".",
      .check = [](std::string_view v) { return check_cause_overrides(std::string(v), false); }},
    },
};
// clang-format on

/// What the call engine needs from the dialplan, accounts and registrar modules (those present).
CallsHooks calls_hooks(const SipServices& services) {
  CallsHooks h;
  Dialplan* dialplan = services.dialplan;
  h.route = [dialplan](const CallOrigin& o, const std::string& called, const std::string& caller,
                       std::size_t from_index) -> std::optional<CallRoute> {
    auto t = dialplan->translate(CallSource{o.kind, o.id, o.groups}, called, caller, from_index);
    if (!t) return std::nullopt;
    CallRoute r;
    r.index = t->index;
    r.rule_id = t->rule_id;
    r.called = t->called;
    r.caller = t->caller;
    r.target_kind = t->target_kind;
    r.target_id = t->target_id;
    const auto& opt = t->options;
    if (auto it = opt.find("failover_causes"); it != opt.end() && it->is_array())
      for (const auto& c : *it)
        if (c.is_number_integer()) r.failover_causes.push_back(c.get<int>());
    if (auto it = opt.find("timeout_s"); it != opt.end() && it->is_number_integer()) r.timeout_s = it->get<int>();
    if (auto it = opt.find("clir"); it != opt.end() && it->is_boolean()) r.clir = it->get<bool>();
    return r;
  };
  Accounts* accounts = services.accounts;
  h.trunk = [accounts](const std::string& name) -> std::optional<CallTrunk> {
    auto a = accounts->find(name);
    if (!a) return std::nullopt;
    CallTrunk t;
    t.name = a->name;
    t.host = a->effective_domain();
    t.next_hop = "sip:" + a->address + ";transport=" + a->transport;
    t.transport = a->transport;
    t.from_user = a->username;
    t.from_domain = a->effective_domain();
    t.display = a->displayname;
    t.auth_user = a->digest_user();
    t.secret = a->secret;
    if (auto it = a->options.find("failover_causes"); it != a->options.end() && it->is_array())
      for (const auto& c : *it)
        if (c.is_number_integer()) t.failover_causes.push_back(c.get<int>());
    return t;
  };
  h.match_trunk = [accounts](const std::string& host, unsigned port, bool tcp, const std::string& from_user,
                             const std::string& to_user) -> std::optional<std::string> {
    auto a = accounts->match_inbound(host, port, tcp, from_user, to_user);
    if (!a) return std::nullopt;
    return a->name;
  };
  h.answer_challenge = [](const sip_t* reply, const std::string& method, const std::string& uri,
                          const std::string& user, const std::string& password)
      -> std::optional<std::pair<std::string, std::string>> {
    std::string why;
    auto header = answer_challenge(reply, method, uri, user, password, &why);
    if (!header) {
      spdlog::warn("calls: cannot answer the {} challenge for {}: {}", method, uri, why);
      return std::nullopt;
    }
    return std::make_pair(header->first, header->second);
  };
  Registrar* registrar = services.registrar;
  h.authenticate_caller = [registrar](msg_t* msg, const sip_t* sip) {
    return registrar->authenticate_caller(msg, sip, "INVITE", static_cast<std::int64_t>(std::time(nullptr)));
  };
  return h;
}

class CallsModule final : public EngineModule {
 public:
  std::string_view name() const override { return "calls"; }
  const ConfigSection* config_section() const override { return &kCallsSection; }
  void configure(const Config& cfg) override { config_ = calls_config(cfg); }
  void register_commands(mi::Registry& registry, const SipServices& services) override {
    register_calls_commands(registry, services);
    events_.emplace(registry.events());
  }
  void build(EngineContext& ctx) override {
    SipServices& s = ctx.services;
    calls_ = std::make_unique<Calls>(config_, *s.sip, ctx.engine, ctx.root, *s.usrloc, *s.ports, *s.db,
                                     ctx.stats);
    calls_->attach();
    if (events_) {
      events_->attach(&ctx.events);
      calls_->set_events(&*events_);
    }
    s.calls = calls_.get();
  }
  void link(EngineContext& ctx) override { calls_->set_hooks(calls_hooks(ctx.services)); }
  void quiesce() override {
    if (calls_) calls_->end_all();
  }
  void teardown(SipServices& services) override {
    services.calls = nullptr;
    calls_.reset();
  }

 private:
  CallsConfig config_;
  std::unique_ptr<Calls> calls_;
  std::optional<CallEvents> events_;
};

}  // namespace

CallsConfig calls_config(const Config& cfg) {
  CallsConfig c;
  c.ring_timeout_s = static_cast<int>(cfg.get_int("calls.ring_timeout_s"));
  c.max_calls = static_cast<std::size_t>(cfg.get_int("calls.max_calls"));
  c.q850_to_sip = cfg.get_string("calls.q850_to_sip");
  c.sip_to_q850 = cfg.get_string("calls.sip_to_q850");
  c.authenticate_subscribers = cfg.get_bool("registrar.auth");
  return c;
}

std::unique_ptr<EngineModule> make_calls_module() { return std::make_unique<CallsModule>(); }

}  // namespace sb::gateway
