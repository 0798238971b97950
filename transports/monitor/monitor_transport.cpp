// monitor_transport.cpp: the monitor's TCP side on Boost.Asio — listening, connection limit,
// per-connection reading, the line queue, writing, timers — running Conversation Steps.
//
// Life of a connection (all on the one I/O thread):
//   accept → over max_connections? one refusal line, close : Session, greeting (overview+prompt)
//   read → TelnetInput → lines queued (reading pauses while kMaxQueuedLines wait: TCP pushes
//     back on the client) → pump(): when no command runs and the previous output is sent, the
//     next line goes to the Conversation; its Step's output is written and its call goes to the
//     dispatcher, whose completion (any thread) is posted back to the I/O thread → on_result().
//   end of input (EOF) → the queued lines still run, then the connection closes; a read or write
//     error closes it at once; so does `q` once "bye" is sent.
// Completions hold the shared Core (io_context, counters) and only a weak_ptr to the Session,
// so a late result after the connection (or the whole transport) has gone is dropped.
#include "transports/monitor/monitor_transport.h"

#include "transports/net/in_flight.h"

#include <array>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "mi/threads.h"
#include "transports/monitor/conversation.h"
#include "transports/monitor/telnet_input.h"
#include "transports/net/address.h"

namespace sb::transports {

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using monitor::Conversation;
using monitor::TelnetInput;

/// Lines typed ahead that wait for their turn; beyond this, reading pauses.
constexpr std::size_t kMaxQueuedLines = 64;
/// Bytes read per read call.
constexpr std::size_t kReadChunk = 4096;
/// Failed logins after which a connection is closed.
constexpr unsigned kMaxLoginFailures = 3;
/// How long finish() lets the I/O thread flush the goodbye lines before stopping it.
constexpr std::chrono::milliseconds kStopGrace{1000};

/// LF → CR LF (telnet NVT line ends); a CR LF already there stays as it is.
std::string to_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 16 + 2);
  char prev = 0;
  for (char c : text) {
    if (c == '\n' && prev != '\r') out += '\r';
    out += c;
    prev = c;
  }
  return out;
}

bool is_loopback(const asio::ip::address& a) {
  if (a.is_loopback()) return true;
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).is_loopback();
  return false;
}

std::string endpoint_text(const tcp::endpoint& e) {
  const auto& a = e.address();
  return a.is_v6() ? fmt::format("[{}]:{}", a.to_string(), e.port())
                   : fmt::format("{}:{}", a.to_string(), e.port());
}

class Session;

}  // namespace

/// What outlives the transport object for late completions: the io_context and the counters.
/// Everything else in it is touched only on the I/O thread.
struct MonitorCore : std::enable_shared_from_this<MonitorCore> {
  MonitorConfig cfg;
  mi::Dispatcher& dispatcher;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  asio::steady_timer accept_retry{io};
  std::unordered_set<std::shared_ptr<Session>> sessions;

  mi::Stat& connections;
  mi::Stat& refused;
  mi::Stat& lines;
  mi::Stat& commands;
  mi::Stat& login_failures;
  mi::Stat& dropped_slow;
  AuthThrottle throttle;

  InFlight flight;  ///< commands dispatched and not yet answered (finish() waits for them)

  MonitorCore(MonitorConfig c, mi::Dispatcher& d)
      : cfg(std::move(c)), dispatcher(d),
        connections(d.statistics().gauge("monitor", "connections")),
        refused(d.statistics().counter("monitor", "connections_refused")),
        lines(d.statistics().counter("monitor", "lines")),
        commands(d.statistics().counter("monitor", "commands")),
        login_failures(d.statistics().counter("monitor", "auth_failures")),
        dropped_slow(d.statistics().counter("monitor", "dropped_slow_clients")),
        throttle(cfg.auth_fail_limit, std::chrono::seconds(60)) {}

