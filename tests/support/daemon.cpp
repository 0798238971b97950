// daemon.cpp: start/stop the real daemon for loopback tests.
#include "support/daemon.h"

#include "support/wait.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace sb::test {

namespace {

std::string make_temp_dir() {
  char tmpl[] = "/tmp/sbtest_XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

constexpr std::string_view kSchemaMismatch = "does not match its reply schema";

std::string binary() { return std::string(SB_BIN_DIR) + "/switchboard"; }

pid_t spawn(const std::vector<std::string>& args, const std::string& stderr_path) {
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 2);
      ::dup2(fd, 1);
    }
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

int wait_pid(pid_t pid, std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() > until) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

void write_config(const std::string& path, const std::string& extra) {
  std::ofstream(path) << read_file(std::string(SB_SOURCE_DIR) + "/conf/switchboard.conf") << "\n"
                      << extra << "\n";
}

TestDaemon::TestDaemon(std::vector<std::string> extra_sets, const std::string& extra_config) {
  dir_ = make_temp_dir();
  fifo_ = dir_ + "/fifo";
  reply_dir_ = dir_ + "/replies";
  log_ = dir_ + "/daemon.log";
  unix_socket_ = dir_ + "/dgram.sock";
  ::mkdir(reply_dir_.c_str(), 0700);
  std::string conf = std::string(SB_SOURCE_DIR) + "/conf/switchboard.conf";
  if (!extra_config.empty()) write_config(conf = dir_ + "/switchboard.conf", extra_config);
  std::vector<std::string> args = {binary(), "-c", conf,
                                   "--foreground",
                                   "--set", "fifo.path=" + fifo_,
                                   "--set", "fifo.reply_dir=" + reply_dir_,
                                   "--set", "core.log_level=info",
                                   "--set", "core.validate_replies=on",
                                   "--set", "datagram.unix=" + unix_socket_,
                                   "--set", "datagram.udp=127.0.0.1:0",
                                   "--set", "http.listen=127.0.0.1:0",
                                   "--set", "monitor.listen=127.0.0.1:0",
                                   "--set", "sip.listen=udp:127.0.0.1:0",
                                   "--set", "core.db=" + dir_ + "/switchboard.db",
                                   // The test is the operator: the endpoints that default to
                                   // read_only for unauthenticated local callers (issue #11 trust
                                   // model) are opened up here; tests/security checks the defaults.
                                   "--set", "datagram.udp_role=admin",
                                   "--set", "http.anonymous_role=admin",
                                   "--set", "monitor.anonymous_role=admin"};
  for (const auto& s : extra_sets) {
    args.push_back("--set");
    args.push_back(s);
  }
  pid_ = spawn(args, log_);
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  // Ready when the FIFO exists and the daemon logged "started" (after every transport is up).
  struct stat st {};
  while (::stat(fifo_.c_str(), &st) != 0 || !S_ISFIFO(st.st_mode) ||
         log().find(" started; ") == std::string::npos) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("switchboard exited at start:\n" + log());
    }
    if (std::chrono::steady_clock::now() > until)
      throw std::runtime_error("switchboard did not create its FIFO:\n" + log());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  LoggedPorts ports;
  if (!parse_logged_ports(log(), &ports)) {
    std::string text = log();
    if (stop(SIGKILL) < 0) pid_ = -1;
    throw std::runtime_error("no ports in the start-up log:\n" + text);
  }
  udp_port_ = ports.udp;
  http_port_ = ports.http;
  monitor_port_ = ports.monitor;
  sip_port_ = ports.sip;
}

TestDaemon::~TestDaemon() {
  if (pid_ > 0) {
    if (stop(SIGTERM) < 0) {
      ::kill(pid_, SIGKILL);
      wait_pid(pid_, std::chrono::seconds(5));
    }
  }
  // core.validate_replies is on: a reply that broke its command's declared schema was answered
  // 500 and logged; the test that caused it fails even when it did not look at that reply.
  std::string text = log();
  for (std::size_t at = text.find(kSchemaMismatch); at != std::string::npos;
       at = text.find(kSchemaMismatch, at + 1)) {
    std::size_t eol = text.find('\n', at);
    ADD_FAILURE() << "the daemon sent a reply that does not match its command's reply schema: "
                  << text.substr(at, eol == std::string::npos ? std::string::npos : eol - at);
  }
  std::string cmd = "rm -rf '" + dir_ + "'";
  [[maybe_unused]] int rc = std::system(cmd.c_str());
}

client::FifoReply TestDaemon::call(const std::function<std::string(const std::string&)>& builder,
                                   std::chrono::milliseconds timeout) const {
  client::FifoClientOptions o;
  o.fifo = fifo_;
  o.reply_dir = reply_dir_;
  o.timeout = timeout;
  return client::fifo_call(o, builder);
}

