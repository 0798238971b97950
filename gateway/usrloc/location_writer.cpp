// location_writer.cpp: the group-commit thread of the `location` table.
#include "gateway/usrloc/location_writer.h"

#include <algorithm>
#include <chrono>
#include <set>

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
  {
    std::lock_guard lk(mu_);
    auto& slowest = changes ? stats_.slowest_commit : stats_.slowest_checkpoint;
    slowest = std::max(slowest, us);
  }
  if (spent < kSlowWrite) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_slow_log_ < kSlowLogEvery) {
    ++slow_unlogged_;
    return;
  }
  spdlog::warn("usrloc: slow database: a {}{} took {} ms, and the REGISTERs behind it waited ({} more over {} ms "
               "since the last such warning)",
               what, changes ? fmt::format(" of {} binding changes", changes) : std::string(), us.count() / 1000,
               slow_unlogged_, kSlowWrite.count());
  last_slow_log_ = now;
  slow_unlogged_ = 0;
}

LocationWriter::LocationWriter(DatabaseOptions options, Tuning tuning, std::function<void(Done)> on_done)
    : options_(std::move(options)), max_pending_(std::max<std::size_t>(1, tuning.max_pending)),
      gap_(tuning.commit_gap), checkpoint_frames_(tuning.checkpoint_frames), on_done_(std::move(on_done)) {
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
    // Replaces SQLite's automatic checkpoint (which runs inside COMMIT): run() checkpoints after
    // reporting the batch. The store's Checkpointer thread has usually copied most pages by then.
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
    if (wal_frames_ >= checkpoint_frames_) {
      // PASSIVE: never waits for readers. This thread is the location table's only writer, so
      // it usually backfills every frame and the next transaction starts the WAL from the top,
      // which keeps the file bounded.
      // SQLITE_BUSY: the store's Checkpointer holds the checkpoint lock, i.e. is doing this
      // very work; the next commit tries again. Only another error is worth a warning (it was
      // logged once per commit, thousands of times a minute under load, before).
      int log = 0, done_frames = 0;
      const auto began = std::chrono::steady_clock::now();
      int rc = sqlite3_wal_checkpoint_v2(db_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done_frames);
      note_duration("WAL checkpoint", 0, std::chrono::steady_clock::now() - began);
      if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY)
        spdlog::warn("usrloc: WAL checkpoint: {}", sqlite3_errmsg(db_->handle()));
      wal_frames_ = 0;
    }
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