  void accept();
  void on_accept(const boost::system::error_code& ec, tcp::socket socket);
  void refuse(tcp::socket socket, const std::string& peer);
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(MonitorCore& core, tcp::socket socket, monitor::ConversationSettings settings)
      : core_(core), socket_(std::move(socket)), idle_timer_(core.io), delay_timer_(core.io),
        login_timer_(core.io),
        input_(core.cfg.max_line), peer_(settings.peer), conversation_(std::move(settings)) {}

  void start() {
    core_.connections.inc();
    touch();
    send(conversation_.greeting());
    arm_idle();
    // A slow client must not hold one of the few connections: its first line has a deadline.
    login_timer_.expires_after(core_.cfg.login_timeout);
    login_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->closed_ || self->got_line_) return;
      spdlog::info("monitor: {} sent no complete line within {} s (monitor.login_timeout_s): "
                   "closing", self->peer_, self->core_.cfg.login_timeout.count());
      self->shutdown_now(fmt::format("\nno command within {} s: closing\n",
                                     self->core_.cfg.login_timeout.count()));
    });
    read();
  }

  /// Closes at once (transport shutdown), with `why` when nothing else is being written.
  void shutdown_now(std::string_view why) {
    if (closed_) return;
    if (!writing_) {
      boost::system::error_code ig;
      socket_.non_blocking(true, ig);
      std::string text = to_crlf(why);
      socket_.write_some(asio::buffer(text), ig);
    }
    close();
  }

 private:
  void touch() { last_activity_ = Clock::now(); }

  void read() {
    if (reading_ || closed_ || input_ended_ || queue_.size() >= kMaxQueuedLines) return;
    reading_ = true;
    socket_.async_read_some(asio::buffer(buf_),
                            [self = shared_from_this()](const boost::system::error_code& ec,
                                                        std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(const boost::system::error_code& ec, std::size_t n) {
    reading_ = false;
    if (closed_) return;
    if (ec == asio::error::eof) {  // the client sent everything: its lines still run
      input_ended_ = true;
      if (input_.pending() > 0) {  // a last line without its line end counts too
        std::vector<TelnetInput::Event> events;
        std::string replies;
        input_.feed("\n", events, replies);
        for (auto& e : events) queue_.push_back(std::move(e));
      }
      pump();
      return;
    }
    if (ec) {
      spdlog::debug("monitor: {}: {}", peer_, ec.message());
      close();
      return;
    }
    touch();
    std::vector<TelnetInput::Event> events;
    std::string replies;
    input_.feed(std::string_view(buf_.data(), n), events, replies);
    if (!replies.empty()) send_raw(std::move(replies));
    if (!events.empty()) got_line_ = true;
    for (auto& e : events) queue_.push_back(std::move(e));
    if (closed_) return;  // the telnet replies overflowed the output queue
    pump();
  }

  /// Runs queued lines while nothing else is in progress, then reads on.
  void pump() {
    while (!closed_ && !busy_ && !writing_ && !close_after_flush_ && !queue_.empty()) {
      TelnetInput::Event e = std::move(queue_.front());
      queue_.pop_front();
      core_.lines.inc();
      execute(e.kind == TelnetInput::Event::Kind::overlong
                  ? conversation_.on_overlong(core_.cfg.max_line)
                  : conversation_.on_line(e.text));
    }
    if (closed_) return;
    if (input_ended_ && queue_.empty() && !busy_ && !close_after_flush_) {
      close_after_flush_ = true;
      if (!writing_) close();
      return;
    }
    read();
  }

  void execute(Conversation::Step step) {
    if (step.delay.count() > 0) {
      busy_ = true;
      delay_timer_.expires_after(step.delay);
      step.delay = {};
      delay_timer_.async_wait([self = shared_from_this(), step = std::move(step)](
                                  const boost::system::error_code& ec) mutable {
        self->busy_ = false;
        if (ec || self->closed_) return;
        self->execute(std::move(step));
        self->pump();
      });
      return;
    }
    if (!step.output.empty()) send(step.output);
    if (step.close) {
      close_after_flush_ = true;
      if (!writing_) close();
      return;
    }
    if (step.call) dispatch(std::move(*step.call));
  }

  void dispatch(mi::Request request) {
    busy_ = true;
    core_.commands.inc();
    core_.flight.begin();
    std::weak_ptr<Session> weak = shared_from_this();
    core_.dispatcher.call(std::move(request), [core = core_.shared_from_this(), weak](mi::Result r) {
      // Always through the I/O thread, also when the dispatcher answers on this one.
      asio::post(core->io, [weak, r = std::move(r)]() mutable {
        if (auto self = weak.lock()) self->on_result(std::move(r));
      });
      core->flight.end();
    });
  }

  void on_result(mi::Result r) {
    busy_ = false;
    if (closed_) return;
    touch();
    execute(conversation_.on_result(std::move(r)));
    pump();
  }

  void send(std::string_view text) { send_raw(to_crlf(text)); }

  void send_raw(std::string bytes) {
    if (closed_) return;
    if (out_bytes_ + bytes.size() > core_.cfg.max_output) {
      if (out_.empty()) {  // one output larger than the whole budget: say so instead
        bytes = to_crlf(fmt::format("output too large ({} bytes > monitor.max_output {}): use "
                                    "sbctl or the FIFO for this command\n",
                                    bytes.size(), core_.cfg.max_output));
      } else {  // the client does not read what it asked for: drop it, not our memory
        core_.dropped_slow.inc();
        spdlog::warn("monitor: {} does not read its output ({} bytes queued > monitor.max_output "
                     "{}): disconnecting", peer_, out_bytes_ + bytes.size(), core_.cfg.max_output);
        close();
        return;
      }
    }
    out_bytes_ += bytes.size();
    out_.push_back(std::move(bytes));
    write();
  }

  void write() {
    if (writing_ || out_.empty() || closed_) return;
    writing_ = true;
    asio::async_write(socket_, asio::buffer(out_.front()),
                      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                        self->on_written(ec);
                      });
  }

  void on_written(const boost::system::error_code& ec) {
    writing_ = false;
    if (closed_) return;
    if (ec) {
      spdlog::debug("monitor: {}: write: {}", peer_, ec.message());
      close();
      return;
    }
    out_bytes_ -= out_.front().size();
    out_.pop_front();
    touch();
    if (!out_.empty()) return write();
    if (close_after_flush_) return close();
    pump();
  }

  void arm_idle() {
    idle_timer_.expires_at(last_activity_ + std::chrono::seconds(core_.cfg.idle_timeout_s));
    idle_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec && !self->closed_) self->on_idle();
    });
  }

  void on_idle() {
    auto limit = std::chrono::seconds(core_.cfg.idle_timeout_s);
    if (Clock::now() < last_activity_ + limit) return arm_idle();
    if (busy_ && !close_after_flush_) {  // a command is running: that is not idleness
      touch();
      return arm_idle();
    }
    if (close_after_flush_) return close();  // the goodbye itself could not be sent
    spdlog::info("monitor: {} idle for {} s: closing", peer_, core_.cfg.idle_timeout_s);
    send(fmt::format("\nidle for {} s: closing\n", core_.cfg.idle_timeout_s));
    close_after_flush_ = true;
    touch();
    arm_idle();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ig;
    socket_.shutdown(tcp::socket::shutdown_both, ig);
    socket_.close(ig);
    idle_timer_.cancel();
    delay_timer_.cancel();
    login_timer_.cancel();
    out_.clear();
    out_bytes_ = 0;
    core_.connections.dec();
    spdlog::debug("monitor: {} disconnected", peer_);
    core_.sessions.erase(shared_from_this());
  }

  MonitorCore& core_;
  tcp::socket socket_;
  asio::steady_timer idle_timer_;
  asio::steady_timer delay_timer_;
  asio::steady_timer login_timer_;
  TelnetInput input_;
  std::string peer_;
  Conversation conversation_;
  std::deque<TelnetInput::Event> queue_;
  std::deque<std::string> out_;
  std::array<char, kReadChunk> buf_{};
  Clock::time_point last_activity_;
  bool reading_ = false;
  bool writing_ = false;
  bool busy_ = false;              ///< a command (or a login delay) is in progress
  bool input_ended_ = false;       ///< the client closed its sending side
  bool close_after_flush_ = false;
  bool closed_ = false;
  bool got_line_ = false;          ///< the first complete line arrived (login_timer_ is moot)
  std::size_t out_bytes_ = 0;      ///< bytes in out_ (bounded by monitor.max_output)
};

}  // namespace

