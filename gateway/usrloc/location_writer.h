// location_writer.h: group commit for the `location` table. The engine stages each change of an
// AOR's bindings here and goes on; this writer's thread takes everything staged so far, writes it
// in one SQLite transaction on its own connection and commits, then reports the range of changes
// that is now durable (or that failed). The registrar sends a REGISTER's 200 only after the
// report covering its change (Usrloc::when_durable), so a 200 still means committed, while the
// engine thread never waits for SQLite and one commit serves every REGISTER of a burst.
//
// Bounded: at most `max_pending` changes wait uncommitted; stage() blocks the engine (so SIP
// requests wait in the socket buffer, where the overload protection sees them) until the writer
// has caught up.
//
// The WAL: the store's Checkpointer copies it back every 50 ms, but under a steady load it cannot
// complete a copy between two of the writer's transactions, and only a completed one lets the
// WAL file start again from its top. So past `checkpoint_frames` the writer pauses briefly while
// its own checkpoint thread completes one. The fsyncs of that checkpoint happen on that thread:
// a disk that stalls for seconds delays the WAL's restart, not the REGISTERs (up to 4x the
// frames, where the writer waits: bounded, unless a reader holds an old snapshot).
//
// Threading: stage(), wait_idle() and stop() from one thread at a time (usrloc calls them under
// its lock, from the main engine or a REGISTER worker); `on_done` runs on the writer's thread (it
// posts to the main engine). Each of its two threads opens, uses and closes its own Database.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gateway/store/database.h"
#include "gateway/usrloc/usrloc.h"

namespace sb::gateway {

class LocationWriter {
 public:
  /// One change, in the order staged.
  struct Change {
    enum class Kind { put_aor, delete_expired } kind = Kind::put_aor;
    std::string aor;                ///< put_aor: the AOR whose rows are replaced
    std::vector<Contact> contacts;  ///< put_aor: its bindings now (empty: none left)
    bool fresh = false;             ///< put_aor: the AOR had no bindings before (no rows to delete)
    std::int64_t now = 0;           ///< delete_expired: rows expiring at or before this go
  };
  /// What one transaction did: changes [first, last] committed (ok) or rolled back (with the
  /// AORs they touched, whose memory the engine restores from the database).
  struct Done {
    std::uint64_t first = 0, last = 0;
    bool ok = true;
    std::string error;
    std::vector<std::string> failed_aors;
    /// The batch's changes, handed back so that they are freed where they were allocated (on
    /// the engine, which posts the report): freeing 100 000s of the engine's small blocks on
    /// this thread left glibc's main arena full of holes, and every later large allocation
    /// there (a dump's reply pieces) crawled through them.
    std::deque<Change> spent;
  };
  struct Stats {
    std::uint64_t transactions = 0, changes = 0, failed = 0, largest_batch = 0;
    /// The longest transaction and the longest checkpoint of this thread so far.
    std::chrono::microseconds slowest_commit{0}, slowest_checkpoint{0};
    std::uint64_t checkpoints = 0;       ///< completed by the checkpoint thread
    std::uint64_t checkpoint_waits = 0;  ///< pauses that ended before the checkpoint did
    std::uint64_t bound_waits = 0;       ///< waits at 4x checkpoint_frames
  };

  struct Tuning {
    std::size_t max_pending = 4096;  ///< changes staged and not yet committed, at most
    /// A transaction starts once no change arrived for this long (at most 10 gaps after the
    /// first); 0 = at once.
    std::chrono::microseconds commit_gap{0};
    /// WAL frames after which the writer, between two transactions, has its checkpoint thread
    /// copy the WAL back and pauses (at most checkpoint_pause) so that the copy can complete:
    /// the next transaction then starts the WAL file again from its top. At 4x this the writer
    /// waits for a checkpoint however long it takes (a stalled disk: the WAL stays bounded,
    /// unless a reader holds an old snapshot, which keeps any checkpoint from completing).
    int checkpoint_frames = 8000;
    std::chrono::milliseconds checkpoint_pause{50};
  };

  LocationWriter(DatabaseOptions options, Tuning tuning, std::function<void(Done)> on_done);
  ~LocationWriter();  ///< stop()
  LocationWriter(const LocationWriter&) = delete;
  LocationWriter& operator=(const LocationWriter&) = delete;

  /// Queues a change; returns its sequence number (1, 2, …). Blocks while `max_pending` changes
  /// are uncommitted. Throws StoreError once stopped.
  std::uint64_t stage(Change change);
  /// Waits until every change staged so far is committed or rolled back (on_done called).
  void wait_idle();
  /// Writes what is staged, then ends the thread. Idempotent.
  void stop();
  /// No report (on_done) from now on: for an owner going away, whose reports would reach a
  /// destroyed object. What is staged is still written by stop().
  void mute();
  Stats stats() const;
  bool on_writer_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  void run();
  Done write(std::deque<Change>& batch, std::uint64_t first);
  /// Writer thread, between two transactions, once the WAL holds checkpoint_frames.
  void let_a_checkpoint_complete();
  void run_checkpoints();  ///< the checkpoint thread
  /// Records how long a commit (changes > 0) or a checkpoint took; warns when it was slow.
  void note_duration(const char* what, std::size_t changes, std::chrono::steady_clock::duration spent);

  DatabaseOptions options_;
  std::size_t max_pending_;
  std::chrono::microseconds gap_;
  int checkpoint_frames_;
  std::function<void(Done)> on_done_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;   ///< the writer waits for changes
  std::condition_variable space_cv_;  ///< stage() and wait_idle() wait for the writer
  std::deque<Change> queue_;
  std::uint64_t staged_ = 0;   ///< sequence number of the last change staged
  std::uint64_t finished_ = 0; ///< … of the last change committed or rolled back
  bool stopping_ = false;
  bool muted_ = false;
  bool writer_waiting_ = false;
  std::string open_error_;
  Database* db_ = nullptr;  ///< the writer thread's connection (its own thread only)
  int wal_frames_ = 0;      ///< frames in the WAL after the last commit (writer thread)
  std::chrono::milliseconds checkpoint_pause_;
  std::chrono::steady_clock::time_point last_slow_log_{};  ///< under mu_
  std::uint64_t slow_unlogged_ = 0;                          ///< under mu_
  Stats stats_;
  // The checkpoint thread: one PASSIVE checkpoint per request, on its own connection.
  std::mutex ckpt_mu_;
  std::condition_variable ckpt_cv_;
  bool ckpt_wanted_ = false;   ///< under ckpt_mu_: a request not yet taken
  bool ckpt_running_ = false;  ///< under ckpt_mu_: requested or running, not finished
  bool ckpt_urgent_ = false;   ///< under ckpt_mu_: the writer waits at the bound (retry BUSY on)
  bool ckpt_stop_ = false;     ///< under ckpt_mu_
  bool ckpt_broken_ = false;   ///< under ckpt_mu_: its connection failed; the writer checkpoints
  std::thread ckpt_thread_;
  std::thread thread_;
};

}  // namespace sb::gateway
