// registrar_module.cpp: the registrar engine module and its [registrar] configuration keys, documented as
// conf/switchboard.conf shows them (that file is generated from these declarations).
#include "gateway/registrar/register_workers.h"
#include "gateway/registrar/registrar_commands.h"
#include "gateway/registrar/subscribers.h"

#include <spdlog/spdlog.h>

#include "gateway/registrar/registrar_module.h"

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace sb::gateway {

namespace {

// clang-format off
const ConfigSection kRegistrarSection = {
    .name = "registrar",
    .keys = {
     {.section = "registrar", .key = "auth", .type = KeyType::boolean, .default_value = "off",
      .help = "Challenge REGISTER with digest authentication against the subscriber table.",
      .doc = "Challenge every REGISTER with digest authentication (401, qop=auth, MD5) against the\n"
             "subscriber table (`subscriber_add`). A wrong password gets a new challenge; an expired nonce\n"
             "with a right answer gets stale=true. When on, an INVITE whose From is a local subscriber is\n"
             "challenged the same way (407, Proxy-Authorization); when off, a subscriber may call once its\n"
             "AOR is registered. Default: off.", .live = true},
     {.section = "registrar", .key = "workers", .type = KeyType::integer, .default_value = "-1",
      .help = "Extra threads answering REGISTER on the UDP listeners; -1 = one per CPU beyond the "
              "first (at most 8), 0 = the SIP engine alone.",
      .min = -1, .max = 64,
      .doc = "REGISTER workers (-1..64): threads that answer REGISTER on the UDP listeners beside the SIP\n"
             "engine, each with a socket of its own on the same port (an SO_REUSEPORT group: the kernel hands\n"
             "each REGISTER to a worker at random, and every other request and every response to the\n"
             "engine). A worker reads and answers REGISTERs in batches (recvmmsg/sendmmsg, sofia-sip's\n"
             "parser). They share the location table; a 200 still goes out only after its binding is\n"
             "committed. -1 = one per CPU beyond the first, at most 8; 0 = none (the engine answers\n"
             "REGISTER). Not used with auth = on (the digest nonces live in the engine's registrar) nor\n"
             "without a UDP listener. Default: -1."},
     {.section = "registrar", .key = "realm", .type = KeyType::string, .default_value = "",
      .help = "Digest realm; empty = the domain of the AOR being registered.",
      .doc = "Digest realm offered in challenges. Empty: the domain of the AOR being registered (the To\n"
             "header's host), which is also the domain subscribers are looked up in. Default: empty.", .live = true},
     {.section = "registrar", .key = "min_expires", .type = KeyType::integer, .default_value = "60",
      .help = "Shortest registration accepted in seconds (shorter: 423 Interval Too Brief).",
      .max = 86'400, .at_most = "registrar.max_expires",
      .doc = "Shortest registration accepted, in seconds (0..86400). A shorter non-zero expires gets\n"
             "`423 Interval Too Brief` with Min-Expires. Default: 60.", .live = true},
     {.section = "registrar", .key = "max_expires", .type = KeyType::integer, .default_value = "3600",
      .help = "Longest registration granted in seconds (longer ones are shortened).",
      .min = 1, .max = 31'536'000,
      .doc = "Longest registration granted, in seconds; longer requests are shortened to this. Default: 3600.", .live = true},
     {.section = "registrar", .key = "default_expires", .type = KeyType::integer, .default_value = "3600",
      .help = "Lifetime of a binding whose REGISTER gives no expires.",
      .min = 1, .max = 31'536'000,
      .doc = "Lifetime of a binding when the REGISTER gives neither a Contact expires param nor an Expires\n"
             "header. Default: 3600.", .live = true},
     {.section = "registrar", .key = "max_contacts", .type = KeyType::integer, .default_value = "10",
      .help = "Contacts per AOR (more: 403); 0 = no limit.",
      .max = 10'000,
      .doc = "Contacts an AOR may have at once (0 = no limit); one more gets\n"
             "`403 Too many registered contacts`. Default: 10.", .live = true},
     {.section = "registrar", .key = "nonce_expires_s", .type = KeyType::integer, .default_value = "300",
      .help = "Seconds a digest nonce stays fresh; older ones get stale=true.",
      .min = 5, .max = 86'400,
      .doc = "Seconds a digest nonce stays fresh (5..86400); a right answer to an older nonce gets a new\n"
             "challenge with stale=true. Default: 300."},
     {.section = "registrar", .key = "nonce_table_size", .type = KeyType::integer, .default_value = "65536",
      .help = "Digest nonces whose use (nc) is tracked; when full the oldest is evicted (its user "
              "is challenged again).",
      .min = 16, .max = 16'777'216,
      .doc = "Digest nonces whose use is tracked (16..16777216), against replayed credentials: with qop=auth\n"
             "a nonce's nc must grow from one request to the next, a nonce without qop is good for one\n"
             "request, and the digest uri must be the Request-URI (same text or same SIP URI; otherwise\n"
             "400 Bad Request). A replay gets a new challenge and counts registrar:auth_replays. A fixed\n"
             "ring of this many slots (about 24 bytes each): when full, the oldest nonce is evicted and its\n"
             "user challenged again (stale=true). Default: 65536."},
     {.section = "registrar", .key = "auth_fail_limit", .type = KeyType::integer, .default_value = "10",
      .help = "Digest authentication failures from one source IP, within auth_fail_window_s, that "
              "ban it (403) for auth_ban_s; 0 = never ban.",
      .max = 1'000'000,
      .doc = "Digest authentication failures (wrong password or user, uri mismatch, replay; REGISTER and\n"
             "subscribers' INVITEs) are logged at WARN with the source address, port and user, one line\n"
             "each (for fail2ban). After auth_fail_limit failures from one source IP within\n"
             "auth_fail_window_s seconds, that IP is banned for auth_ban_s seconds: its REGISTERs and\n"
             "authenticated INVITEs get 403 (registrar:auth_banned; registrar:auth_bans counts bans).\n"
             "auth_fail_limit 0 = never ban. At most auth_fail_table_size source IPs are tracked; when\n"
             "full, the least recently seen is forgotten. Defaults: 10, 60, 60, 4096."},
     {.section = "registrar", .key = "auth_fail_window_s", .type = KeyType::integer, .default_value = "60",
      .help = "Seconds over which authentication failures from one source IP are counted.",
      .min = 1, .max = 86'400},
     {.section = "registrar", .key = "auth_ban_s", .type = KeyType::integer, .default_value = "60",
      .help = "Seconds a source IP stays banned after auth_fail_limit failures.",
      .min = 1, .max = 86'400},
     {.section = "registrar", .key = "auth_fail_table_size", .type = KeyType::integer, .default_value = "4096",
      .help = "Source IPs whose authentication failures are tracked; when full the least recently "
              "seen is forgotten.",
      .min = 16, .max = 1'048'576},
    },
};
// clang-format on

}  // namespace

RegistrarConfig registrar_config(const Config& cfg) {
  RegistrarConfig c;
  c.auth = cfg.get_bool("registrar.auth");
  c.realm = cfg.get_string("registrar.realm");
  c.min_expires = cfg.get_int("registrar.min_expires");
  c.max_expires = cfg.get_int("registrar.max_expires");
  c.default_expires = cfg.get_int("registrar.default_expires");
  c.max_contacts = static_cast<std::size_t>(cfg.get_int("registrar.max_contacts"));
  c.nonce_expires = cfg.get_int("registrar.nonce_expires_s");
  c.nonce_table_size = static_cast<std::size_t>(cfg.get_int("registrar.nonce_table_size"));
  c.limits.limit = cfg.get_int("registrar.auth_fail_limit");
  c.limits.window_s = cfg.get_int("registrar.auth_fail_window_s");
  c.limits.ban_s = cfg.get_int("registrar.auth_ban_s");
  c.limits.max_entries = static_cast<std::size_t>(cfg.get_int("registrar.auth_fail_table_size"));
  return c;
}

namespace {

class RegistrarModule final : public EngineModule {
 public:
  std::string_view name() const override { return "registrar"; }
  const ConfigSection* config_section() const override { return &kRegistrarSection; }
  void configure(const Config& cfg) override {
    config_ = registrar_config(cfg);
    workers_wanted_ = register_worker_count(cfg.get_int("registrar.workers"));
  }
  void register_commands(mi::Registry& registry, const SipServices& services) override {
    register_registrar_commands(registry, services);
    auth_failed_ = &Registrar::declare_events(registry.events());
  }
  void build(EngineContext& ctx) override {
    subscribers_ = std::make_unique<Subscribers>(*ctx.services.db);
    registrar_ = std::make_unique<Registrar>(config_, *ctx.services.sip, *ctx.services.usrloc,
                                             *subscribers_, ctx.stats);
    registrar_->attach(*ctx.services.sip);
    registrar_->set_events(&ctx.events, auth_failed_);
    registrar_->set_engine(&ctx.engine);
    ctx.services.subscribers = subscribers_.get();
    ctx.services.registrar = registrar_.get();
    start_workers(ctx);
  }
  std::string summary() const override {
    return std::string("registrar auth ") + (config_.auth ? "on" : "off") +
           fmt::format(", {} REGISTER worker{}", workers_.size(), workers_.size() == 1 ? "" : "s");
  }
  void reload(const Config& cfg, EngineContext& ctx) override {
    RegistrarConfig next = registrar_config(cfg);
    const bool auth_changed = next.auth != config_.auth;
    copy_live_keys(next, config_);
    registrar_->set_live_config(config_);
    ctx.stats.gauge("registrar", "max_expires").set(config_.max_expires);
    ctx.stats.gauge("registrar", "default_expire").set(config_.default_expires);
    if (!auth_changed) {
      workers_.set_live_config(config_);
      return;
    }
    // Auth turned on: the workers leave (the digest nonces are the engine registrar's); turned
    // off: they start.
    workers_.retire();
    ctx.stats.gauge("registrar", "workers").set(0);
    start_workers(ctx);
    spdlog::info("registrar: auth {}; {} REGISTER worker{}", config_.auth ? "on" : "off", workers_.size(),
                 workers_.size() == 1 ? "" : "s");
  }
  void begin_stop() override { workers_.request_stop(); }
  bool busy() const override { return workers_.busy(); }
  void quiesce() override { workers_.stop(); }
  void teardown(SipServices& services) override {
    workers_.stop();
    services.registrar = nullptr;
    services.subscribers = nullptr;
    registrar_.reset();
    subscribers_.reset();
  }

 private:
  void start_workers(EngineContext& ctx) {
    ctx.stats.gauge("registrar", "workers").set(0);
    if (workers_wanted_ == 0) return;
    if (config_.auth) {
      spdlog::info("registrar: auth is on: the SIP engine answers every REGISTER (workers = {} unused)",
                   workers_wanted_);
      return;
    }
    RegisterWorkers::Shared shared{config_, ctx.services.usrloc, subscribers_.get(), &ctx.stats, &ctx.events,
                                   auth_failed_};
    std::string why;
    std::size_t n = workers_.start(workers_wanted_, *ctx.services.sip, shared, &why);
    if (n == 0 && !why.empty())
      spdlog::warn("registrar: no REGISTER workers ({}): the SIP engine answers every REGISTER", why);
    ctx.stats.gauge("registrar", "workers").set(static_cast<std::int64_t>(n));
  }

  RegistrarConfig config_;
  std::size_t workers_wanted_ = 0;
  RegisterWorkers workers_;
  std::unique_ptr<Subscribers> subscribers_;
  std::unique_ptr<Registrar> registrar_;
  const mi::EventSpec* auth_failed_ = nullptr;
};

}  // namespace

std::unique_ptr<EngineModule> make_registrar_module() { return std::make_unique<RegistrarModule>(); }

}  // namespace sb::gateway