void MonitorCore::accept() {
  acceptor.async_accept([self = shared_from_this()](const boost::system::error_code& ec,
                                                    tcp::socket socket) {
    self->on_accept(ec, std::move(socket));
  });
}

void MonitorCore::refuse(tcp::socket socket, const std::string& peer) {
  refused.inc();
  spdlog::warn("monitor: connection from {} refused: {} connections open (monitor.max_connections)",
               peer, sessions.size());
  auto s = std::make_shared<tcp::socket>(std::move(socket));
  auto text = std::make_shared<std::string>(to_crlf(fmt::format(
      "too many connections ({} open, monitor.max_connections): try again later\n",
      sessions.size())));
  asio::async_write(*s, asio::buffer(*text), [s, text](const boost::system::error_code&, std::size_t) {
    boost::system::error_code ig;
    s->shutdown(tcp::socket::shutdown_both, ig);
    s->close(ig);
  });
}

void MonitorCore::on_accept(const boost::system::error_code& ec, tcp::socket socket) {
  if (!acceptor.is_open() || ec == asio::error::operation_aborted) return;
  if (ec) {  // EMFILE and the like: try again shortly instead of spinning
    spdlog::warn("monitor: accept: {}", ec.message());
    accept_retry.expires_after(std::chrono::milliseconds(100));
    accept_retry.async_wait([self = shared_from_this()](const boost::system::error_code& e) {
      if (!e && self->acceptor.is_open()) self->accept();
    });
    return;
  }
  boost::system::error_code peer_ec;
  tcp::endpoint remote = socket.remote_endpoint(peer_ec);
  if (peer_ec) return accept();  // already gone
  std::string peer = endpoint_text(remote);
  if (sessions.size() >= cfg.max_connections) {
    refuse(std::move(socket), peer);
    return accept();
  }
  monitor::ConversationSettings settings;
  settings.peer = peer;
  settings.password = cfg.password;
  // Loopback is any local process, not necessarily the operator: monitor.anonymous_role
  // (read_only by default); off loopback (only with a password) read-only until `login`.
  settings.role = is_loopback(remote.address()) ? cfg.anonymous_role : mi::Role::read_only;
  settings.throttle = &throttle;
  settings.login_failure_delay = cfg.login_failure_delay;
  settings.max_login_failures = kMaxLoginFailures;
  settings.login_failures = &login_failures;
  spdlog::debug("monitor: {} connected ({})", peer, mi::to_string(settings.role));
  auto session = std::make_shared<Session>(*this, std::move(socket), std::move(settings));
  sessions.insert(session);
  session->start();
  accept();
}

