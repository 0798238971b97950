// main.cpp: the `switchboard` daemon — command line, start-up, and graceful shutdown.
//
// Purpose: parse the command line (CLI11), load the configuration (the schema every component
// declares, gateway/daemon/components.h), set up logging, detach into the background unless
// --foreground, then drive the components (gateway/component/component.h) through one loop:
// configure, register commands, build the dispatcher, start in order, write the pid file; wait
// for SIGTERM/SIGINT and shut down in reverse order: stop accepting, let in-flight calls finish
// within core.shutdown_timeout_ms, release (modules' destroy hooks), remove the pid file.
// The daemon names no component: adding one is a line in gateway/daemon/components.cpp.
// Threading: everything here runs on the main thread. Signals are blocked before the first
// thread is created and collected with sigwaitinfo(); other threads ask for a shutdown with
// request_stop() (the `kill` command).
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "transports/rest/openapi.h"
#include "gateway/config/config.h"
#include "gateway/config/config_file.h"
#include "gateway/config/man_page.h"
#include "gateway/core/core_component.h"
#include "gateway/daemon/components.h"
#include "gateway/daemon/daemonize.h"
#include "gateway/daemon/instance_lock.h"
#include "gateway/daemon/logging.h"
#include "gateway/daemon/pid_file.h"
#include "gateway/daemon/reloader.h"
#include "gateway/daemon/service_manager.h"
#include "gateway/daemon/signals.h"
#include "mi/dispatcher.h"
#include "mi/threads.h"

namespace {

using namespace sb;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kExitOk = 0;
constexpr int kExitError = 1;  // configuration or start-up error
constexpr int kExitUsage = 2;  // bad command line

struct Options {
  std::string config_file;
  bool foreground = false;
  bool check_config = false;
  bool print_config = false;
  std::vector<std::string> sets;
};

const char* kDescription =
    "switchboard: a SIP gateway whose management (MI) commands are served by thin transports.\n\n"
    "Reads the ini configuration FILE (plus --set overrides), creates the management FIFO and\n"
    "serves MI commands until SIGTERM or SIGINT (or the `kill` MI command). Shutdown is graceful:\n"
    "new requests are refused, running commands get core.shutdown_timeout_ms to finish, then\n"
    "the FIFO and the pid file are removed. Without --foreground the daemon detaches into the\n"
    "background once start-up has succeeded; the launching process then exits 0 (or 1, printing\n"
    "the start-up error). SIGHUP (or the `reload` MI command) reads FILE again and applies the\n"
    "keys that can change live (core.log_level; registrar.auth, realm, min_expires, max_expires,\n"
    "default_expires, max_contacts), logging every other changed key as needing a restart.\n\n"
    "Under a service manager speaking systemd's notify protocol ($NOTIFY_SOCKET; Type=notify in\n"
    "conf/packaging/switchboard.service) it sends READY=1 once every listener is bound and STOPPING=1 when\n"
    "a shutdown begins; with a watchdog (WatchdogSec=, $WATCHDOG_USEC) it sends WATCHDOG=1 every\n"
    "quarter interval while the SIP engine's loop turns, and stops (logging why) when the engine\n"
    "has not turned for half the interval, so that the service manager restarts it.\n";

std::string footer() {
  return "CONFIGURATION KEYS (ini: [section] then key = value; each one can be overridden with\n"
         "--set section.key=value; an empty value disables an endpoint, e.g. --set fifo.path=):\n" +
         gateway::config_reference(gateway::daemon_schema(), 2) +
         "\nEXAMPLES:\n"
         "  switchboard -c conf/switchboard.conf --check-config\n"
         "  switchboard --print-config > /etc/switchboard.conf   (every key documented)\n"
         "  switchboard -c conf/switchboard.conf --foreground --set core.log_level=debug\n"
         "  switchboard -c /etc/switchboard.conf --set core.pid_file=/run/switchboard.pid\n"
         "  switchboard -c conf/switchboard.conf --set modules.path=build/modules \\\n"
         "      --set modules.load=example.so --set module.example.greeting=Hi\n"
         "      (loadable modules: see gateway/modules/README.md)\n"
         "  printf ':uptime:reply\\n\\n' > var/run/switchboard_fifo   (see transports/fifo/README.md)\n"
         "  telnet 127.0.0.1 54322   (the ISGW status monitor; see transports/monitor/README.md)\n"
         "\nEXIT STATUS:\n"
         "  0  success: --help, --version, a valid --check-config, or a graceful shutdown\n"
         "  1  configuration or start-up error, printed on stderr as `switchboard: <message>`\n"
         "  2  command-line usage error\n";
}

/// Start-up failures go to the terminal: directly in the foreground, via the launcher otherwise.
class Reporter {
 public:
  explicit Reporter(bool log_to_file) : log_to_file_(log_to_file) {}
  void set_detached(gateway::Detached* d) { detached_ = d; }
  int fail(const std::string& message) {
    if (log_to_file_) spdlog::critical("{}", message);
    if (detached_) detached_->fail(message);
    else std::fprintf(stderr, "switchboard: %s\n", message.c_str());
    return kExitError;
  }

