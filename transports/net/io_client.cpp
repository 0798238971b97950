// io_client.cpp: helpers shared by the client libraries.
#include "transports/net/io_client.h"

#include <unistd.h>

#include <climits>
#include <cstdio>
#include <functional>
#include <random>
#include <thread>

namespace sb::client {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return left > INT_MAX ? INT_MAX : static_cast<int>(left);
}

std::string random_suffix() {
  thread_local std::mt19937_64 rng = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), static_cast<unsigned>(::getpid()),
                      static_cast<unsigned>(Clock::now().time_since_epoch().count()),
                      static_cast<unsigned>(std::hash<std::thread::id>{}(std::this_thread::get_id()))};
    return std::mt19937_64(seq);
  }();
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

bool plain_name(const std::string& s) {
  return !s.empty() && s.find_first_of("/\\.") == std::string::npos;
}

}  // namespace sb::client
