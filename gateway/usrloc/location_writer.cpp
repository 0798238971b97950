// location_writer.cpp: the group-commit thread of the `location` table.
#include "gateway/usrloc/location_writer.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <system_error>
#include <utility>

#include <sqlite3.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "gateway/usrloc/location_table.h"
#include "mi/threads.h"

namespace sb::gateway {

namespace {
/// Changes written in one transaction at most: a commit every few milliseconds even when the
/// engine stages faster than the disk takes them.
constexpr std::size_t kMaxBatch = 4096;
int count_wal_frames(void* frames, sqlite3* /*db*/, const char* /*name*/, int n) {
  *static_cast<int*>(frames) = n;
  return SQLITE_OK;
}
/// A commit or checkpoint slower than this is logged (the REGISTERs behind it wait that long
/// for their 200), at most once per kSlowLogEvery with a count of the others.
constexpr auto kSlowWrite = std::chrono::milliseconds(500);
constexpr auto kSlowLogEvery = std::chrono::seconds(10);
}  // namespace

void LocationWriter::note_duration(const char* what, std::size_t changes, std::chrono::steady_clock::duration spent) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(spent);
  std::uint64_t unlogged = 0;
  {
    std::lock_guard lk(mu_);
    auto& slowest = changes ? stats_.slowest_commit : stats_.slowest_checkpoint;
    slowest = std::max(slowest, us);
    if (spent < kSlowWrite) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_slow_log_ < kSlowLogEvery) {
      ++slow_unlogged_;
      return;
    }
    last_slow_log_ = now;
    unlogged = std::exchange(slow_unlogged_, 0);
  }
  spdlog::warn("usrloc: slow database: a {}{} took {} ms{} ({} more over {} ms since the last such warning)", what,
               changes ? fmt::format(" of {} binding changes", changes) : std::string(), us.count() / 1000,
               changes ? ", and the REGISTERs behind it waited" : "", unlogged, kSlowWrite.count());
}

LocationWriter::LocationWriter(DatabaseOptions options, Tuning tuning, std::function<void(Done)> on_done)
    : options_(std::move(options)), max_pending_(std::max<std::size_t>(1, tuning.max_pending)),
      gap_(tuning.commit_gap), checkpoint_frames_(tuning.checkpoint_frames), on_done_(std::move(on_done)),
      checkpoint_pause_(tuning.checkpoint_pause) {
  bool opened = false;
  thread_ = std::thread([this, &opened] {
    mi::ThreadTag tag("usrloc writer");
    std::unique_ptr<Database> db;
    try {
      db = std::make_unique<Database>(options_);
    } catch (const std::exception& e) {
      std::lock_guard lk(mu_);
      open_error_ = e.what();
    }
    {
      std::lock_guard lk(mu_);
      opened = true;
      if (!db) stopping_ = true;
    }
    space_cv_.notify_all();
    if (!db) return;
    db_ = db.get();
    // Replaces SQLite's automatic checkpoint (which runs inside COMMIT): run() has the
    // checkpoint thread checkpoint after reporting the batch (let_a_checkpoint_complete).
    sqlite3_wal_hook(db_->handle(), &count_wal_frames, &wal_frames_);
    run();
    db_ = nullptr;
  });
  std::unique_lock lk(mu_);
  space_cv_.wait(lk, [&] { return opened; });
  if (!open_error_.empty()) {
    lk.unlock();
    thread_.join();
    throw StoreError("usrloc writer: " + open_error_);
  }
  lk.unlock();
  try {
    ckpt_thread_ = std::thread([this] { run_checkpoints(); });
  } catch (const std::system_error& e) {
    spdlog::error("usrloc: no checkpoint thread ({}): the writer checkpoints itself", e.what());
    std::lock_guard ckpt_lk(ckpt_mu_);
    ckpt_broken_ = true;
    ckpt_running_ = false;  // releases a writer that asked already
    ckpt_cv_.notify_all();
  }
}

LocationWriter::~LocationWriter() { stop(); }

