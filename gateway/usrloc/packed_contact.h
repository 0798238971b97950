// packed_contact.h: how usrloc keeps a binding in memory — one fixed record plus one allocation
// holding its variable strings back to back, with the user agent and the socket interned
// (a registrar sees a handful of distinct values for thousands of bindings). The AOR is not
// stored here: it is the key of the record's list. `Contact` (usrloc.h) stays the type every
// caller reads and writes; pack() and unpack() convert.
//
// Threading: none of its own; usrloc's engine thread owns the pool and the records.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sb::gateway {

struct Contact;

/// Interned strings with reference counts: a value is kept while a record uses it and freed
/// with its last user, so distinct values sent by clients cannot pile up.
class StringPool {
 public:
  /// The pool's copy of `s` (one more user); null for the empty string.
  const std::string* acquire(std::string_view s);
  /// One user fewer; the value goes with its last user. Null is ignored.
  void release(const std::string* s);
  /// Distinct values held.
  std::size_t size() const { return refs_.size(); }

 private:
  std::unordered_map<std::string, std::size_t> refs_;  ///< value → users (keys never move)
};

/// One binding without its AOR. Its string block comes from `mem` (usrloc's pool of long-lived
/// blocks, apart from the heap's short-lived ones). Move-only; release() hands the interned
/// strings and the block back before it is dropped (the owner does so: the record does not know
/// its pools; a block not released goes with `mem` itself).
class PackedContact {
 public:
  PackedContact(const Contact& c, StringPool& pool, std::pmr::memory_resource& mem);
  PackedContact(PackedContact&& other) noexcept;
  PackedContact& operator=(PackedContact&& other) noexcept;
  PackedContact(const PackedContact&) = delete;
  PackedContact& operator=(const PackedContact&) = delete;

  /// The binding as callers see it, with `aor` filled in.
  Contact unpack(std::string_view aor) const;
  void release(StringPool& pool, std::pmr::memory_resource& mem);

  std::uint64_t id() const { return id_; }
  std::int64_t expires() const { return expires_; }
  std::string_view uri() const { return field(kUri); }

 private:
  enum Field : std::size_t { kUri, kCallid, kReceived, kPath, kCflags, kInstance, kFields };
  std::string_view field(Field f) const;

  std::uint64_t id_;
  std::int64_t expires_;
  std::int64_t last_modified_;
  std::uint32_t cseq_;
  std::uint32_t methods_;
  std::uint32_t flags_;
  std::int32_t q_;
  const std::string* user_agent_;
  const std::string* socket_;
  std::size_t text_size() const;

  char* text_ = nullptr;                    ///< the fields below, back to back, no terminators
  std::array<std::uint32_t, kFields> len_;  ///< length of each field in text_
};

}  // namespace sb::gateway