struct MonitorTransport::Impl {
  std::shared_ptr<MonitorCore> core;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  std::future<void> thread_done;
  int port = 0;
  bool accepting = false;
  bool finished = false;

  Impl(MonitorConfig c, mi::Dispatcher& d)
      : core(std::make_shared<MonitorCore>(std::move(c), d)) {}

  /// Runs `job` on the I/O thread and waits (briefly) for it.
  void on_io_thread(std::function<void()> job) {
    auto done = std::make_shared<std::promise<void>>();
    auto f = done->get_future();
    asio::post(core->io, [job = std::move(job), done] {
      job();
      done->set_value();
    });
    f.wait_for(kStopGrace);
  }
};

MonitorTransport::MonitorTransport(MonitorConfig config, mi::Dispatcher& dispatcher)
    : impl_(std::make_unique<Impl>(std::move(config), dispatcher)) {}

MonitorTransport::~MonitorTransport() {
  stop_accepting();
  finish(std::chrono::milliseconds(0));
}

void MonitorTransport::start() {
  Impl& m = *impl_;
  MonitorCore& core = *m.core;
  const MonitorConfig& cfg = core.cfg;
  if (m.thread.joinable()) throw MonitorError("monitor: already started");
  std::string why;
  auto addr = parse_host_port(cfg.listen, &why);
  if (!addr) throw MonitorError(fmt::format("monitor.listen: {}", why));
  if (cfg.password.empty() && !addr->is_loopback())
    throw MonitorError(fmt::format(
        "monitor.listen {} is not a loopback address and monitor.password is not set: anyone who "
        "can reach it could read the gateway's state. Set monitor.password, or listen on 127.0.0.1",
        cfg.listen));
  if (cfg.max_connections == 0) throw MonitorError("monitor.max_connections must be at least 1");
  if (cfg.max_line == 0) throw MonitorError("monitor.max_line must be at least 1");
  if (cfg.idle_timeout_s == 0) throw MonitorError("monitor.idle_timeout_s must be at least 1");

  tcp::endpoint endpoint;
  std::memcpy(endpoint.data(), addr->get(), addr->length);
  endpoint.resize(addr->length);
  try {
    core.acceptor.open(endpoint.protocol());
    core.acceptor.set_option(tcp::acceptor::reuse_address(true));
    if (endpoint.protocol() == tcp::v6()) core.acceptor.set_option(asio::ip::v6_only(true));
    core.acceptor.bind(endpoint);
    core.acceptor.listen(asio::socket_base::max_listen_connections);
  } catch (const boost::system::system_error& e) {
    boost::system::error_code ig;
    core.acceptor.close(ig);
    throw MonitorError(fmt::format("monitor: cannot listen on {}: {}", cfg.listen, e.code().message()));
  }
  m.port = core.acceptor.local_endpoint().port();
  core.accept();
  m.work.emplace(core.io.get_executor());
  std::promise<void> done;
  m.thread_done = done.get_future();
  try {
    m.thread = std::thread([core = m.core, done = std::move(done)]() mutable {
      mi::ThreadTag tag("monitor");
      for (;;) {
        try {
          core->io.run();
          break;
        } catch (const std::exception& e) {  // a handler threw: log it and serve on
          spdlog::error("monitor: {}", e.what());
        }
      }
      done.set_value();
    });
  } catch (const std::system_error& e) {
    boost::system::error_code ig;
    core.acceptor.close(ig);
    throw MonitorError(fmt::format("monitor: cannot start the I/O thread: {}", e.what()));
  }
  m.accepting = true;
  std::string access = fmt::format("{} until `login`{}", mi::to_string(cfg.anonymous_role),
                                   cfg.password.empty() ? " (no monitor.password: login disabled)" : "");
  auto bound = local_address(core.acceptor.native_handle());
  spdlog::info("monitor: listening on {} (telnet/nc; max {} connections, idle {} s, {})",
               bound ? bound->to_string() : cfg.listen, cfg.max_connections, cfg.idle_timeout_s,
               access);
}

void MonitorTransport::stop_accepting() {
  Impl& m = *impl_;
  if (!m.accepting) return;
  m.accepting = false;
  m.on_io_thread([core = m.core.get()] {
    boost::system::error_code ig;
    core->acceptor.close(ig);
    core->accept_retry.cancel();
  });
}

void MonitorTransport::finish(std::chrono::milliseconds deadline) {
  Impl& m = *impl_;
  if (m.finished || !m.thread.joinable()) return;
  m.finished = true;
  stop_accepting();
  if (!m.core->flight.wait_idle(deadline)) {
    spdlog::warn("monitor: {} commands still running after {} ms; closing the connections",
                 m.core->flight.count(), deadline.count());
  }
  m.on_io_thread([core = m.core.get()] {
    auto open = core->sessions;  // close() removes each from the set
    for (const auto& s : open) s->shutdown_now("\nswitchboard is shutting down: closing\n");
  });
  m.work.reset();
  if (m.thread_done.wait_for(kStopGrace) != std::future_status::ready) m.core->io.stop();
  m.thread.join();
  m.port = 0;
}

int MonitorTransport::port() const { return impl_->port; }

}  // namespace sb::transports
