// core_component.cpp: the [core] configuration keys, documented as conf/switchboard.conf shows
// them (that file is generated from these declarations), and the CoreComponent.
#include "gateway/core/core_component.h"

#include <spdlog/spdlog.h>

#include "gateway/daemon/logging.h"

#include "gateway/core/system_commands.h"

#include <fmt/format.h>

#include "gateway/modules/modules_component.h"

namespace sb::gateway {

namespace {

std::string db_sync(std::string_view v) {
  return v == "normal" || v == "full" ? std::string() : fmt::format("'{}' is neither normal nor full", v);
}

// clang-format off
const ConfigSection kCoreSection = {
    .name = "core",
    .keys = {
     {.section = "core", .key = "log_level", .type = KeyType::log_level, .default_value = "info",
      .help = "Log threshold: trace|debug|info|warn|error|critical|off.",
      .doc = "Log threshold: trace, debug, info, warn, error, critical or off. `info` logs start-up,\n"
             "shutdown and warnings; `debug` also logs every management command. The `log_level` MI command\n"
             "changes it at run time. Default: info.", .live = true},
     {.section = "core", .key = "log_file", .type = KeyType::string, .default_value = "",
      .help = "Append the log to this file; empty = standard error (discarded once daemonized).",
      .path = true,
      .doc = "File the log is appended to. Empty: standard error. A daemon started without --foreground has\n"
             "no terminal, so set a file here (or run it in the foreground under a supervisor) if you want\n"
             "its log. A missing file is created 0600 (the log names users, addresses and commands); a\n"
             "symbolic link is refused. Client-supplied text is logged with control bytes escaped (\\xHH).\n"
             "Default: empty."},
     {.section = "core", .key = "pid_file", .type = KeyType::string, .default_value = "",
      .help = "Write the daemon's pid here while it runs; empty = no pid file.",
      .path = true,
      .doc = "Pid file written once the daemon has started and removed when it stops. Start-up is refused\n"
             "while the file names a process that is still alive (a stale file is replaced). Use a directory\n"
             "only the daemon's user can write, e.g. /run/switchboard/switchboard.pid. It is written under a\n"
             "new temporary name (O_EXCL, never through a link) and renamed into place; an existing pid file\n"
             "that is a symbolic link is refused. Default: empty (none)."},
     {.section = "core", .key = "workers_min", .type = KeyType::integer, .default_value = "2",
      .help = "MI worker threads kept running.",
      .min = 1, .max = 256, .at_most = "core.workers_max",
      .doc = "Number of MI worker threads kept running to execute management commands (1..256). The pool\n"
             "grows on demand when all workers are busy. Default: 2."},
     {.section = "core", .key = "workers_max", .type = KeyType::integer, .default_value = "64",
      .help = "Upper bound of MI worker threads (>= core.workers_min).",
      .min = 1, .max = 4096,
      .doc = "Upper bound on MI worker threads (1..4096); must be >= workers_min. When every worker is busy,\n"
             "further commands wait in a queue. Default: 64."},
     {.section = "core", .key = "call_timeout_ms", .type = KeyType::integer, .default_value = "60000",
      .help = "Milliseconds before a still-running command is answered with 408.",
      .min = 100, .max = 3'600'000,
      .doc = "Milliseconds a command may run (100..3600000). A caller still waiting after this gets\n"
             "`408 Request Timeout`; the command itself is not interrupted. Default: 60000 (one minute)."},
     {.section = "core", .key = "shutdown_timeout_ms", .type = KeyType::integer, .default_value = "5000",
      .help = "Milliseconds SIGTERM/SIGINT waits for in-flight commands before exiting.",
      .max = 600'000,
      .doc = "Milliseconds a graceful shutdown (SIGTERM, SIGINT or the `kill` command) waits for commands\n"
             "still running before the daemon exits anyway (0..600000). Default: 5000."},
     {.section = "core", .key = "db", .type = KeyType::string, .default_value = "./var/switchboard.db",
      .help = "SQLite database (subscribers, usrloc, provisioning); empty = in memory, lost at "
              "exit.",
      .path = true, .shipped = "../var/switchboard.db",
      .doc = "SQLite database holding the subscribers and the registered bindings (usrloc), later the\n"
             "provisioning data. Its directory is created when missing (0750); the file is created 0600 (it\n"
             "holds HA1 hashes and trunk secrets; an existing one readable by others is narrowed to 0600).\n"
             "A relative path is relative to the directory of THIS FILE (as for every path key in it:\n"
             "log_file, pid_file, fifo.path, datagram.unix, http.tls_cert, http.tls_key), so the daemon\n"
             "finds the same database wherever it is started from; a relative --set value stays relative\n"
             "to the working directory. Every change a command or a REGISTER acknowledges is committed\n"
             "before the reply. A new (empty) database is logged at warn. The lock `<db>.lock` next to it\n"
             "keeps a second daemon with this configuration from starting (it names the running pid).\n"
             "Empty: an in-memory database, lost at exit. Default: ./var/switchboard.db (built-in default,\n"
             "relative to the working directory)."},
     {.section = "core", .key = "db_sync", .type = KeyType::string, .default_value = "normal",
      .help = "normal: a commit survives a crash or kill -9; full: also a power loss (an fsync per "
              "commit).",
      .check = db_sync,
      .doc = "Durability of a commit: `normal` survives a crash or kill -9 of the daemon (WAL mode);\n"
             "`full` also survives a power loss, at the cost of one fsync per commit. Default: normal."},
     {.section = "core", .key = "max_nesting", .type = KeyType::integer, .default_value = "64",
      .help = "Deepest nesting of arrays/objects (JSON) or array/struct values (XML-RPC) in a "
              "request; deeper ones are refused (-32600) before they are parsed.",
      .min = 8, .max = 1024,
      .doc = "Deepest nesting of arrays/objects in a JSON request (every JSON entry point: HTTP /mi, the\n"
             "FIFO and datagram JSON dialects) and of array/struct values in an XML-RPC request (8..1024).\n"
             "Deeper requests are refused with -32600 (naming this key) BEFORE a parser builds them: 50 000\n"
             "nested arrays fit in 100 KB and would overflow the stack of any recursive copy. Default: 64."},
     {.section = "core", .key = "max_batch", .type = KeyType::integer, .default_value = "100",
      .help = "Most requests in one JSON-RPC batch or XML-RPC system.multicall (more: -32600).",
      .min = 1, .max = 100'000,
      .doc = "Most requests in one JSON-RPC batch or XML-RPC system.multicall, on every transport\n"
             "(1..100000); a longer one is refused as a whole with -32600 naming this key. Default: 100."},
     {.section = "core", .key = "validate_replies", .type = KeyType::boolean, .default_value = "off",
      .help = "Check every reply against its command's declared reply schema (500 on a mismatch).",
      .doc = "Check every successful reply against the reply schema its command declares (the schemas\n"
             "`help <cmd>`, system.methodSignature and the API document show) and answer a reply that\n"
             "does not match with `500 Reply does not match its schema`, logged at error with the path\n"
             "that differs. For tests and for trying a new module: every test daemon turns it on. It\n"
             "costs a copy and a walk of each reply. Default: off."},
    },
    .outro = {
        "---- Local trust model -------------------------------------------------------------------------\n"
        "Who may run which commands is decided per transport, the same way every time:\n"
        "  FIFO, unix datagram socket : trusted by FILE PERMISSIONS (as SER/OpenSIPS): whoever can write\n"
        "                               them is admin, so keep their modes 0660 and their group small.\n"
        "  UDP datagrams              : OFF by default; when on, every request gets datagram.udp_role\n"
        "                               (read_only by default): datagrams carry no credentials.\n"
        "  HTTP                       : with no credentials configured (loopback only), every request\n"
        "                               gets http.anonymous_role (read_only by default); with basic_auth\n"
        "                               or tokens, every request must authenticate (401 otherwise) and\n"
        "                               gets its credential's role.\n"
        "  monitor (telnet)           : monitor.anonymous_role (read_only by default) until\n"
        "                               `login <monitor.password>` (admin).\n"
        "So on a default install no local process (nor a web page its user visits) can flush, change or\n"
        "kill anything except through the FIFO/unix socket, whose permissions the operator controls.\n"
        "To get the old \"any local process is admin\" behaviour, set the three roles to admin.",
    },
};
// clang-format on

const ModulesComponent* modules_of(Runtime& rt) {
  return dynamic_cast<const ModulesComponent*>(rt.find ? rt.find("modules") : nullptr);
}

}  // namespace

mi::DecodeLimits decode_limits(const Config& cfg) {
  return mi::DecodeLimits{static_cast<std::size_t>(cfg.get_int("core.max_nesting")),
                          static_cast<std::size_t>(cfg.get_int("core.max_batch"))};
}

mi::DispatcherOptions dispatcher_options(const Config& cfg) {
  mi::DispatcherOptions o;
  o.min_workers = static_cast<std::size_t>(cfg.get_int("core.workers_min"));
  o.max_workers = static_cast<std::size_t>(cfg.get_int("core.workers_max"));
  o.call_timeout = std::chrono::milliseconds(cfg.get_int("core.call_timeout_ms"));
  o.validate_replies = cfg.get_bool("core.validate_replies");
  return o;
}

void CoreComponent::declare(ConfigSchema& schema) const { schema.add(kCoreSection); }

void CoreComponent::configure(const Config& cfg) {
  schema_ = &cfg.schema();
  mi::set_decode_limits(decode_limits(cfg));
}

void CoreComponent::register_commands(Runtime& rt) {
  ctx_.request_shutdown = rt.request_shutdown;
  ctx_.request_reload = rt.request_reload;
  ctx_.is_loadable_module = [&rt](std::string_view m) {
    const ModulesComponent* modules = modules_of(rt);
    return modules && modules->host().has(m);
  };
  ctx_.components = [&rt] {
    return rt.components ? rt.components() : std::vector<std::tuple<std::string, bool, std::string>>{};
  };
  register_core_commands(rt.registry, rt.stats, ctx_);
  register_system_commands(rt.registry, rt.stats, ctx_);
}

void CoreComponent::reload(const Config& cfg) {
  if (auto level = parse_log_level(cfg.get_string("core.log_level")); level && *level != spdlog::get_level()) {
    spdlog::set_level(*level);
    spdlog::info("log level set to {} (reload)", cfg.get_string("core.log_level"));
  }
}

void CoreComponent::start(Runtime& rt) {
  // `arg` shows the command line without secrets (config keys and module params marked so).
  const ModulesComponent* modules = modules_of(rt);
  ctx_.argv = mask_command_line(
      *schema_, rt.argv,
      [](std::string_view module, std::string_view key, const void* host) {
        return !host || static_cast<const ModuleHost*>(host)->secret_param(module, key);
      },
      modules ? &modules->host() : nullptr);
}

}  // namespace sb::gateway
