// main.cpp: the `switchboard` daemon — command line, start-up, and graceful shutdown.
//
// Purpose: parse the command line (CLI11), load the configuration (gateway/config), set up
// logging, detach into the background unless --foreground, build the MI core (registry,
// statistics, dispatcher), register the core commands, load the modules ([modules], see
// gateway/modules/), start the transports, write the pid file, then wait for SIGTERM/SIGINT and
// shut down in order: stop accepting, let in-flight calls finish within
// core.shutdown_timeout_ms, run the modules' destroy hooks, remove the FIFO and the pid file.
// Threading: everything here runs on the main thread. Signals are blocked before the first
// thread is created and collected with sigwaitinfo(); other threads ask for a shutdown with
// request_stop() (the `kill` command).
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "gateway/config/config.h"
#include "gateway/core/core_commands.h"
#include "gateway/daemon/daemonize.h"
#include "gateway/daemon/instance_lock.h"
#include "gateway/daemon/logging.h"
#include "gateway/daemon/pid_file.h"
#include "gateway/daemon/signals.h"
#include "gateway/engine/sip_gateway.h"
#include "gateway/modules/module_loader.h"
#include "mi/dispatcher.h"
#include "mi/threads.h"
#include "transports/datagram/datagram_transport.h"
#include "transports/fifo/fifo_transport.h"
#include "transports/http/http_transport.h"
#include "transports/http/xmlrpc_endpoint.h"
#include "transports/monitor/monitor_transport.h"

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
  std::vector<std::string> sets;
};

const char* kDescription =
    "switchboard: a SIP gateway whose management (MI) commands are served by thin transports.\n\n"
    "Reads the ini configuration FILE (plus --set overrides), creates the management FIFO and\n"
    "serves MI commands until SIGTERM or SIGINT (or the `kill` MI command). Shutdown is graceful:\n"
    "new requests are refused, running commands get core.shutdown_timeout_ms to finish, then\n"
    "the FIFO and the pid file are removed. Without --foreground the daemon detaches into the\n"
    "background once start-up has succeeded; the launching process then exits 0 (or 1, printing\n"
    "the start-up error). SIGHUP is logged and ignored.\n";