 private:
  bool log_to_file_;
  gateway::Detached* detached_ = nullptr;
};

const char* signal_name(int sig) { return sig == SIGINT ? "SIGINT" : "SIGTERM"; }

milliseconds remaining(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? left : milliseconds(0);
}

using Components = std::vector<std::unique_ptr<gateway::Component>>;

/// Shutdown in reverse start order: stop accepting, then finish within the deadline.
/// Waits for a stop signal; meanwhile, when the service manager asked for a watchdog, feeds it
/// every quarter interval while the SIP engine's loop turns (service_manager.h).
gateway::StopSignal wait_with_watchdog(const std::function<void()>& on_hup) {
  using namespace gateway::service;
  const auto interval = watchdog_interval();
  if (interval.count() <= 0) return gateway::wait_for_stop_signal({}, milliseconds(0), on_hup);
  spdlog::info("watchdog: every {} ms, fed while the SIP engine's loop turns",
               std::chrono::duration_cast<milliseconds>(interval).count());
  bool stalled = false;
  auto tick = [&] {
    auto age = engine_heartbeat().age();
    if (alive_for_watchdog(age, interval)) {
      notify_watchdog();
      if (stalled) spdlog::info("watchdog: the SIP engine turns again");
      stalled = false;
    } else if (!stalled) {
      stalled = true;
      spdlog::error("watchdog: the SIP engine's loop has not turned for {} ms: the watchdog is no longer fed "
                    "(the service manager restarts the daemon)",
                    std::chrono::duration_cast<milliseconds>(*age).count());
    }
  };
  return gateway::wait_for_stop_signal(
      tick, std::max(milliseconds(1), std::chrono::duration_cast<milliseconds>(interval / 4)), on_hup);
}

void stop_components(const std::vector<gateway::Component*>& started, Clock::time_point deadline) {
  for (auto it = started.rbegin(); it != started.rend(); ++it) (*it)->stop_accepting();
  for (auto it = started.rbegin(); it != started.rend(); ++it) (*it)->finish(remaining(deadline));
}

void release_components(const Components& components) {
  for (auto it = components.rbegin(); it != components.rend(); ++it) (*it)->release();
}

/// Configures every component and registers its commands (the modules are loaded here).
void register_components(const Components& components, const gateway::Config& cfg,
                         gateway::Runtime& rt) {
  rt.find = [&components](std::string_view name) -> gateway::Component* {
    for (const auto& c : components)
      if (c->name() == name) return c.get();
    return nullptr;
  };
  for (const auto& c : components) c->configure(cfg);
  for (const auto& c : components) c->register_commands(rt);
}

/// Everything after the (optional) fork: runs the daemon until a stop signal.
int serve(const gateway::Config& cfg, const Options& opt, std::vector<std::string> argv,
          Reporter& report, gateway::Detached* detached) {
  gateway::block_signals();  // before the first thread: every thread inherits the mask
  mi::ThreadTag tag("main");
  spdlog::info("switchboard {} starting (pid {}, config {})", SB_VERSION, ::getpid(),
               opt.config_file);

  mi::Registry registry;
  mi::Statistics stats;
  mi::EventBus events(registry.events(), stats);
  events.validate_params(cfg.get_bool("core.validate_replies"));
  Components components = gateway::make_components();
  // The `reload` command reaches the main thread through it once everything has started.
  auto reloader = std::make_shared<std::optional<gateway::Reloader>>();
  gateway::Runtime rt{.registry = registry, .stats = stats, .dispatcher = nullptr,
                      .argv = std::move(argv), .request_shutdown = gateway::request_stop,
                      .request_reload = [reloader]() -> mi::Value {
                        if (!reloader->has_value()) throw std::runtime_error("the daemon is still starting");
                        return (*reloader)->request();
                      },
                      .check_only = false, .find = {}, .components = {}, .events = &events,
                      .announcements = {}};
  try {
    register_components(components, cfg, rt);
  } catch (const std::runtime_error& e) {  // ModuleError, RegistryError
    release_components(components);
    return report.fail(e.what());
  }
  mi::Dispatcher dispatcher(registry, stats, gateway::dispatcher_options(cfg));
  rt.dispatcher = &dispatcher;
  // What system_info shows of the components: taken once every one has started (their
  // describe() lines do not change afterwards); empty before.
  using ComponentLines = std::vector<std::tuple<std::string, bool, std::string>>;
  auto component_lines = std::make_shared<std::atomic<std::shared_ptr<const ComponentLines>>>();
  rt.components = [component_lines] {
    auto lines = component_lines->load();
    return lines ? *lines : ComponentLines{};
  };
  std::vector<gateway::Component*> started;
  rt.announcements = [&started] {
    std::vector<gateway::Announcement> all;
    for (const auto* c : started)
      for (auto& a : c->announcements()) all.push_back(std::move(a));
    return all;
  };
  try {
    for (const auto& c : components) {
      if (!c->enabled()) continue;
      c->start(rt);
      started.push_back(c.get());
    }
  } catch (const std::runtime_error& e) {
    stop_components(started, Clock::now());
    release_components(components);
    return report.fail(e.what());
  }

  std::optional<gateway::PidFile> pid_file;
  if (const auto& path = cfg.get_string("core.pid_file"); !path.empty()) {
    try {
      pid_file.emplace(path);
    } catch (const gateway::PidFileError& e) {
      stop_components(started, Clock::now());
      release_components(components);
      return report.fail(e.what());
    }
  }
  if (detached) detached->ready();
  {
    auto lines = std::make_shared<ComponentLines>();
    for (const auto& c : components) lines->emplace_back(std::string(c->name()), c->enabled(), c->describe());
    component_lines->store(std::move(lines));
  }
  std::string where;
  for (const auto& c : components)
    if (std::string d = c->describe(); !d.empty()) where += "; " + d;
  spdlog::info("switchboard {} started{}", SB_VERSION, where);
  if (const mi::EventSpec* e = registry.events().find("E_CORE_STARTUP"))
    events.raise(*e, mi::Value{{"version", SB_VERSION}, {"pid", ::getpid()}});

  gateway::service::notify_ready(fmt::format("switchboard {} started{}", SB_VERSION, where));
  reloader->emplace(opt.config_file, opt.sets, cfg, started);
  gateway::StopSignal sig = wait_with_watchdog([&reloader] { (*reloader)->on_signal(); });
  if (const mi::EventSpec* e = registry.events().find("E_CORE_SHUTDOWN"))
    events.raise(*e, mi::Value{{"reason", sig.sender > 0 ? fmt::format("{} from pid {}", signal_name(sig.signo), sig.sender)
                                                          : std::string(signal_name(sig.signo))}});
  milliseconds grace(cfg.get_int("core.shutdown_timeout_ms"));
  auto deadline = Clock::now() + grace;
  gateway::service::notify_stopping(fmt::format("{} from pid {}: shutting down", signal_name(sig.signo), sig.sender));
  spdlog::info("{} from pid {}: shutting down ({} MI requests in flight, {} SIP calls up; waiting "
               "up to {} ms)",
               signal_name(sig.signo), sig.sender, dispatcher.in_flight(),
               stats.gauge("calls", "active_calls").get(), grace.count());
  for (auto it = started.rbegin(); it != started.rend(); ++it) (*it)->stop_accepting();
  dispatcher.stop_accepting();
  bool idle = dispatcher.wait_idle(grace);
  for (auto it = started.rbegin(); it != started.rend(); ++it) (*it)->finish(remaining(deadline));
  if (!idle) {
    // A handler that never returns would block the worker join forever: leave without it.
    spdlog::warn("{} MI requests still running after {} ms; exiting without waiting for them",
                 dispatcher.in_flight(), grace.count());
    pid_file.reset();
    spdlog::info("stopped");
    spdlog::shutdown();
    std::_Exit(kExitOk);
  }
  release_components(components);
  dispatcher.stop();
  pid_file.reset();
  spdlog::info("stopped");
  return kExitOk;
}

/// --check-config: configures every component and registers its commands (so duplicates
/// show), loading the modules without running their init hooks; nothing starts.
/// Every component's commands, registered as at start-up but with nothing started (the
/// handlers are never called: the components are gone when this returns).
void register_only(const gateway::Config& cfg, mi::Registry& registry) {
  mi::Statistics stats;
  mi::EventBus events(registry.events(), stats);
  Components components = gateway::make_components();
  gateway::Runtime rt{.registry = registry, .stats = stats, .dispatcher = nullptr, .argv = {},
                      .request_shutdown = {}, .request_reload = {}, .check_only = true, .find = {}, .components = {},
                      .events = &events, .announcements = {}};
  register_components(components, cfg, rt);
}

void check_components(const gateway::Config& cfg) {
  mi::Registry registry;
  register_only(cfg, registry);
}

/// --openapi: the REST API's document for the built-in commands (the default configuration:
/// the committed openapi/switchboard.json is this output).
int print_openapi() {
  try {
    mi::Registry registry;
    register_only(gateway::load_daemon_config("", {}), registry);
    std::fputs(transports::rest::openapi_text(registry).c_str(), stdout);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "switchboard: %s\n", e.what());
    return kExitError;
  }
  return std::fflush(stdout) == 0 ? kExitOk : kExitError;
}

