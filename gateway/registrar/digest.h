// digest.h: HTTP digest authentication for SIP (RFC 2617 / RFC 3261 §22.4), server side: HA1
// hashes, signed nonces with an expiry (stale=true) and a sequence number (its slot in the
// NonceTable that tracks its use, nonce_table.h), and verification of a client's response
// (MD5, qop=auth or no qop, compared in constant time), hashed with sofia-sip's su_md5.
//
// Threading: Nonces is immutable after construction (its secret is random per process) and may
// be used from any thread; the free functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace sb::gateway {

/// MD5 hex of "a:b:c" — HA1 = md5hex3(user, realm, password).
std::string md5_hex(const std::string& text);
std::string digest_ha1(const std::string& user, const std::string& realm, const std::string& password);

class Nonces {
 public:
  explicit Nonces(std::int64_t lifetime_s);
  /// A nonce that embeds its creation time, sequence number `seq` and a MAC of both.
  std::string make(std::int64_t now, std::uint64_t seq) const;
  enum class Check { valid, stale, forged };
  /// `seq` (when not null) receives the sequence number of a valid or stale nonce.
  Check check(const std::string& nonce, std::int64_t now, std::uint64_t* seq = nullptr) const;
  std::int64_t lifetime() const { return lifetime_; }

 private:
  std::string mac(const std::string& stamp) const;
  std::string secret_;
  std::int64_t lifetime_;
};

/// The fields of an Authorization header we need, as the client sent them (unquoted).
struct DigestCredentials {
  std::string username, realm, nonce, uri, response, algorithm, cnonce, qop, nc;
};

/// Equality that takes the same time wherever the first difference is (MACs, responses);
/// ASCII letters compare case-insensitively (hex digests).
bool constant_time_equal(const std::string& a, const std::string& b);

/// A client-supplied string made safe for one log line: control bytes, DEL, backslash and
/// non-ASCII bytes as \xNN, cut to `max` bytes (then "...").
std::string printable(const std::string& text, std::size_t max = 128);

/// `nc` as sent (8 hex digits) → its value; nullopt when malformed or zero.
std::optional<std::uint32_t> parse_nc(const std::string& nc);

/// True when `cred.response` is right for HA1 `ha1` and `method` (MD5; qop auth or none).
bool digest_response_ok(const DigestCredentials& cred, const std::string& ha1, const std::string& method);

}  // namespace sb::gateway
