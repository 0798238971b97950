// store_module.h: the SQLite database (core.db) and its WAL checkpointer as an engine module (engine_module.h): its configuration section
// (declared in store_module.cpp; conf/switchboard.conf is generated from it), building it on the
// engine thread, its commands, its shutdown.
// Threading: see engine_module.h.
#pragma once

#include <memory>

#include "gateway/store/database.h"

#include "gateway/engine/engine_module.h"

namespace sb::gateway {

/// core.db and core.db_sync as DatabaseOptions (an empty core.db: a private in-memory database).
DatabaseOptions database_options(const Config& cfg);

std::unique_ptr<EngineModule> make_store_module();

}  // namespace sb::gateway
