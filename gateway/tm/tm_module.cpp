// tm_module.cpp: the tm engine module and its [tm] configuration keys, documented as
// conf/switchboard.conf shows them (that file is generated from these declarations).
#include "gateway/sip/sofia.h"  // first: sofia's magic types

#include "gateway/tm/tm.h"
#include "gateway/tm/tm_commands.h"

#include "gateway/tm/tm_module.h"

#include <stdexcept>
#include <string>

namespace sb::gateway {

namespace {

// clang-format off
const ConfigSection kTmSection = {
    .name = "tm",
    .keys = {
     {.section = "tm", .key = "max_transactions", .type = KeyType::integer, .default_value = "1024",
      .help = "t_uac_dlg transactions in flight at once; one more is answered 503.",
      .min = 1, .max = 1'048'576,
      .doc = "t_uac_dlg transactions in flight at once (1..1048576); one more is answered at once with\n"
             "503 \"too many transactions in flight (tm.max_transactions = N)\" and counted in\n"
             "tm:rejected_transactions. Default: 1024."},
    },
};
// clang-format on

}  // namespace

namespace {

class TmModule final : public EngineModule {
 public:
  std::string_view name() const override { return "tm"; }
  const ConfigSection* config_section() const override { return &kTmSection; }
  void configure(const Config& cfg) override {
    max_transactions_ = static_cast<std::size_t>(cfg.get_int("tm.max_transactions"));
  }
  void register_commands(mi::Registry& registry, const SipServices& services) override {
    register_tm_commands(registry, services);
  }
  void build(EngineContext& ctx) override {
    tm_ = std::make_unique<Tm>(*ctx.services.sip, ctx.engine, ctx.stats, max_transactions_);
    ctx.services.tm = tm_.get();
  }
  bool busy() const override { return tm_ && tm_->pending() > 0; }
  void quiesce() override {
    if (tm_) tm_->abort_all();
  }
  void teardown(SipServices& services) override {
    services.tm = nullptr;
    tm_.reset();
  }

 private:
  std::size_t max_transactions_ = 1024;
  std::unique_ptr<Tm> tm_;
};

}  // namespace

std::unique_ptr<EngineModule> make_tm_module() { return std::make_unique<TmModule>(); }

}  // namespace sb::gateway
