// database.cpp: SQLite connection, WAL set-up, migrations, statements and transactions.
#include "gateway/store/database.h"

#include <sqlite3.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "gateway/store/schema.h"
#include "mi/threads.h"

namespace sb::gateway {

namespace {

[[noreturn]] void fail(sqlite3* db, std::string_view what) {
  throw StoreError(fmt::format("{}: {}", what, db ? sqlite3_errmsg(db) : "out of memory"));
}

std::string one_line(std::string_view sql) {
  std::string s;
  for (char c : sql) {
    if (c == '\n' || c == '\t') c = ' ';
    if (c == ' ' && (s.empty() || s.back() == ' ')) continue;
    s += c;
  }
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

}  // namespace

void ensure_parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return;
  std::string dir = path.substr(0, slash);
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) throw StoreError(fmt::format("{} is not a directory", dir));
    return;
  }
  ensure_parent_dir(dir);
  if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST)
    throw StoreError(fmt::format("cannot create the directory {}: {}", dir, std::strerror(errno)));
}

/// The database holds HA1 hashes and trunk secrets: it is created 0600 before SQLite opens it
/// (SQLite gives its -wal and -shm files the database's mode), never through a symbolic link,
/// and an existing one readable by others is narrowed to 0600 (with a warning).
static void secure_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    spdlog::warn("database {} did not exist: created it empty (mode 0600)", path);
    return;
  }
  if (errno != EEXIST)
    throw StoreError(fmt::format("cannot create the database {}: {}", path, std::strerror(errno)));
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0)
    throw StoreError(fmt::format("cannot stat the database {}: {}", path, std::strerror(errno)));
  if (S_ISLNK(st.st_mode))
    throw StoreError(fmt::format("the database {} is a symbolic link: refused (point core.db at "
                                 "the file itself)", path));
  if (!S_ISREG(st.st_mode)) throw StoreError(fmt::format("the database {} is not a regular file", path));
  if ((st.st_mode & 077) != 0) {
    spdlog::warn("database {} was readable by other users (mode {:04o}): set to 0600", path,
                 st.st_mode & 07777);
    for (const char* suffix : {"", "-wal", "-shm"})
      ::chmod((path + suffix).c_str(), 0600);
  }
}

Database::Database(DatabaseOptions options) : options_(std::move(options)) {
  if (options_.synchronous != "normal" && options_.synchronous != "full")
    throw StoreError(fmt::format("synchronous must be normal or full, not '{}'", options_.synchronous));
  bool memory = options_.path == ":memory:";
  if (!memory) {
    ensure_parent_dir(options_.path);
    secure_file(options_.path);
  }
  int rc = sqlite3_open_v2(options_.path.c_str(), &db_,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError(fmt::format("cannot open the database {}: {}", options_.path, msg));
  }
  sqlite3_busy_timeout(db_, options_.busy_timeout_ms);
  sqlite3_extended_result_codes(db_, 1);
  try {
    if (!memory) {
      Statement wal(db_, "PRAGMA journal_mode=WAL");
      std::string mode = wal.step() ? wal.text(0) : std::string();
      if (mode != "wal")
        throw StoreError(fmt::format("database {}: journal_mode is '{}', WAL could not be enabled",
                                     options_.path, mode));
    }
    exec(fmt::format("PRAGMA synchronous={}", options_.synchronous == "full" ? "FULL" : "NORMAL"));
    exec("PRAGMA foreign_keys=ON");
    if (!options_.auto_checkpoint) exec("PRAGMA wal_autocheckpoint=0");
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

Database::~Database() {
  cache_.clear();  // finalize the kept statements before closing
  if (db_) sqlite3_close_v2(db_);
}

Statement& Database::cached(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) it = cache_.emplace(sql, std::make_unique<Statement>(db_, sql)).first;
  it->second->reset();
  return *it->second;
}

void Database::exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw StoreError(fmt::format("{} ({})", msg, one_line(sql)));
  }
}

Statement Database::prepare(std::string_view sql) { return Statement(db_, sql); }

std::int64_t Database::changes() const { return sqlite3_changes64(db_); }

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

int Database::migrate() {
  const auto& steps = schema_migrations();
  Statement get(db_, "PRAGMA user_version");
  int version = get.step() ? static_cast<int>(get.integer(0)) : 0;
  get.reset();
  if (version > static_cast<int>(steps.size()))
    throw StoreError(fmt::format("database {} has schema version {}, newer than this Switchboard "
                                 "knows ({}): refusing to use it",
                                 options_.path, version, steps.size()));
  for (int v = version; v < static_cast<int>(steps.size()); ++v) {
    Transaction tx(*this);
    exec(steps[static_cast<std::size_t>(v)]);
    exec(fmt::format("PRAGMA user_version={}", v + 1));
    tx.commit();
    spdlog::info("store: {} migrated to schema version {}", options_.path, v + 1);
  }
  return static_cast<int>(steps.size());
}

