// core_component.h: module `core` as a daemon component — the [core] keys (logging, pid file,
// MI workers and timeouts, the database, decoder limits; declared in core_component.cpp), the
// core commands (core_commands.h), and what the daemon itself reads from [core].
// Threading: as gateway::Component (main thread).
#pragma once

#include "gateway/component/component.h"
#include "gateway/core/core_commands.h"
#include "mi/codec/limits.h"

namespace sb::gateway {

/// core.max_nesting and core.max_batch, for mi::set_decode_limits().
mi::DecodeLimits decode_limits(const Config& cfg);
/// The dispatcher's settings from [core] (workers, call timeout).
mi::DispatcherOptions dispatcher_options(const Config& cfg);

class CoreComponent final : public Component {
 public:
  std::string_view name() const override { return "core"; }
  void declare(ConfigSchema& schema) const override;
  /// Applies the decoder limits (process-wide) and keeps the schema for masking `arg`.
  void configure(const Config& cfg) override;
  void register_commands(Runtime& rt) override;
  /// Masks the command line `arg` shows (module parameters are known once modules are loaded).
  void start(Runtime& rt) override;
  /// core.log_level.
  void reload(const Config& cfg) override;

 private:
  const ConfigSchema* schema_ = nullptr;
  CoreContext ctx_;
};

}  // namespace sb::gateway
