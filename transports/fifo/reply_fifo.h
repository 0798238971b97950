// reply_fifo.h: safe delivery of a reply to a client's reply FIFO (spec/wire.md §3).
//
// Rules: the reply name is a plain file name (no '/', '\\', ':', "..", no leading '.', no control or
// blank characters, at most 255 bytes) joined to reply_dir. The target must already exist as a
// FIFO — not a symlink, one link, owned by us or root — and is opened O_WRONLY|O_NONBLOCK|
// O_NOFOLLOW with retries while it has no reader, re-checked after opening (same inode), then
// written with a deadline so a client that never reads cannot block anyone.
// Threading: ReplyWriter::send() from any thread. It tries once on the caller's thread with
// non-blocking system calls only (the usual case: the client's reader is open and the reply fits
// the pipe); anything that may wait (no reader yet, a full pipe) runs on its own elastic writer
// pool, so the caller (which may be the SIP engine) never blocks.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "mi/render/chunked.h"
#include "mi/statistics.h"
#include "mi/worker_pool.h"

namespace sb::transports {

/// Empty when `name` is an acceptable reply FIFO name, else why it is refused.
std::string check_reply_name(std::string_view name);

struct ReplyOptions {
  std::string reply_dir = "/tmp";
  int open_retries = 4;
  std::chrono::milliseconds open_retry_interval{80};
  std::chrono::milliseconds write_timeout{2000};
  /// Group of the server FIFO: a reply FIFO must be owned by the daemon's user or by a member of
  /// this group (the users the FIFO's permissions let in). -1: the daemon's group.
  gid_t fifo_gid = static_cast<gid_t>(-1);
};

/// Opens, checks and writes one reply; returns empty on success, else the reason it failed.
std::string write_reply_fifo(const ReplyOptions& options, const std::string& name,
                             std::string_view bytes);

class ReplyWriter {
 public:
  ReplyWriter(ReplyOptions options, mi::Statistics& stats);
  /// Queues the write of `bytes` to reply FIFO `name` (already checked with check_reply_name).
  void send(std::string name, std::string bytes);
  /// Writes a reply piece by piece (a streamed result) on the writer pool: each piece is pulled
  /// when the previous one is written, so only one piece is held at a time.
  void send_pieces(std::string name, std::shared_ptr<mi::ChunkedReply> reply);
  /// Waits until the queued writes are done or the deadline passes, then stops the writers.
  void finish(std::chrono::milliseconds deadline);

 private:
  /// Counts one reply written (`why` empty) or not (logged), and that it is no longer pending.
  void delivered(const std::string& why);
  ReplyOptions options_;
  mi::WorkerPool pool_;
  mi::Stat& replies_;
  mi::Stat& failures_;
  std::atomic<std::size_t> pending_{0};
};

}  // namespace sb::transports
