// io_client.h: small helpers shared by the client libraries (fifo_client, datagram_client):
// deadline arithmetic for poll() and unique names for per-call files.
// Threading: pure functions; random_suffix() uses a thread-local generator.
#pragma once

#include <chrono>
#include <string>

namespace sb::client {

/// Milliseconds left until `deadline`, rounded up, clamped to what poll() takes (0..INT_MAX).
int remaining_ms(std::chrono::steady_clock::time_point deadline);
/// 16 random hex digits, for reply FIFO and client socket names.
std::string random_suffix();
/// A name usable as a file-name prefix: not empty, no '/', '\\' or '.'.
bool plain_name(const std::string& s);

}  // namespace sb::client
