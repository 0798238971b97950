// sip_module.cpp: the sip engine module and its [sip] configuration keys, documented as
// conf/switchboard.conf shows them (that file is generated from these declarations).
#include "gateway/sip/sofia.h"  // first: sofia's magic types

#include <fmt/format.h>

#include "gateway/engine/engine.h"

#include "gateway/sip/sip_module.h"

#include <stdexcept>
#include <string>

namespace sb::gateway {

namespace {
std::string sip_listen(std::string_view v) {
  try {
    parse_listen_list(std::string(v));
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return {};
}
// clang-format off
const ConfigSection kSipSection = {
    .name = "sip",
    .keys = {
     {.section = "sip", .key = "listen", .type = KeyType::string, .default_value = "udp:127.0.0.1:5060",
      .help = "SIP listeners: udp:HOST:PORT or tcp:HOST:PORT[, ...]; empty = no SIP engine.",
      .check = sip_listen,
      .doc = "SIP listeners, comma separated: udp:HOST:PORT or tcp:HOST:PORT (IPv6 hosts in brackets,\n"
             "e.g. udp:[::1]:5060). The SIP engine (registrar, usrloc, t_uac_dlg) runs on its own thread.\n"
             "OPTIONS is always answered 200 (keep-alive probes). Empty: no SIP engine (the usrloc,\n"
             "registrar and tm commands answer 503). Default: udp:127.0.0.1:5060."},
     {.section = "sip", .key = "t1_ms", .type = KeyType::integer, .default_value = "500",
      .help = "SIP timer T1 in ms; a request without a final reply times out after 64*T1 (32 s).",
      .min = 10, .max = 10'000,
      .doc = "SIP timer T1 in milliseconds (10..10000). Retransmissions start at T1 and a request without a\n"
             "final reply times out after 64*T1 (32 s by default), when t_uac_dlg answers\n"
             "`408 Request Timeout`. Default: 500."},
     {.section = "sip", .key = "max_queue", .type = KeyType::integer, .default_value = "4096",
      .help = "Management commands waiting for the SIP engine thread; one more is answered 503.",
      .min = 1, .max = 1'048'576,
      .doc = "Management commands for the SIP engine (usrloc, registrar, tm, calls, accounts ...) waiting for\n"
             "its thread (1..1048576); one more is refused with 503 and counted in engine:queue_rejected, so\n"
             "a flood of commands cannot grow memory without bound. Default: 4096."},
     {.section = "sip", .key = "overload_backlog_pct", .type = KeyType::integer, .default_value = "50",
      .help = "Overload: while datagrams waiting in a UDP listener fill more than this percentage "
              "of its receive buffer, new requests get 503 with Retry-After; 100 = never.",
      .min = 1, .max = 100,
      .doc = "Overload protection (1..100). While the datagrams waiting in a UDP listener's receive buffer\n"
             "fill more than this percentage of it (the engine is behind), every new request but ACK,\n"
             "CANCEL and OPTIONS is answered `503 Service Unavailable` with `Retry-After: 5` at once,\n"
             "without touching the database (core:overload_rejected), instead of being dropped silently by\n"
             "the kernel when the buffer is full. 100 = never. Default: 50."},
     {.section = "sip", .key = "udp_rcvbuf_kb", .type = KeyType::integer, .default_value = "2048",
      .help = "Receive buffer asked for each UDP listener, in kB; 0 = the kernel's default.",
      .min = 0, .max = 1'048'576,
      .doc = "Receive buffer asked for each UDP SIP listener, in kB (0..1048576; 0 = the kernel's default,\n"
             "about 208 kB, which 50 REGISTERs in flight fill to half). A burst waits there while the engine\n"
             "is busy; overload_backlog_pct is a share of it. Without CAP_NET_ADMIN the kernel grants at\n"
             "most net.core.rmem_max (a warning names what it granted). Default: 2048."},
    },
};
// clang-format on

}  // namespace

SipConfig sip_config(const Config& cfg) {
  SipConfig c;
  c.listen = parse_listen_list(cfg.get_string("sip.listen"));
  c.t1_ms = static_cast<unsigned>(cfg.get_int("sip.t1_ms"));
  c.overload_backlog_pct = static_cast<unsigned>(cfg.get_int("sip.overload_backlog_pct"));
  c.udp_rcvbuf = static_cast<std::size_t>(cfg.get_int("sip.udp_rcvbuf_kb")) * 1024;
  c.server_name = fmt::format("Switchboard {}", SB_VERSION);
  return c;
}

namespace {

class SipModule final : public EngineModule {
 public:
  std::string_view name() const override { return "sip"; }
  const ConfigSection* config_section() const override { return &kSipSection; }
  void configure(const Config& cfg) override { config_ = sip_config(cfg); }
  void build(EngineContext& ctx) override {
    engine_ = &ctx.engine;
    sip_ = std::make_unique<SipStack>(config_, ctx.stats);
    sip_->start(ctx.root);
    ctx.services.sip = sip_.get();
  }
  void begin_stop() override {
    if (sip_) sip_->set_draining(true);
  }
  void quiesce() override {
    if (sip_) sip_->close_listeners();
  }
  void teardown(SipServices& services) override {
    services.sip = nullptr;
    // Retired legs and finished transactions are destroyed on a later loop turn; there is none
    // left: destroy them now, while the nta agent they belong to still exists.
    if (!sip_) return;
    engine_->run_deferred();
    sip_->destroy();
    sip_.reset();
  }

 private:
  SipConfig config_;
  Engine* engine_ = nullptr;
  std::unique_ptr<SipStack> sip_;
};

}  // namespace

std::unique_ptr<EngineModule> make_sip_module() { return std::make_unique<SipModule>(); }

}  // namespace sb::gateway