std::string TestDaemon::text(const std::string& cmd, const std::vector<std::string>& params) const {
  auto r = call([&](const std::string& reply) { return client::text_request(cmd, params, reply); });
  return r.ok ? r.text : "(no reply: " + r.error + ")";
}

std::string TestDaemon::json(const std::string& json) const {
  auto r = call([&](const std::string& reply) { return client::json_request(json, reply); });
  return r.ok ? r.text : "(no reply: " + r.error + ")";
}

void TestDaemon::write_raw(const std::string& bytes) const {
  int fd = ::open(fifo_.c_str(), O_WRONLY);
  if (fd < 0) throw std::runtime_error("cannot open the daemon FIFO");
  std::size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

long long TestDaemon::stat(const std::string& name) const {
  std::string reply = text("get_statistics", {name});
  std::string key = name + ":: ";
  auto pos = reply.find("\n" + key);
  if (pos == std::string::npos) return -1;
  return std::atoll(reply.c_str() + pos + 1 + key.size());
}

int TestDaemon::stop(int sig, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, sig);
  return wait_exit(timeout);
}

int TestDaemon::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  int rc = wait_pid(pid_, timeout);
  if (rc >= 0) pid_ = -1;
  return rc;
}

std::string TestDaemon::log() const { return read_file(log_); }

long long wait_stat(const TestDaemon& d, const std::string& name, long long target,
                    std::chrono::milliseconds timeout) {
  long long v = d.stat(name);
  wait_until([&] { return (v = d.stat(name)) >= target; }, timeout);
  return v;
}

namespace {
/// The number after `key` in `line` up to the next non-digit; 0 when `key` is absent.
int number_after(const std::string& line, const std::string& key) {
  auto pos = line.find(key);
  return pos == std::string::npos ? 0 : std::atoi(line.c_str() + pos + key.size());
}
/// The port of "HOST:PORT" ending at `end` in `s` (the digits before it).
int port_before(const std::string& s, std::size_t end) {
  std::size_t start = end;
  while (start > 0 && std::isdigit(static_cast<unsigned char>(s[start - 1]))) --start;
  return start < end ? std::atoi(s.substr(start, end - start).c_str()) : 0;
}
std::string line_with(const std::string& log, const std::string& needle) {
  auto pos = log.find(needle);
  if (pos == std::string::npos) return {};
  auto start = log.rfind('\n', pos);
  start = start == std::string::npos ? 0 : start + 1;
  return log.substr(start, log.find('\n', pos) - start);
}
}  // namespace

bool parse_logged_ports(const std::string& log, LoggedPorts* out) {
  std::string started = line_with(log, " started; ");
  if (started.empty()) return false;
  *out = LoggedPorts{};
  out->http = number_after(started, "; HTTP: port ");
  out->monitor = number_after(started, "; monitor: port ");
  // SIP: the first UDP listener ("udp:127.0.0.1:5062, tcp:…; FIFO…" or "disabled").
  if (auto sip = started.find("; SIP: "); sip != std::string::npos) {
    auto udp = started.find("udp:", sip);
    if (udp != std::string::npos) {
      auto end = started.find_first_of(",; ", udp);
      out->sip = port_before(started, end == std::string::npos ? started.size() : end);
    }
  }
  // Datagram UDP: "udp 127.0.0.1:0 (port 40123)" when bound to port 0, else "udp HOST:PORT".
  std::string dgram = line_with(log, "datagram: listening on ");
  if (auto udp = dgram.find("udp "); udp != std::string::npos) {
    out->udp = number_after(dgram.substr(udp), " (port ");
    if (out->udp == 0) out->udp = port_before(dgram, dgram.find(';', udp));
  }
  return true;
}

std::pair<int, std::string> run_switchboard(const std::vector<std::string>& args) {
  char tmpl[] = "/tmp/sbtest_err_XXXXXX";
  int fd = ::mkstemp(tmpl);
  if (fd >= 0) ::close(fd);
  // No SIP port, no monitor port and no database file unless the test asks (its own --set comes
  // later and wins).
  std::vector<std::string> full = {binary(), "--set", "sip.listen=", "--set", "monitor.listen=",
                                   "--set", "core.db="};
  full.insert(full.end(), args.begin(), args.end());
  pid_t pid = spawn(full, tmpl);
  int rc = wait_pid(pid, std::chrono::seconds(20));
  std::string err = read_file(tmpl);
  ::unlink(tmpl);
  return {rc, err};
}

}  // namespace sb::test
