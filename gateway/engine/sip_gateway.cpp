// sip_gateway.cpp: building the SIP components on the engine thread, the expiry timer, shutdown.
#include "gateway/sip/sofia.h"  // first: sofia's magic types

#include "gateway/engine/sip_gateway.h"

#include <ctime>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "gateway/accounts/accounts.h"
#include "gateway/accounts/accounts_commands.h"
#include "gateway/calls/calls.h"
#include "gateway/calls/calls_commands.h"
#include "gateway/config/config.h"
#include "gateway/dialplan/dialplan.h"
#include "gateway/dialplan/dialplan_commands.h"
#include "gateway/ports/ports.h"
#include "gateway/ports/ports_commands.h"
#include "gateway/registrar/registrar_commands.h"
#include "gateway/sip/client_auth.h"
#include "gateway/registrar/subscribers.h"
#include "gateway/tm/tm.h"
#include "gateway/tm/tm_commands.h"
#include "gateway/usrloc/usrloc.h"
#include "gateway/usrloc/usrloc_commands.h"

namespace sb::gateway {

SipGatewayConfig sip_gateway_config(const Config& cfg) {
  SipGatewayConfig c;
  c.db.path = cfg.get_string("core.db");
  if (c.db.path.empty()) c.db.path = ":memory:";
  c.db.synchronous = cfg.get_string("core.db_sync");
  c.sip.listen = parse_listen_list(cfg.get_string("sip.listen"));
  c.sip.t1_ms = static_cast<unsigned>(cfg.get_int("sip.t1_ms"));
  c.sip.overload_backlog_pct = static_cast<unsigned>(cfg.get_int("sip.overload_backlog_pct"));
  c.max_queue = static_cast<std::size_t>(cfg.get_int("sip.max_queue"));
  c.max_transactions = static_cast<std::size_t>(cfg.get_int("tm.max_transactions"));
  c.registrar.auth = cfg.get_bool("registrar.auth");
  c.registrar.realm = cfg.get_string("registrar.realm");
  c.registrar.min_expires = cfg.get_int("registrar.min_expires");
  c.registrar.max_expires = cfg.get_int("registrar.max_expires");
  c.registrar.default_expires = cfg.get_int("registrar.default_expires");
  c.registrar.max_contacts = static_cast<std::size_t>(cfg.get_int("registrar.max_contacts"));
  c.registrar.nonce_expires = cfg.get_int("registrar.nonce_expires_s");
  c.registrar.nonce_table_size = static_cast<std::size_t>(cfg.get_int("registrar.nonce_table_size"));
  c.registrar.limits.limit = cfg.get_int("registrar.auth_fail_limit");
  c.registrar.limits.window_s = cfg.get_int("registrar.auth_fail_window_s");
  c.registrar.limits.ban_s = cfg.get_int("registrar.auth_ban_s");
  c.registrar.limits.max_entries = static_cast<std::size_t>(cfg.get_int("registrar.auth_fail_table_size"));
  c.expiry_interval_s = static_cast<unsigned>(cfg.get_int("usrloc.timer_interval_s"));
  c.calls.ring_timeout_s = static_cast<int>(cfg.get_int("calls.ring_timeout_s"));
  c.calls.max_calls = static_cast<std::size_t>(cfg.get_int("calls.max_calls"));
  c.calls.q850_to_sip = cfg.get_string("calls.q850_to_sip");
  c.calls.sip_to_q850 = cfg.get_string("calls.sip_to_q850");
  c.calls.authenticate_subscribers = c.registrar.auth;
  c.accounts.retry_min_s = static_cast<int>(cfg.get_int("accounts.retry_min_s"));
  c.accounts.retry_max_s = static_cast<int>(cfg.get_int("accounts.retry_max_s"));
  return c;
}

struct SipGateway::Parts {
  std::unique_ptr<Database> db;
  std::unique_ptr<Checkpointer> checkpointer;
  std::unique_ptr<Dialplan> dialplan;
  std::unique_ptr<SipStack> sip;
  std::unique_ptr<Usrloc> usrloc;
  std::unique_ptr<Subscribers> subscribers;
  std::unique_ptr<Registrar> registrar;
  std::unique_ptr<Tm> tm;
  std::unique_ptr<Ports> ports;
  std::unique_ptr<Calls> calls;
  std::unique_ptr<Accounts> accounts;
  su_timer_t* expiry = nullptr;
  bool draining = false;
};

SipGateway::SipGateway(SipGatewayConfig config, mi::Statistics& stats)
    : config_(std::move(config)), stats_(stats) {}

// The dispatcher may already be gone here (early start-up failure): only the engine is stopped.
SipGateway::~SipGateway() { engine_.stop(std::chrono::milliseconds(0)); }

void SipGateway::register_commands(mi::Registry& registry) {
  register_usrloc_commands(registry, services_);
  register_registrar_commands(registry, services_);
  register_tm_commands(registry, services_);
  register_dialplan_commands(registry, services_);
  register_ports_commands(registry, services_);
  register_calls_commands(registry, services_);
  register_accounts_commands(registry, services_);
}

namespace {
void on_expiry_timer(void* /*root magic*/, su_timer_t* /*t*/, void* arg) {
  auto* usrloc = static_cast<Usrloc*>(arg);
  try {
    usrloc->expire(static_cast<std::int64_t>(std::time(nullptr)));
  } catch (const StoreError& e) {
    spdlog::error("usrloc: expiry sweep: {}", e.what());
  }
}
}  // namespace

void SipGateway::build(su_root_t* root) {
  parts_ = std::make_unique<Parts>();
  Parts& p = *parts_;
  p.db = std::make_unique<Database>(config_.db);
  p.db->migrate();
  // The engine's connection still checkpoints every 1000 WAL pages (bounding the WAL file), but
  // this thread has copied most pages back by then, so REGISTERs rarely wait for a checkpoint.
  p.checkpointer = std::make_unique<Checkpointer>(config_.db.path, std::chrono::milliseconds(200));
  p.dialplan = std::make_unique<Dialplan>(*p.db, stats_);
  try {
    spdlog::info("dialplan: {} rules loaded", p.dialplan->reload());
  } catch (const DialplanError& e) {  // the daemon still starts: dp_rule_update/rm can fix the table
    spdlog::error("dialplan: not loaded, no rule is active until dp_reload succeeds: {}", e.what());
  }
  p.usrloc = std::make_unique<Usrloc>(p.db.get(), stats_);
  std::size_t loaded = p.usrloc->load(static_cast<std::int64_t>(std::time(nullptr)));
  p.subscribers = std::make_unique<Subscribers>(*p.db);
  if (config_.sip.server_name.empty()) config_.sip.server_name = fmt::format("Switchboard {}", SB_VERSION);
  p.sip = std::make_unique<SipStack>(config_.sip, stats_);
  p.sip->start(root);
  p.registrar = std::make_unique<Registrar>(config_.registrar, *p.sip, *p.usrloc, *p.subscribers, stats_);
  p.registrar->attach();
  p.tm = std::make_unique<Tm>(*p.sip, engine_, stats_, config_.max_transactions);
  p.ports = std::make_unique<Ports>(*p.db, stats_);
  p.ports->load();
  p.calls = std::make_unique<Calls>(config_.calls, *p.sip, engine_, root, *p.usrloc, *p.ports, *p.db, stats_);
  p.calls->attach();
  p.ports->set_drop_calls([calls = p.calls.get()](int port) { return calls->drop_port(port); });
  p.expiry = su_timer_create(su_root_task(root), static_cast<su_duration_t>(config_.expiry_interval_s * 1000));
  if (!p.expiry || su_timer_run(p.expiry, &on_expiry_timer, p.usrloc.get()) < 0)
    throw std::runtime_error("cannot start the usrloc expiry timer");
  p.accounts = std::make_unique<Accounts>(*p.db, *p.sip, engine_, root, config_.accounts, stats_);
  std::size_t accounts = p.accounts->load();
  p.calls->set_hooks(calls_hooks());
  p.ports->set_account_state([a = p.accounts.get()](const std::string& name) { return a->registration_state(name); });
  services_ = SipServices{p.db.get(), p.sip.get(), p.usrloc.get(), p.subscribers.get(), p.registrar.get(), p.tm.get()};
  services_.dialplan = p.dialplan.get();
  services_.ports = p.ports.get();
  services_.calls = p.calls.get();
  services_.accounts = p.accounts.get();
  listening_ = p.sip->listening();
  std::string where;
  for (const auto& l : listening_) where += (where.empty() ? "" : ", ") + l;
  spdlog::info("sip: listening on {}; database {}; {} bindings loaded; registrar auth {}; {} SIP accounts", where,
               config_.db.path, loaded, config_.registrar.auth ? "on" : "off", accounts);
}

CallsHooks SipGateway::calls_hooks() {
  CallsHooks h;
  Dialplan* dialplan = parts_->dialplan.get();
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
  Accounts* accounts = parts_->accounts.get();
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
  Registrar* registrar = parts_->registrar.get();
  h.authenticate_caller = [registrar](msg_t* msg, const sip_t* sip) {
    return registrar->authenticate_caller(msg, sip, "INVITE", static_cast<std::int64_t>(std::time(nullptr)));
  };
  return h;
}

void SipGateway::teardown() {
  services_ = SipServices{};
  if (!parts_) return;
  Parts& p = *parts_;
  if (p.expiry) su_timer_destroy(p.expiry);
  if (p.calls) p.calls->end_all();
  // Ended calls, retired legs and finished transactions are destroyed on a later loop turn;
  // there is none left: destroy them now, while the nta agent they belong to still exists.
  engine_.run_deferred();
  if (p.tm) p.tm->abort_all();
  p.accounts.reset();  // an unregistration still in flight after the grace period is dropped
  if (p.sip) p.sip->close_listeners();
  p.calls.reset();
  p.ports.reset();
  p.tm.reset();
  p.registrar.reset();
  engine_.run_deferred();
  if (p.sip) p.sip->destroy();
  p.sip.reset();
  p.subscribers.reset();
  p.usrloc.reset();
  p.dialplan.reset();
  p.checkpointer.reset();  // a last checkpoint
  p.db.reset();
  parts_.reset();
}

void SipGateway::start(mi::Dispatcher& dispatcher) {
  engine_.set_max_queue(config_.max_queue, &stats_.counter("engine", "queue_rejected"));
  Engine::Hooks hooks;
  hooks.start = [this](su_root_t* root) { build(root); };
  hooks.begin_stop = [this] {
    if (parts_ && parts_->sip) parts_->sip->set_draining(true);
    if (parts_ && parts_->accounts) parts_->accounts->unregister_all();  // Expires: 0, within the grace
  };
  hooks.stopped = [this] {
    return !parts_ || ((!parts_->tm || parts_->tm->pending() == 0) && (!parts_->accounts || !parts_->accounts->busy()));
  };
  hooks.teardown = [this] { teardown(); };
  engine_.start(std::move(hooks));
  dispatcher_ = &dispatcher;
  dispatcher.set_engine(&engine_);
}

void SipGateway::stop(std::chrono::milliseconds grace) {
  if (dispatcher_) {
    dispatcher_->set_engine(nullptr);
    dispatcher_ = nullptr;
  }
  engine_.stop(grace);
}

}  // namespace sb::gateway