std::uint64_t LocationWriter::stage(Change change) {
  std::unique_lock lk(mu_);
  space_cv_.wait(lk, [this] { return stopping_ || staged_ - finished_ < max_pending_; });
  if (stopping_) throw StoreError("usrloc writer: stopped");
  queue_.push_back(std::move(change));
  std::uint64_t seq = ++staged_;
  bool wake = writer_waiting_;
  lk.unlock();
  if (wake) work_cv_.notify_one();
  return seq;
}

void LocationWriter::wait_idle() {
  std::unique_lock lk(mu_);
  space_cv_.wait(lk, [this] { return finished_ == staged_; });
}

void LocationWriter::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  space_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard lk(ckpt_mu_);
    ckpt_stop_ = true;
  }
  ckpt_cv_.notify_all();
  if (ckpt_thread_.joinable()) ckpt_thread_.join();
}

void LocationWriter::mute() {
  std::lock_guard lk(mu_);
  muted_ = true;
}

LocationWriter::Stats LocationWriter::stats() const {
  std::lock_guard lk(mu_);
  return stats_;
}

void LocationWriter::run() {
  for (;;) {
    std::deque<Change> batch;
    std::uint64_t first = 0;
    {
      std::unique_lock lk(mu_);
      writer_waiting_ = true;
      work_cv_.wait(lk, [this] { return stopping_ || !queue_.empty(); });
      writer_waiting_ = false;
      if (queue_.empty()) return;  // stopping, and everything staged is written
      // Group commit: a burst shares one transaction. Gather while changes keep arriving (a gap
      // of commit_gap without one ends it), at most 10 gaps, so that one commit (its B-tree
      // pages written once to the WAL) serves many REGISTERs.
      if (gap_.count() > 0) {
        auto deadline = std::chrono::steady_clock::now() + 10 * gap_;
        while (!stopping_ && queue_.size() < kMaxBatch && std::chrono::steady_clock::now() < deadline) {
          std::size_t before = queue_.size();
          lk.unlock();
          std::this_thread::sleep_for(gap_);
          lk.lock();
          if (queue_.size() == before) break;
        }
      }
      first = finished_ + 1;
      if (queue_.size() <= kMaxBatch) {
        batch.swap(queue_);
      } else {
        for (std::size_t i = 0; i < kMaxBatch; ++i) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
    }
    const auto began = std::chrono::steady_clock::now();
    Done done = write(batch, first);
    note_duration("commit", batch.size(), std::chrono::steady_clock::now() - began);
    const std::uint64_t last = done.last;
    const bool ok = done.ok;
    const std::size_t size = batch.size();
    done.spent = std::move(batch);
    // The report first, then the wake-up: whoever waited for this range finds it reported.
    bool report = false;
    {
      std::lock_guard lk(mu_);
      report = !muted_;
    }
    if (report && on_done_) on_done_(std::move(done));
    {
      std::lock_guard lk(mu_);
      finished_ = last;
      ++stats_.transactions;
      stats_.changes += size;
      stats_.largest_batch = std::max<std::uint64_t>(stats_.largest_batch, size);
      if (!ok) stats_.failed += size;
    }
    space_cv_.notify_all();
    if (wal_frames_ >= checkpoint_frames_) let_a_checkpoint_complete();
  }
}

void LocationWriter::let_a_checkpoint_complete() {
  const bool at_bound = wal_frames_ >= 4 * static_cast<std::int64_t>(checkpoint_frames_);
  std::unique_lock lk(ckpt_mu_);
  if (ckpt_broken_) {
    // No checkpoint thread (its connection could not be opened): checkpoint here, as a bound.
    lk.unlock();
    const auto began = std::chrono::steady_clock::now();
    int log = 0, done_frames = 0;
    int rc = sqlite3_wal_checkpoint_v2(db_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done_frames);
    if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY)
      spdlog::warn("usrloc: WAL checkpoint: {}", sqlite3_errmsg(db_->handle()));
    note_duration("WAL checkpoint on the writer's thread (the REGISTERs behind it waited)", 0,
                  std::chrono::steady_clock::now() - began);
    return;
  }
  // One still running from an earlier pause (a slow disk): write on, unless at the bound.
  if (ckpt_running_ && !at_bound) return;
  if (!ckpt_running_) {
    ckpt_wanted_ = true;
    ckpt_running_ = true;
  }
  ckpt_urgent_ = ckpt_urgent_ || at_bound;
  ckpt_cv_.notify_all();
  if (at_bound) {
    ckpt_cv_.wait(lk, [this] { return !ckpt_running_; });
    lk.unlock();
    std::lock_guard stats_lk(mu_);
    ++stats_.bound_waits;
  } else if (!ckpt_cv_.wait_for(lk, checkpoint_pause_, [this] { return !ckpt_running_; })) {
    lk.unlock();
    std::lock_guard stats_lk(mu_);
    ++stats_.checkpoint_waits;
  }
}

