// exec_delivery.cpp: `exec:/path/to/program` event sockets — the program runs once per event,
// as SER's exec module ran one per request (seed "Application Writing"):
//   - environment: SB_EVENT (the name), SB_EVENT_SEQ, SB_EVENT_TIME, SB_DROPPED (events lost
//     before this one), SB_PARAM_<NAME> per param (upper-cased, non-identifier characters as
//     `_`; strings as is, other values as JSON), PATH=/usr/local/bin:/usr/bin:/bin, and for an
//     event raised by a SIP request SER's own names: SIP_HF_<HEADER> per header (upper-cased,
//     `-` as `_`; repeated headers joined with ","), SIP_TID, SIP_DID, SIP_SRCIP, SIP_RURI,
//     SIP_ORURI, SIP_USER, SIP_OUSER. Nothing of the daemon's own environment is passed.
//   - stdin: the JSON-RPC notification (from an unlinked memory file: never blocks the daemon);
//     stdout and stderr: /dev/null.
// At most events.exec_max_running programs run at once per subscription (the next event waits
// in the queue); a program still running after events.exec_timeout_ms is killed (SIGKILL, with
// its process group) and counted. Exit codes are counted per code.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <map>
#include <mutex>
#include <vector>

#include <fmt/format.h>

#include "gateway/events/delivery.h"
#include "transports/net/errno_text.h"

namespace sb::gateway::events {

namespace {

using Clock = std::chrono::steady_clock;

std::string env_name(std::string_view prefix, std::string_view name) {
  std::string s(prefix);
  for (char c : name) s += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : '_';
  return s;
}

/// Environment values cannot hold NUL; they are cut there.
std::string env_value(std::string v) {
  if (auto nul = v.find('\0'); nul != std::string::npos) v.resize(nul);
  return v;
}

class ExecDelivery : public Delivery {
 public:
  ExecDelivery(std::string program, DeliveryLimits limits) : program_(std::move(program)), limits_(std::move(limits)) {}
  ~ExecDelivery() override {
    for (auto& [pid, child] : running_) ::kill(-pid, SIGKILL), ::kill(pid, SIGKILL);
    for (auto& [pid, child] : running_) ::waitpid(pid, nullptr, 0);
  }

  std::string kind() const override { return "exec"; }

