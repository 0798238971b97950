// store_module.cpp: the store engine module.
#include <chrono>

#include "gateway/store/store_module.h"

#include <stdexcept>
#include <string>

namespace sb::gateway {

DatabaseOptions database_options(const Config& cfg) {
  DatabaseOptions o;
  o.path = cfg.get_string("core.db");
  if (o.path.empty()) o.path = ":memory:";
  o.synchronous = cfg.get_string("core.db_sync");
  return o;
}

namespace {

class StoreModule final : public EngineModule {
 public:
  std::string_view name() const override { return "store"; }
  void configure(const Config& cfg) override { options_ = database_options(cfg); }
  void build(EngineContext& ctx) override {
    db_ = std::make_unique<Database>(options_);
    db_->migrate();
    // Copies WAL pages back to the database every 50 ms, concurrently with the writers (PASSIVE).
    // The usrloc writer restarts the WAL file (usrloc.wal_restart_pages); the engine's
    // connection checkpoints every 1000 of its own pages.
    checkpointer_ = std::make_unique<Checkpointer>(options_.path, std::chrono::milliseconds(50));
    ctx.services.db = db_.get();
  }
  std::string summary() const override { return "database " + options_.path; }
  void teardown(SipServices& services) override {
    services.db = nullptr;
    checkpointer_.reset();  // a last checkpoint
    db_.reset();
  }

 private:
  DatabaseOptions options_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Checkpointer> checkpointer_;
};

}  // namespace

std::unique_ptr<EngineModule> make_store_module() { return std::make_unique<StoreModule>(); }

}  // namespace sb::gateway
