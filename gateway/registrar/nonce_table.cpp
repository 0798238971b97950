// nonce_table.cpp: the ring of issued nonces and their nc (see nonce_table.h).
#include "gateway/registrar/nonce_table.h"

#include <functional>

namespace sb::gateway {

NonceTable::NonceTable(std::size_t size) : size_(size == 0 ? 1 : size) {}

std::uint64_t NonceTable::issue() {
  if (slots_.empty()) slots_.resize(size_);
  std::uint64_t seq = next_++;
  slots_[seq % slots_.size()] = Slot{seq, 0, false, 0};
  return seq;
}

NonceTable::Use NonceTable::use(std::uint64_t seq, std::uint32_t nc, const std::string& key, bool commit) {
  if (seq == 0 || slots_.empty()) return Use::unknown;
  Slot& s = slots_[seq % slots_.size()];
  if (s.seq != seq) return Use::unknown;
  std::size_t h = std::hash<std::string>{}(key);
  if (!key.empty() && s.used && nc == s.nc && h == s.key_hash) return Use::retransmit;
  if (s.used && (nc == 0 || nc <= s.nc)) return Use::replay;
  if (commit) {
    s.used = true;
    s.nc = nc;
    s.key_hash = h;
  }
  return Use::ok;
}

}  // namespace sb::gateway
