// usrloc_module.cpp: the usrloc engine module and its [usrloc] configuration keys, documented as
// conf/switchboard.conf shows them (that file is generated from these declarations).
#include "gateway/sip/sofia.h"  // first: sofia's magic types

#include <ctime>

#include <spdlog/spdlog.h>

#include "gateway/store/database.h"
#include "gateway/usrloc/usrloc.h"
#include "gateway/usrloc/usrloc_commands.h"
#include "gateway/usrloc/usrloc_events.h"

#include "gateway/usrloc/usrloc_module.h"

#include <optional>
#include <stdexcept>
#include <string>

namespace sb::gateway {

namespace {

// clang-format off
const ConfigSection kUsrlocSection = {
    .name = "usrloc",
    .keys = {
     {.section = "usrloc", .key = "timer_interval_s", .type = KeyType::integer, .default_value = "1",
      .help = "Seconds between two sweeps that remove expired bindings.",
      .min = 1, .max = 3600,
      .doc = "Seconds between two sweeps that remove expired bindings from memory and from the database\n"
             "(1..3600). Default: 1."},
    },
};
// clang-format on

}  // namespace

namespace {

void on_expiry_timer(void* /*root magic*/, su_timer_t* /*t*/, void* arg) {
  auto* usrloc = static_cast<Usrloc*>(arg);
  try {
    usrloc->expire(static_cast<std::int64_t>(std::time(nullptr)));
  } catch (const StoreError& e) {
    spdlog::error("usrloc: expiry sweep: {}", e.what());
  }
}

class UsrlocModule final : public EngineModule {
 public:
  std::string_view name() const override { return "usrloc"; }
  const ConfigSection* config_section() const override { return &kUsrlocSection; }
  void configure(const Config& cfg) override {
    interval_s_ = static_cast<unsigned>(cfg.get_int("usrloc.timer_interval_s"));
  }
  void register_commands(mi::Registry& registry, const SipServices& services) override {
    register_usrloc_commands(registry, services);
    events_.emplace(registry.events());
  }
  void build(EngineContext& ctx) override {
    usrloc_ = std::make_unique<Usrloc>(ctx.services.db, ctx.stats);
    if (events_) {
      events_->attach(&ctx.events);
      usrloc_->set_events(&*events_);
    }
    loaded_ = usrloc_->load(static_cast<std::int64_t>(std::time(nullptr)));
    expiry_ = su_timer_create(su_root_task(ctx.root), static_cast<su_duration_t>(interval_s_ * 1000));
    if (!expiry_ || su_timer_run(expiry_, &on_expiry_timer, usrloc_.get()) < 0)
      throw std::runtime_error("cannot start the usrloc expiry timer");
    ctx.services.usrloc = usrloc_.get();
  }
  std::string summary() const override { return std::to_string(loaded_) + " bindings loaded"; }
  void quiesce() override {
    if (expiry_) su_timer_destroy(expiry_);
    expiry_ = nullptr;
  }
  void teardown(SipServices& services) override {
    services.usrloc = nullptr;
    usrloc_.reset();
  }

 private:
  unsigned interval_s_ = 1;
  std::optional<UsrlocEvents> events_;
  std::unique_ptr<Usrloc> usrloc_;
  std::size_t loaded_ = 0;
  su_timer_t* expiry_ = nullptr;
};

}  // namespace

std::unique_ptr<EngineModule> make_usrloc_module() { return std::make_unique<UsrlocModule>(); }

}  // namespace sb::gateway