// --- Statement -----------------------------------------------------------------------------

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db), sql_(sql) {
  if (sqlite3_prepare_v3(db_, sql_.data(), static_cast<int>(sql_.size()), SQLITE_PREPARE_PERSISTENT,
                         &st_, nullptr) != SQLITE_OK)
    fail(db_, fmt::format("prepare ({})", one_line(sql_)));
}

Statement::Statement(Statement&& o) noexcept : db_(o.db_), st_(o.st_), sql_(std::move(o.sql_)) {
  o.st_ = nullptr;
}

Statement::~Statement() {
  if (st_) sqlite3_finalize(st_);
}

Statement& Statement::bind(int i, std::string_view text) {
  if (sqlite3_bind_text(st_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT) != SQLITE_OK)
    fail(db_, fmt::format("bind {} ({})", i, one_line(sql_)));
  return *this;
}

Statement& Statement::bind(int i, std::int64_t n) {
  if (sqlite3_bind_int64(st_, i, n) != SQLITE_OK) fail(db_, fmt::format("bind {} ({})", i, one_line(sql_)));
  return *this;
}

Statement& Statement::bind(int i, double d) {
  if (sqlite3_bind_double(st_, i, d) != SQLITE_OK) fail(db_, fmt::format("bind {} ({})", i, one_line(sql_)));
  return *this;
}

Statement& Statement::bind_null(int i) {
  if (sqlite3_bind_null(st_, i) != SQLITE_OK) fail(db_, fmt::format("bind {} ({})", i, one_line(sql_)));
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  std::string msg = sqlite3_errmsg(db_);
  sqlite3_reset(st_);
  throw StoreError(fmt::format("{} ({})", msg, one_line(sql_)));
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(st_);
  sqlite3_clear_bindings(st_);
}

std::string Statement::text(int col) const {
  auto p = sqlite3_column_text(st_, col);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(st_, col)));
}

std::int64_t Statement::integer(int col) const { return sqlite3_column_int64(st_, col); }
double Statement::real(int col) const { return sqlite3_column_double(st_, col); }
bool Statement::is_null(int col) const { return sqlite3_column_type(st_, col) == SQLITE_NULL; }

// --- Transaction ---------------------------------------------------------------------------

Transaction::Transaction(Database& db) : db_(db), nested_(sqlite3_get_autocommit(db.handle()) == 0) {
  db_.cached(nested_ ? "SAVEPOINT sb_nested" : "BEGIN IMMEDIATE").run();
}

Transaction::~Transaction() {
  if (!done_) {
    try {
      if (nested_) {
        db_.cached("ROLLBACK TO sb_nested").run();
        db_.cached("RELEASE sb_nested").run();
      } else {
        db_.cached("ROLLBACK").run();
      }
    } catch (const StoreError& e) {
      spdlog::error("store: rollback failed: {}", e.what());
    }
  }
}

void Transaction::commit() {
  db_.cached(nested_ ? "RELEASE sb_nested" : "COMMIT").run();
  done_ = true;
}

// --- Checkpointer --------------------------------------------------------------------------

Checkpointer::Checkpointer(std::string path, std::chrono::milliseconds interval)
    : path_(std::move(path)), interval_(interval) {
  if (path_ != ":memory:") thread_ = std::thread([this] { run(); });
}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Checkpointer::waiting() const {
  std::lock_guard lk(mu_);
  return waiting_;
}

void Checkpointer::run() {
  mi::ThreadTag tag("DB checkpointer");
  std::unique_ptr<Database> db;
  try {
    db = std::make_unique<Database>(DatabaseOptions{path_, "normal", 5000, false});
  } catch (const StoreError& e) {
    spdlog::error("store: checkpointer: {}", e.what());
    return;
  }
  // The database file is synced after every round that copied pages without completing. SQLite
  // syncs it only at a checkpoint that completes, and under a steady load that is the one the
  // usrloc writer asks for (usrloc.wal_restart_pages), which then had to flush every page copied
  // since the last restart. Now it flushes about one interval's.
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db->handle(), "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK) file = nullptr;
  int last_log = 0, last_copied = 0;
  std::unique_lock lk(mu_);
  waiting_ = true;
  for (;;) {
    bool stopping = cv_.wait_for(lk, interval_, [this] { return stop_; });
    int log = 0, copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(db->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
    if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY) {
      spdlog::warn("store: checkpoint: {}", sqlite3_errmsg(db->handle()));
    } else if (rc == SQLITE_OK) {
      // pnCkpt counts every frame copied so far (pnLog the WAL's frames): this round copied if
      // it grew, or if the WAL restarted since. A complete round was synced by SQLite.
      const bool copied_now = copied > last_copied || (log < last_log && copied > 0);
      if (copied_now && copied != log && file && file->pMethods &&
          file->pMethods->xSync(file, SQLITE_SYNC_NORMAL) != SQLITE_OK)
        spdlog::warn("store: checkpoint: syncing the database file failed");
      last_log = log;
      last_copied = copied;
    }
    if (stopping) return;
  }
}

}  // namespace sb::gateway