std::string footer() {
  return "CONFIGURATION KEYS (ini: [section] then key = value; each one can be overridden with\n"
         "--set section.key=value; an empty value disables an endpoint, e.g. --set fifo.path=):\n" +
         gateway::config_reference(2) +
         "\nEXAMPLES:\n"
         "  switchboard -c conf/switchboard.conf --check-config\n"
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

/// Everything after the (optional) fork: runs the daemon until a stop signal.
int serve(const gateway::Config& cfg, const Options& opt, std::vector<std::string> argv,
          Reporter& report, gateway::Detached* detached) {
  gateway::block_signals();  // before the first thread: every thread inherits the mask
  mi::ThreadTag tag("main");
  spdlog::info("switchboard {} starting (pid {}, config {})", SB_VERSION, ::getpid(),
               opt.config_file);

  mi::set_decode_limits(gateway::decode_limits(cfg));
  mi::Registry registry;
  mi::Statistics stats;
  gateway::CoreContext ctx;
  ctx.argv = std::move(argv);
  ctx.request_shutdown = gateway::request_stop;
  // The SIP commands always exist; without `sip.listen` the engine does not start and they
  // answer 503.
  auto sip = std::make_unique<gateway::SipGateway>(gateway::sip_gateway_config(cfg), stats);
  const bool sip_on = !cfg.get_string("sip.listen").empty();
  try {
    gateway::register_core_commands(registry, stats, ctx);
    transports::register_xmlrpc_commands(registry);
    sip->register_commands(registry);
  } catch (const mi::RegistryError& e) {
    return report.fail(e.what());
  }
  mi::Dispatcher dispatcher(registry, stats, gateway::dispatcher_options(cfg));
  gateway::ModuleHost modules;  // after the dispatcher: destroyed (destroy hooks) before it
  ctx.is_loadable_module = [&modules](std::string_view m) { return modules.has(m); };
  try {
    gateway::register_module_commands(registry, modules);
    modules.load_all(gateway::module_settings(cfg), registry);
  } catch (const std::runtime_error& e) {  // ModuleError, RegistryError
    return report.fail(e.what());
  }
  // `arg` shows the command line without secrets (config keys and module params marked so).
  ctx.argv = gateway::mask_command_line(
      ctx.argv,
      [](std::string_view module, std::string_view key, const void* host) {
        return static_cast<const gateway::ModuleHost*>(host)->secret_param(module, key);
      },
      &modules);
  if (sip_on) {
    try {
      sip->start(dispatcher);
    } catch (const gateway::EngineError& e) {
      return report.fail(fmt::format("SIP engine: {}", e.what()));
    }
  }

  std::unique_ptr<transports::FifoTransport> fifo;
  if (auto fc = gateway::fifo_config(cfg); !fc.path.empty()) {
    fifo = std::make_unique<transports::FifoTransport>(std::move(fc), dispatcher);
    try {
      fifo->start();
    } catch (const transports::FifoError& e) {
      return report.fail(e.what());
    }
  }

  std::unique_ptr<transports::DatagramTransport> datagram;
  if (auto dc = gateway::datagram_config(cfg); !dc.unix_path.empty() || !dc.udp.empty()) {
    datagram = std::make_unique<transports::DatagramTransport>(std::move(dc), dispatcher);
    try {
      datagram->start();
    } catch (const transports::DatagramError& e) {
      if (fifo) fifo->stop_accepting();
      return report.fail(e.what());
    }
  }
  std::unique_ptr<transports::HttpTransport> http;
  if (auto hc = gateway::http_config(cfg); !hc.listen.empty()) {
    http = std::make_unique<transports::HttpTransport>(std::move(hc), dispatcher);
    try {
      http->start();
    } catch (const transports::HttpError& e) {
      if (fifo) fifo->stop_accepting();
      if (datagram) datagram->stop_accepting();
      return report.fail(e.what());
    }
  }
  std::unique_ptr<transports::MonitorTransport> monitor;
  if (auto mc = gateway::monitor_config(cfg); !mc.listen.empty()) {
    monitor = std::make_unique<transports::MonitorTransport>(std::move(mc), dispatcher);
    try {
      monitor->start();
    } catch (const transports::MonitorError& e) {
      if (fifo) fifo->stop_accepting();
      if (datagram) datagram->stop_accepting();
      if (http) http->stop_accepting();
      return report.fail(e.what());
    }
  }

  std::optional<gateway::PidFile> pid_file;
  if (const auto& path = cfg.get_string("core.pid_file"); !path.empty()) {
    try {
      pid_file.emplace(path);
    } catch (const gateway::PidFileError& e) {
      if (fifo) fifo->stop_accepting();
      if (datagram) datagram->stop_accepting();
      if (http) http->stop_accepting();
      if (monitor) monitor->stop_accepting();
      return report.fail(e.what());
    }
  }
  if (detached) detached->ready();
  std::string sip_where;
  for (const auto& l : sip->listening())
    sip_where += (sip_where.empty() ? "" : ", ") + l;
  spdlog::info("switchboard {} started; FIFO: {}; datagram: {}; HTTP: {}; monitor: {}; SIP: {}",
               SB_VERSION, fifo ? fifo->config().path : std::string("disabled"),
               datagram ? std::string("on") : std::string("disabled"),
               http ? "port " + std::to_string(http->port()) : std::string("disabled"),
               monitor ? "port " + std::to_string(monitor->port()) : std::string("disabled"),
               sip_on ? sip_where : std::string("disabled"));

  gateway::StopSignal sig = gateway::wait_for_stop_signal();
  milliseconds grace(cfg.get_int("core.shutdown_timeout_ms"));
  auto deadline = Clock::now() + grace;
  spdlog::info("{} from pid {}: shutting down ({} MI requests in flight, {} SIP calls up; waiting "
               "up to {} ms)",
               signal_name(sig.signo), sig.sender, dispatcher.in_flight(),
               stats.gauge("calls", "active_calls").get(), grace.count());
  if (fifo) fifo->stop_accepting();
  if (datagram) datagram->stop_accepting();
  if (http) http->stop_accepting();
  if (monitor) monitor->stop_accepting();
  dispatcher.stop_accepting();
  bool idle = dispatcher.wait_idle(grace);
  if (fifo) fifo->finish(remaining(deadline));
  if (datagram) datagram->finish(remaining(deadline));
  if (http) http->finish(remaining(deadline));
  if (monitor) monitor->finish(remaining(deadline));
  sip->stop(remaining(deadline));
  if (!idle) {
    // A handler that never returns would block the worker join forever: leave without it.
    spdlog::warn("{} MI requests still running after {} ms; exiting without waiting for them",
                 dispatcher.in_flight(), grace.count());
    pid_file.reset();
    spdlog::info("stopped");
    spdlog::shutdown();
    std::_Exit(kExitOk);
  }
  modules.unload();
  dispatcher.stop();
  pid_file.reset();
  spdlog::info("stopped");
  return kExitOk;
}

/// --check-config: loads and configures the modules and registers their commands next to the
/// core ones (so duplicates show), without running their init hooks.
void check_modules(const gateway::Config& cfg) {
  mi::Registry registry;
  mi::Statistics stats;
  gateway::CoreContext ctx;
  gateway::ModuleHost modules;
  gateway::register_core_commands(registry, stats, ctx);
  transports::register_xmlrpc_commands(registry);
  gateway::SipGateway sip(gateway::sip_gateway_config(cfg), stats);  // so a module cannot take
  sip.register_commands(registry);                                   // the SIP commands' names
  gateway::register_module_commands(registry, modules);
  modules.load_all(gateway::module_settings(cfg), registry, /*run_init=*/false);
}

int run(const Options& opt, std::vector<std::string> argv) {
  gateway::Config cfg;
  try {
    cfg = gateway::load_config(opt.config_file, opt.sets);
  } catch (const gateway::ConfigError& e) {
    std::fprintf(stderr, "switchboard: %s\n", e.what());
    return kExitError;
  }
  if (opt.check_config) {
    try {
      check_modules(cfg);
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
  app.add_option("-c,--config", opt.config_file,
                 "ini configuration file, documented key by key in\n"
                 "conf/switchboard.conf")
      ->required()
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
  app.set_version_flag("--version", std::string("switchboard ") + SB_VERSION,
                       "print 'switchboard <version>' and exit");
  app.footer(footer());
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  return run(opt, std::vector<std::string>(argv, argv + argc));
}
