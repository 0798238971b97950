// fifo_transport.h: the FIFO management transport (spec/wire.md §3): SER text dialect
// `:cmd:reply\n…\n\n` and OpenSIPS-3 JSON dialect `:reply:{json}`, replies written to
// <reply_dir>/<reply> FIFOs made by the client.
//
// Purpose: framing and codecs only — requests go to the Dispatcher, replies are rendered by the
// shared renderers. See transports/fifo/README.md for the wire format, limits and security.
// Threading: one reader thread owns the server FIFO (and re-creates it if it is deleted); reply
// FIFOs are opened and written by a small elastic writer pool, so a client that never reads
// cannot block the reader, the dispatcher or the SIP engine.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "mi/dispatcher.h"

namespace sb::transports {

struct FifoConfig {
  std::string path = "./var/run/switchboard_fifo";
  mode_t mode = 0660;
  std::string user;   ///< optional owner of the FIFO (name)
  std::string group;  ///< optional group of the FIFO (name)
  std::string reply_dir = "/tmp";
  std::size_t max_request = 64 * 1024;  ///< bytes; larger requests are answered with 400
  std::chrono::milliseconds reply_timeout{2000};  ///< writing one reply, after it was opened
  int open_retries = 4;                           ///< opening a reply FIFO that has no reader yet
  std::chrono::milliseconds open_retry_interval{80};
  std::chrono::milliseconds check_interval{1000};  ///< how often the FIFO's presence is checked
  /// A request left incomplete this long (a writer that stopped mid-request, a t_uac_dlg body
  /// without its closing `.`) is dropped and answered 400, so it cannot hold up the others.
  std::chrono::milliseconds request_timeout{5000};
};

class FifoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class FifoTransport {
 public:
  FifoTransport(FifoConfig config, mi::Dispatcher& dispatcher);
  ~FifoTransport();
  FifoTransport(const FifoTransport&) = delete;
  FifoTransport& operator=(const FifoTransport&) = delete;

  /// Creates the FIFO and starts the reader. Throws FifoError with a clear message (the path
  /// exists and is not a FIFO, mkfifo/chown failed, unknown user/group, …).
  void start();
  /// Stops reading new requests and removes the FIFO. Replies of in-flight calls still go out.
  void stop_accepting();
  /// Waits (up to `deadline`) for queued reply writes, then stops the writers.
  void finish(std::chrono::milliseconds deadline);

  const FifoConfig& config() const { return config_; }

 private:
  struct Impl;
  FifoConfig config_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sb::transports