void LocationWriter::run_checkpoints() {
  mi::ThreadTag tag("usrloc checkpoint");
  std::unique_ptr<Database> db;
  try {
    db = std::make_unique<Database>(options_);
  } catch (const std::exception& e) {
    spdlog::error("usrloc: the checkpoint thread cannot open the database ({}): the writer checkpoints itself",
                  e.what());
  }
  std::unique_lock lk(ckpt_mu_);
  if (!db) {
    ckpt_broken_ = true;
    ckpt_running_ = false;
    ckpt_cv_.notify_all();
    return;
  }
  for (;;) {
    ckpt_cv_.wait(lk, [this] { return ckpt_stop_ || ckpt_wanted_; });
    if (!ckpt_wanted_) return;  // stopping
    ckpt_wanted_ = false;
    lk.unlock();
    // PASSIVE: never waits for a reader or the writer. SQLITE_BUSY: the store's Checkpointer
    // holds the checkpoint lock (it is doing this very work): ask again shortly, for up to
    // 100 ms below the bound (the writer has gone on by then), until it is done at the bound
    // (the writer waits: only a reader holding an old snapshot keeps the WAL from restarting).
    const auto began = std::chrono::steady_clock::now();
    bool completed = false;
    for (int attempt = 0;; ++attempt) {
      int log = 0, copied = 0;
      int rc = sqlite3_wal_checkpoint_v2(db->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
      if ((rc & 0xff) == SQLITE_BUSY) {
        std::unique_lock check(ckpt_mu_);
        if (ckpt_stop_ || (attempt >= 100 && !ckpt_urgent_)) break;
        check.unlock();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      if (rc != SQLITE_OK) spdlog::warn("usrloc: WAL checkpoint: {}", sqlite3_errmsg(db->handle()));
      completed = rc == SQLITE_OK && log > 0 && copied == log;
      break;
    }
    note_duration("WAL checkpoint on the checkpoint thread", 0, std::chrono::steady_clock::now() - began);
    if (completed) {
      std::lock_guard stats_lk(mu_);
      ++stats_.checkpoints;
    }
    lk.lock();
    ckpt_running_ = false;
    ckpt_urgent_ = false;
    ckpt_cv_.notify_all();
  }
}

LocationWriter::Done LocationWriter::write(std::deque<Change>& batch, std::uint64_t first) {
  Done done;
  done.first = first;
  done.last = first + batch.size() - 1;
  try {
    Transaction tx(*db_);
    for (const Change& c : batch) {
      if (c.kind == Change::Kind::put_aor) write_location_rows(*db_, c.aor, c.contacts, c.fresh);
      else delete_expired_location_rows(*db_, c.now);
    }
    tx.commit();
  } catch (const std::exception& e) {
    done.ok = false;
    done.error = e.what();
    std::set<std::string> aors;
    for (const Change& c : batch)
      if (c.kind == Change::Kind::put_aor) aors.insert(c.aor);
    done.failed_aors.assign(aors.begin(), aors.end());
    spdlog::error("usrloc: {} binding changes could not be committed (answered 500): {}", batch.size(), e.what());
  }
  return done;
}

}  // namespace sb::gateway