/// --print-commands: every built-in command and its params, "name param…" one per line (the
/// static list sbctl's shell completion falls back to without a running daemon).
int print_commands() {
  try {
    mi::Registry registry;
    register_only(gateway::load_daemon_config("", {}), registry);
    for (const mi::CommandSpec* c : registry.all()) {
      std::string line = c->name;
      for (const auto& p : c->params) line += " " + p.name;
      std::puts(line.c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "switchboard: %s\n", e.what());
    return kExitError;
  }
  return std::fflush(stdout) == 0 ? kExitOk : kExitError;
}

int run(const Options& opt, std::vector<std::string> argv) {
  gateway::Config cfg(gateway::daemon_schema());
  try {
    cfg = gateway::load_daemon_config(opt.config_file, opt.sets);
  } catch (const gateway::ConfigError& e) {
    std::fprintf(stderr, "switchboard: %s\n", e.what());
    return kExitError;
  }
  if (opt.check_config) {
    try {
      check_components(cfg);
    } catch (const std::runtime_error& e) {  // ModuleError, RegistryError
      std::fprintf(stderr, "switchboard: %s\n", e.what());
      return kExitError;
    }
    std::printf("configuration OK: %s\n", opt.config_file.c_str());
    return kExitOk;
  }

  // Every check that needs no thread happens before detaching, so its error reaches the
  // terminal directly; nothing is logged before the fork (spdlog caches thread ids).
  // One daemon per configuration: locked before anything is created or replaced.
  std::optional<gateway::InstanceLock> instance;
  try {
    if (auto lock = gateway::instance_lock_path(cfg.get_string("core.db"), cfg.get_string("fifo.path"),
                                                cfg.get_string("datagram.unix"));
        !lock.empty())
      instance.emplace(lock);
  } catch (const gateway::InstanceLockError& e) {
    std::fprintf(stderr, "switchboard: %s\n", e.what());
    return kExitError;
  }
  const std::string& log_file = cfg.get_string("core.log_file");
  Reporter report(!log_file.empty());
  try {
    gateway::setup_logging(log_file, cfg.get_string("core.log_level"));
    if (const auto& pid = cfg.get_string("core.pid_file"); !pid.empty())
      gateway::check_pid_file(pid);
  } catch (const std::runtime_error& e) {
    std::fprintf(stderr, "switchboard: %s\n", e.what());
    return kExitError;
  }

  std::optional<gateway::Detached> detached;
  if (!opt.foreground) {
    try {
      detached.emplace(gateway::Detached::detach());
    } catch (const std::system_error& e) {
      std::fprintf(stderr, "switchboard: cannot detach: %s\n", e.what());
      return kExitError;
    }
    report.set_detached(&*detached);
    if (instance) instance->write_pid();  // the daemon's pid, not the launcher's
  }
  try {
    return serve(cfg, opt, std::move(argv), report, detached ? &*detached : nullptr);
  } catch (const std::exception& e) {
    return report.fail(e.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Large reply buffers (a batch reply, a dump: up to http.max_reply) are mmapped and so given
  // back to the system when freed. glibc's default threshold grows after such a free, and the
  // next ones then stay in the heap: RSS kept growing after slow clients had left (issue #11).
  ::mallopt(M_MMAP_THRESHOLD, 1 << 20);
  Options opt;
  CLI::App app(kDescription, "switchboard");
  app.get_formatter()->column_width(32);
  auto* config_opt = app.add_option("-c,--config", opt.config_file,
                                    "ini configuration file, documented key by key in\n"
                                    "conf/switchboard.conf")
                         ->type_name("FILE");
  app.add_flag("--foreground", opt.foreground,
               "stay in the foreground (no fork); the log goes to\n"
               "stderr unless core.log_file is set");
  app.add_option("--set", opt.sets,
                 "override one configuration key after FILE is read;\n"
                 "repeatable, the last assignment of a key wins\n"
                 "(e.g. --set fifo.path=/run/sb_fifo)")
      ->type_name("SECTION.KEY=VALUE")
      ->allow_extra_args(false);
  app.add_flag("--check-config", opt.check_config,
               "load and validate the configuration (FILE and --set),\n"
               "print 'configuration OK: FILE' and exit");
  app.add_flag("--print-config", opt.print_config,
               "print the documented configuration file, every key\n"
               "with its help (conf/switchboard.conf is this text),\n"
               "and exit; --set values are written instead of the\n"
               "shipped ones (the installed file's system paths)");
  bool config_man = false;
  app.add_flag("--print-config-man", config_man,
               "print switchboard.conf(5), the manual page of the\n"
               "configuration file (the --print-config text), and exit");
  bool commands = false;
  app.add_flag("--print-commands", commands,
               "print every built-in MI command with its params, one\n"
               "per line (sbctl's shell completion without a daemon),\n"
               "and exit");
  bool openapi = false;
  app.add_flag("--openapi", openapi,
               "print the OpenAPI 3.1 document of the REST API (/api/v1)\n"
               "for the built-in commands (openapi/switchboard.json is\n"
               "this text; the daemon serves it at /api/v1/openapi.json)\n"
               "and exit");
  app.set_version_flag("--version", std::string("switchboard ") + SB_VERSION,
                       "print 'switchboard <version>' and exit");
  app.footer(footer());
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (config_man) {
    std::string conf = gateway::render_config_file(gateway::daemon_schema());
    std::fputs(gateway::render_man_page(
                   "switchboard.conf", 5, std::string("switchboard ") + SB_VERSION, "Switchboard",
                   {{"NAME", "switchboard.conf - the configuration file of switchboard(8)"},
                    {"SYNOPSIS", "/etc/switchboard/switchboard.conf (installed), conf/switchboard.conf (repository)"},
                    {"DESCRIPTION",
                     "An ini file: [section] lines, then key = value lines; '#' starts a comment. Every\n"
                     "key can also be given on switchboard's command line with --set section.key=value,\n"
                     "which wins over the file. Relative paths written in the file are relative to the\n"
                     "file's directory. `switchboard --check-config -c FILE` validates a file.\n"
                     "Below is the file as switchboard --print-config writes it: every key with its\n"
                     "documentation and its default value."},
                    {"FILE", conf},
                    {"SEE ALSO", "switchboard(8), sbctl(8)"}})
                   .c_str(),
               stdout);
    return std::fflush(stdout) == 0 ? kExitOk : kExitError;
  }
  if (opt.print_config) {
    // --set values are written instead of the shipped ones (the installed file: system paths).
    std::map<std::string, std::string> values;
    for (const auto& a : opt.sets) {
      auto eq = a.find('=');
      if (eq == std::string::npos) {
        std::fprintf(stderr, "switchboard: --set %s: expected SECTION.KEY=VALUE\n", a.c_str());
        return kExitUsage;
      }
      values[a.substr(0, eq)] = a.substr(eq + 1);
    }
    try {
      std::fputs(gateway::render_config_file(gateway::daemon_schema(), values).c_str(), stdout);
    } catch (const std::invalid_argument& e) {
      std::fprintf(stderr, "switchboard: %s\n", e.what());
      return kExitUsage;
    }
    return std::fflush(stdout) == 0 ? kExitOk : kExitError;
  }
  if (openapi) return print_openapi();
  if (commands) return print_commands();
  if (config_opt->count() == 0) {
    std::fprintf(stderr, "switchboard: --config is required\nRun with --help for more information.\n");
    return kExitUsage;
  }
  return run(opt, std::vector<std::string>(argv, argv + argc));
}
