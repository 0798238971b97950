// threads.h: the process's thread table, shown by the `ps` command.
//
// Purpose: every long-lived thread (main, FIFO reader, MI workers, later the SIP engine and the
// HTTP daemon) registers its kernel TID and a type for its lifetime with a ThreadTag.
// Threading: any thread; the table is guarded by a mutex.
#pragma once

#include <string>
#include <vector>

namespace sb::mi {

struct ThreadInfo {
  int id;            ///< stable small number, in start order
  long tid;          ///< kernel thread id (gettid)
  std::string type;  ///< "main", "MI worker", "FIFO reader", …
};

/// Registers the calling thread while alive.
class ThreadTag {
 public:
  explicit ThreadTag(std::string type);
  ~ThreadTag();
  ThreadTag(const ThreadTag&) = delete;
  ThreadTag& operator=(const ThreadTag&) = delete;

 private:
  int id_;
};

std::vector<ThreadInfo> list_threads();

}  // namespace sb::mi
