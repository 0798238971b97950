// usrloc_module.cpp: the usrloc engine module and its [usrloc] configuration keys, documented as
// conf/switchboard.conf shows them (that file is generated from these declarations).
#include "gateway/sip/sofia.h"  // first: sofia's magic types

#include <ctime>

#include <spdlog/spdlog.h>

#include "gateway/engine/engine.h"
#include "gateway/store/database.h"
#include "gateway/store/store_module.h"
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
     {.section = "usrloc", .key = "max_pending_writes", .type = KeyType::integer, .default_value = "4096",
      .help = "Binding changes staged but not yet committed, at most (group commit).",
      .min = 1, .max = 1000000,
      .doc = "Group commit: a REGISTER's change is handed to the usrloc writer thread, which commits every\n"
             "change staged so far in one SQLite transaction; the 200 is sent after that commit (a failed\n"
             "commit answers 500). At most this many changes wait uncommitted (1..1000000); at the limit\n"
             "the SIP engine waits for the writer, and new requests wait in the socket buffer, where\n"
             "sip.overload_backlog_pct answers them 503. Each waiting change holds its request (a few kB).\n"
             "A REGISTER that changes nothing (a query, a retransmission) also waits for the commit of what\n"
             "was staged before it; once this many replies wait, it is answered 503 (Retry-After: 1) at once.\n"
             "Default: 4096."},
     {.section = "usrloc", .key = "commit_gap_us", .type = KeyType::integer, .default_value = "0",
      .help = "Group commit: the writer commits once no binding change arrived for this long (µs).",
      .min = 0, .max = 100000,
      .doc = "Group commit window, in microseconds (0..100000). After the first staged change the writer\n"
             "waits while changes keep arriving, until none came for this long (at most 10 times this in\n"
             "all), then commits them in one transaction: fewer, larger transactions write each B-tree page\n"
             "once for many REGISTERs. 0 = commit at once: what arrived while the previous transaction\n"
             "was written goes in the next (the REGISTER workers read and stage a whole batch at once, so\n"
             "waiting only delays the 200s). Default: 0."},
     {.section = "usrloc", .key = "wal_restart_pages", .type = KeyType::integer, .default_value = "8000",
      .help = "WAL pages after which the usrloc writer pauses so that a checkpoint can restart the WAL.",
      .min = 1000, .max = 1000000,
      .doc = "With core.db on disk, the store's checkpointer thread copies the write-ahead log back into the\n"
             "database every 50 ms, beside the usrloc writer. The WAL file starts again from its top only\n"
             "when such a copy completes between two of the writer's transactions, which a steady load\n"
             "does not leave time for. So once the WAL holds this many pages (4 kB each), the writer,\n"
             "between two transactions, has its own checkpoint thread copy the rest and pauses for at most\n"
             "usrloc.checkpoint_pause_ms. The checkpoint's fsyncs run on that thread: a disk that stalls\n"
             "delays the restart, not the REGISTERs, until the WAL holds 4 times this; there the writer\n"
             "waits for the checkpoint however long it takes (the REGISTERs wait: the file stays bounded,\n"
             "unless a long read transaction elsewhere holds an old snapshot, which keeps any checkpoint\n"
             "from completing). 1000..1000000. Default: 8000 (32 MB; 128 MB at the bound)."},
     {.section = "usrloc", .key = "checkpoint_pause_ms", .type = KeyType::integer, .default_value = "50",
      .help = "Longest pause of the usrloc writer for a checkpoint below the WAL's bound (ms).",
      .min = 1, .max = 10000,
      .doc = "How long the usrloc writer waits, at most, for the checkpoint described at\n"
             "usrloc.wal_restart_pages before it writes on (the REGISTERs staged meanwhile wait that long\n"
             "for their 200). 1..10000. Default: 50."},
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
    group_commit_.max_pending = static_cast<std::size_t>(cfg.get_int("usrloc.max_pending_writes"));
    group_commit_.commit_gap = std::chrono::microseconds(cfg.get_int("usrloc.commit_gap_us"));
    group_commit_.wal_restart_pages = static_cast<int>(cfg.get_int("usrloc.wal_restart_pages"));
    group_commit_.checkpoint_pause = std::chrono::milliseconds(cfg.get_int("usrloc.checkpoint_pause_ms"));
    db_options_ = database_options(cfg);
  }
  void register_commands(mi::Registry& registry, const SipServices& services) override {
    register_usrloc_commands(registry, services);
    events_.emplace(registry.events());
  }
  void build(EngineContext& ctx) override {
    // With the database in memory (core.db empty) nothing could ever read the rows back: the
    // bindings live in usrloc's memory only, without a write per REGISTER.
    const bool on_disk = !db_options_.path.empty() && db_options_.path != ":memory:";
    usrloc_ = std::make_unique<Usrloc>(on_disk ? ctx.services.db : nullptr, ctx.stats);
    if (events_) {
      events_->attach(&ctx.events);
      usrloc_->set_events(&*events_);
    }
    loaded_ = usrloc_->load(static_cast<std::int64_t>(std::time(nullptr)));
    Engine* engine = &ctx.engine;
    usrloc_->enable_group_commit(db_options_, group_commit_,
                                 [engine](std::function<void()> job) { engine->defer(std::move(job)); });
    expiry_ = su_timer_create(su_root_task(ctx.root), static_cast<su_duration_t>(interval_s_ * 1000));
    if (!expiry_ || su_timer_run(expiry_, &on_expiry_timer, usrloc_.get()) < 0)
      throw std::runtime_error("cannot start the usrloc expiry timer");
    ctx.services.usrloc = usrloc_.get();
  }
  std::string summary() const override { return std::to_string(loaded_) + " bindings loaded"; }
  bool busy() const override { return usrloc_ && usrloc_->pending_replies() != 0; }
  void quiesce() override {
    if (expiry_) su_timer_destroy(expiry_);
    expiry_ = nullptr;
    // What is staged is committed; the replies waiting for it are sent by the engine's
    // run_deferred() right after this, while the SIP stack still exists.
    if (usrloc_) usrloc_->stop_writer();
  }
  void teardown(SipServices& services) override {
    services.usrloc = nullptr;
    usrloc_.reset();
  }

 private:
  unsigned interval_s_ = 1;
  Usrloc::GroupCommit group_commit_;
  DatabaseOptions db_options_;
  std::optional<UsrlocEvents> events_;
  std::unique_ptr<Usrloc> usrloc_;
  std::size_t loaded_ = 0;
  su_timer_t* expiry_ = nullptr;
};

}  // namespace

std::unique_ptr<EngineModule> make_usrloc_module() { return std::make_unique<UsrlocModule>(); }

}  // namespace sb::gateway
