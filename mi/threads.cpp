// threads.cpp: the thread table behind `ps`.
#include "mi/threads.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>

namespace sb::mi {

namespace {
std::mutex g_mu;
std::vector<ThreadInfo> g_threads;
int g_next_id = 0;
}  // namespace

ThreadTag::ThreadTag(std::string type) {
  std::lock_guard lk(g_mu);
  id_ = g_next_id++;
  g_threads.push_back(ThreadInfo{id_, static_cast<long>(::syscall(SYS_gettid)), std::move(type)});
}

ThreadTag::~ThreadTag() {
  std::lock_guard lk(g_mu);
  g_threads.erase(std::remove_if(g_threads.begin(), g_threads.end(),
                                 [this](const ThreadInfo& t) { return t.id == id_; }),
                  g_threads.end());
}

std::vector<ThreadInfo> list_threads() {
  std::lock_guard lk(g_mu);
  return g_threads;
}

}  // namespace sb::mi
