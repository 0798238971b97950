// delivery.h: how one subscription's events leave the daemon — the kinds of OpenSIPS's event
// sockets (udp:, unix:, tcp:), webhooks (http://, https://) and SER-exec-style programs
// (exec:). A Delivery is made from the subscription's socket text by make_delivery(), which
// refuses a malformed one with a message for the operator.
//
// Formats: datagram, stream and webhook send the JSON-RPC 2.0 notification of Event::jsonrpc()
// (one per datagram; one per line on a stream; one per POST); exec runs the program with the
// params in its environment and that JSON on stdin.
// Threading: a Delivery is used by its subscription's thread, except state() (any thread);
// `stop` is set from another thread to cut retries and back-offs short (the queue is woken too).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "mi/event_bus.h"
#include "mi/value.h"

namespace sb::gateway::events {

/// The [events] limits a delivery obeys.
struct DeliveryLimits {
  std::chrono::milliseconds webhook_timeout{5000};
  int webhook_retries = 5;
  std::string webhook_ca_file;  ///< empty: the system's CA store
  std::chrono::milliseconds backoff_max{30000};
  std::chrono::milliseconds exec_timeout{10000};
  int exec_max_running = 4;
};

/// Waits up to `d` unless `stop` is set (checked every 50 ms).
void wait_unless_stopped(std::chrono::milliseconds d, const std::atomic<bool>& stop);

class Delivery {
 public:
  virtual ~Delivery() = default;
  /// "udp", "unix", "tcp", "http", "https", "exec"
  virtual std::string kind() const = 0;
  /// Delivers one event (with the count of events lost before it). Retries as its kind does
  /// until it succeeds, gives up, or `stop` is set. Returns an empty string when delivered,
  /// else why not (counted as failed, kept as last_error).
  virtual std::string send(const mi::Event& e, std::uint64_t dropped, const std::atomic<bool>& stop) = 0;
  /// Called about every 100 ms by the subscription's thread (exec reaps and kills here).
  virtual void tick() {}
  /// True while it still has work in the background (exec programs running).
  virtual bool busy() const { return false; }
  /// Kind-specific state for subscribers_list (connected, exit codes…): an object. Any thread
  /// (subscribers_list reads it while the subscription's thread delivers or retries).
  virtual mi::Value state() const { return mi::Value::object(); }
};

/// The socket as subscribers_list shows it: a URL's user:password is masked.
std::string printable_socket(const std::string& socket);

/// Builds the delivery for `socket`, or returns why it is refused. `secret` signs webhooks
/// (HMAC-SHA256) and is refused for the other kinds.
std::variant<std::unique_ptr<Delivery>, std::string> make_delivery(const std::string& socket,
                                                                   const std::string& secret,
                                                                   const DeliveryLimits& limits);

// The kinds (one file each).
std::variant<std::unique_ptr<Delivery>, std::string> make_datagram_delivery(const std::string& socket);
std::variant<std::unique_ptr<Delivery>, std::string> make_stream_delivery(const std::string& socket,
                                                                          const DeliveryLimits& limits);
std::variant<std::unique_ptr<Delivery>, std::string> make_webhook_delivery(const std::string& url,
                                                                           const std::string& secret,
                                                                           const DeliveryLimits& limits);
std::variant<std::unique_ptr<Delivery>, std::string> make_exec_delivery(const std::string& program,
                                                                        const DeliveryLimits& limits);

}  // namespace sb::gateway::events