  std::string send(const mi::Event& e, std::uint64_t dropped, const std::atomic<bool>& stop) override {
    while (static_cast<int>(running_.size()) >= limits_.exec_max_running) {
      tick();
      if (static_cast<int>(running_.size()) < limits_.exec_max_running) break;
      if (stop.load()) return "stopping: the program slots are busy";
      wait_unless_stopped(std::chrono::milliseconds(20), stop);
    }
    std::vector<std::string> env = environment(e, dropped);
    std::string json = e.jsonrpc(dropped);
    json += '\n';
    int in = ::memfd_create("switchboard-event", MFD_CLOEXEC);
    if (in < 0) return fmt::format("memfd_create: {}", transports::errno_text(errno));
    if (::write(in, json.data(), json.size()) != static_cast<ssize_t>(json.size()) || ::lseek(in, 0, SEEK_SET) != 0) {
      ::close(in);
      return "cannot prepare the program's stdin";
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);  // the daemon blocks signals; the program must not
    sigset_t defaults;
    sigfillset(&defaults);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setpgroup(&attr, 0);  // its own group: a timeout kills its children too
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    std::vector<char*> envp;
    for (auto& s : env) envp.push_back(s.data());
    envp.push_back(nullptr);
    char* argv[] = {program_.data(), nullptr};
    pid_t pid = 0;
    int rc = ::posix_spawn(&pid, program_.c_str(), &fa, &attr, argv, envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    ::close(in);
    if (rc != 0) {
      ++spawn_failures_;
      return fmt::format("cannot run {}: {}", program_, transports::errno_text(rc));
    }
    running_.emplace(pid, Clock::now());
    running_count_ = running_.size();
    ++started_;
    return {};
  }

  void tick() override {
    auto now = Clock::now();
    for (auto it = running_.begin(); it != running_.end();) {
      int status = 0;
      pid_t r = ::waitpid(it->first, &status, WNOHANG);
      if (r == it->first) {
        {
          std::lock_guard lk(mu_);
          if (WIFEXITED(status)) ++exits_[std::to_string(WEXITSTATUS(status))];
          else if (WIFSIGNALED(status)) ++exits_[fmt::format("signal {}", WTERMSIG(status))];
        }
        it = running_.erase(it);
        continue;
      }
      if (now - it->second > limits_.exec_timeout) {
        ::kill(-it->first, SIGKILL);
        ::kill(it->first, SIGKILL);
        ::waitpid(it->first, nullptr, 0);
        ++killed_;
        it = running_.erase(it);
        continue;
      }
      ++it;
    }
    running_count_ = running_.size();
  }

  bool busy() const override { return !running_.empty(); }

  mi::Value state() const override {
    mi::Value exits = mi::Value::object();
    {
      std::lock_guard lk(mu_);
      for (const auto& [code, n] : exits_) exits[code] = n;
    }
    return mi::Value{{"started", started_.load()}, {"running", running_count_.load()}, {"exits", exits},
                     {"killed", killed_.load()}, {"spawn_failures", spawn_failures_.load()}};
  }

 private:
  std::vector<std::string> environment(const mi::Event& e, std::uint64_t dropped) const {
    std::vector<std::string> env{"PATH=/usr/local/bin:/usr/bin:/bin", "SB_EVENT=" + e.spec->name,
                                 fmt::format("SB_EVENT_SEQ={}", e.seq), fmt::format("SB_EVENT_TIME={:.6f}", e.time),
                                 fmt::format("SB_DROPPED={}", dropped)};
    for (const auto& [name, v] : e.params.items())
      env.push_back(env_name("SB_PARAM_", name) + "=" + env_value(v.is_string() ? v.get<std::string>() : mi::to_compact_json(v)));
    if (const mi::SipCause* c = e.cause.get()) {
      std::map<std::string, std::string> headers;
      for (const auto& [name, value] : c->headers) {
        std::string& slot = headers[env_name("SIP_HF_", name)];
        slot += (slot.empty() ? "" : ",") + value;
      }
      for (auto& [k, v] : headers) env.push_back(k + "=" + env_value(v));
      env.push_back("SIP_TID=" + env_value(c->tid));
      env.push_back("SIP_DID=" + env_value(c->did));
      env.push_back("SIP_SRCIP=" + env_value(c->srcip));
      env.push_back("SIP_RURI=" + env_value(c->ruri));
      env.push_back("SIP_ORURI=" + env_value(c->oruri));
      env.push_back("SIP_USER=" + env_value(c->user));
      env.push_back("SIP_OUSER=" + env_value(c->ouser));
    }
    return env;
  }

  std::string program_;
  DeliveryLimits limits_;
  std::map<pid_t, Clock::time_point> running_;  ///< the subscription's thread only
  std::atomic<std::size_t> running_count_{0};
  mutable std::mutex mu_;
  std::map<std::string, std::uint64_t> exits_;  ///< under mu_
  std::atomic<std::uint64_t> started_{0}, killed_{0}, spawn_failures_{0};
};

}  // namespace

std::variant<std::unique_ptr<Delivery>, std::string> make_exec_delivery(const std::string& program,
                                                                        const DeliveryLimits& limits) {
  if (program.empty() || program[0] != '/') return "exec: needs an absolute program path (exec:/usr/local/bin/x)";
  struct stat st {};
  if (::stat(program.c_str(), &st) != 0) return fmt::format("exec: {}: {}", program, transports::errno_text(errno));
  if (!S_ISREG(st.st_mode) || ::access(program.c_str(), X_OK) != 0)
    return fmt::format("exec: {} is not an executable file", program);
  return std::unique_ptr<Delivery>(std::make_unique<ExecDelivery>(program, limits));
}

}  // namespace sb::gateway::events
