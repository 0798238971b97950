// database.h: a thin RAII layer over SQLite (WAL) — open + schema migrations, prepared
// statements, transactions — so every acknowledged write is committed before its reply.
//
// Threading: one Database (connection) per owning thread; it is not shared. The SIP engine owns
// one, opened on its thread; `migrate()` runs once at start-up (any thread, before the others
// open theirs). Errors throw StoreError with SQLite's message and the statement that failed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <memory>
#include <unordered_map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace sb::gateway {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// `synchronous` = "normal" (durable across a crash or kill -9 of the daemon, WAL default) or
/// "full" (also across a power loss, one fsync per commit).
struct DatabaseOptions {
  std::string path;  ///< file path; ":memory:" for a private in-memory database (tests)
  std::string synchronous = "normal";
  int busy_timeout_ms = 5000;
  /// false: this connection never checkpoints the WAL itself (a Checkpointer does it on its own
  /// thread, so the writer never stalls on a checkpoint).
  bool auto_checkpoint = true;
};

class Statement;

class Database {
 public:
  explicit Database(DatabaseOptions options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  /// Brings the schema to the latest version (each step in its own transaction); returns the
  /// version reached. Refuses a database written by a newer Switchboard.
  int migrate();
  void exec(std::string_view sql);
  Statement prepare(std::string_view sql);
  /// A statement prepared once and kept for the connection's life (hot paths: usrloc writes,
  /// BEGIN/COMMIT). Reset before it is returned.
  Statement& cached(const std::string& sql);
  sqlite3* handle() { return db_; }
  const std::string& path() const { return options_.path; }
  std::int64_t changes() const;
  /// The rowid of the last row this connection inserted.
  std::int64_t last_insert_rowid() const;

 private:
  DatabaseOptions options_;
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

/// A prepared statement. bind() is 1-based like SQLite; step() returns true while rows come.
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(Statement&& o) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;

  Statement& bind(int i, std::string_view text);
  Statement& bind(int i, std::int64_t n);
  Statement& bind(int i, double d);
  Statement& bind_null(int i);
  bool step();
  /// Runs a statement that returns no rows (INSERT/UPDATE/DELETE) and resets it.
  void run();
  void reset();
  std::string text(int col) const;
  std::int64_t integer(int col) const;
  double real(int col) const;
  bool is_null(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
  std::string sql_;
};

/// BEGIN IMMEDIATE on construction; commit() makes it durable; otherwise rolled back. Inside
/// another Transaction of the same connection it is a SAVEPOINT: commit() keeps its changes for
/// the outer one to commit, destruction without commit() undoes only its own.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  void commit();

 private:
  Database& db_;
  bool nested_ = false;
  bool done_ = false;
};

/// Checkpoints a WAL database from its own thread and connection every `interval` (PASSIVE: it
/// never blocks the writer), and once more when stopped. Inert for ":memory:".
class Checkpointer {
 public:
  Checkpointer(std::string path, std::chrono::milliseconds interval);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  /// Whether it runs a thread (false for ":memory:", which has nothing to checkpoint).
  bool active() const { return thread_.joinable(); }
  /// True once its thread has opened its connection and is waiting for the next interval (so
  /// that stopping now has to interrupt that wait).
  bool waiting() const;

 private:
  void run();
  std::string path_;
  std::chrono::milliseconds interval_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool waiting_ = false;  ///< under mu_, which the thread holds except while it waits
  std::thread thread_;
};

/// Creates the directory holding `path` when missing (for `core.db = ./var/switchboard.db`).
void ensure_parent_dir(const std::string& path);

}  // namespace sb::gateway
