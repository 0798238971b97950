// nonce_table.h: which digest nonces we issued and how far each has been used, so that a captured
// Authorization cannot be replayed. A fixed ring of `size` slots indexed by the nonce's sequence
// number (embedded and signed in the nonce, see digest.h): issuing nonce n overwrites slot
// n % size, so the table never grows and the oldest nonce is evicted first; an evicted or unknown
// nonce is answered with a new challenge (stale=true), which a client follows without asking
// its user. The ring is allocated at the first nonce issued, so a registrar without
// authentication (and every REGISTER worker) holds none of it. With qop=auth a nonce's `nc`
// must grow strictly from one request to the next; a nonce without qop is good for one request. An exact retransmission of the last request
// accepted under a nonce (same nc, same method, Call-ID and CSeq) is let through, for the
// stateless registrar (it changes nothing on a retransmitted REGISTER).
//
// Threading: not synchronised; the registrar uses it on the engine thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sb::gateway {

class NonceTable {
 public:
  explicit NonceTable(std::size_t size);
  /// The sequence number for the next nonce; its slot is reset (the nonce it held is evicted).
  std::uint64_t issue();
  enum class Use {
    ok,         ///< first use of this nc (or of a no-qop nonce): accepted and recorded
    retransmit, ///< the same request again (same nc and request key): accepted, nothing recorded
    unknown,    ///< never issued here, or evicted: challenge again (stale)
    replay,     ///< nc not above the last one, or a no-qop nonce used twice
  };
  /// Checks the use of nonce `seq` with `nc` (0 = no qop) for the request `key` (method, Call-ID,
  /// CSeq; empty = never a retransmission, e.g. an INVITE, whose retransmissions its server
  /// transaction absorbs); `commit` records it (call with commit=true only once the response verified).
  Use use(std::uint64_t seq, std::uint32_t nc, const std::string& key, bool commit);
  std::size_t size() const { return size_; }

 private:
  struct Slot {
    std::uint64_t seq = 0;  ///< 0 = empty (sequence numbers start at 1)
    std::uint32_t nc = 0;   ///< highest nc accepted; 0 = unused
    bool used = false;
    std::size_t key_hash = 0;  ///< the request last accepted under it
  };
  std::size_t size_;
  std::vector<Slot> slots_;  ///< empty until the first issue()
  std::uint64_t next_ = 1;
};

}  // namespace sb::gateway
