// digest.cpp: MD5 digests (sofia-sip su_md5), nonce signing, response verification.
#include "gateway/registrar/digest.h"

#include <sofia-sip/su_md5.h>

#include <random>

#include <fmt/format.h>

namespace sb::gateway {

std::string md5_hex(const std::string& text) {
  su_md5_t ctx;
  su_md5_init(&ctx);
  su_md5_update(&ctx, text.data(), text.size());
  char hex[2 * SU_MD5_DIGEST_SIZE + 1];
  su_md5_hexdigest(&ctx, hex);
  return std::string(hex);
}

std::string digest_ha1(const std::string& user, const std::string& realm, const std::string& password) {
  return md5_hex(user + ":" + realm + ":" + password);
}

Nonces::Nonces(std::int64_t lifetime_s) : lifetime_(lifetime_s) {
  std::random_device rd;
  for (int i = 0; i < 4; ++i) secret_ += fmt::format("{:08x}", rd());
}

std::string Nonces::mac(const std::string& stamp) const { return md5_hex(stamp + ":" + secret_); }

namespace {
std::optional<std::uint64_t> parse_hex(const std::string& s) {
  if (s.empty() || s.size() > 16) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10
          : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
    if (d < 0) return std::nullopt;
    v = v * 16 + static_cast<std::uint64_t>(d);
  }
  return v;
}
}  // namespace

std::string Nonces::make(std::int64_t now, std::uint64_t seq) const {
  std::string stamp = fmt::format("{:016x}{:016x}", static_cast<std::uint64_t>(now), seq);
  return stamp + mac(stamp);
}

Nonces::Check Nonces::check(const std::string& nonce, std::int64_t now, std::uint64_t* seq) const {
  if (nonce.size() != 32 + 32) return Check::forged;
  std::string stamp = nonce.substr(0, 32);
  if (!constant_time_equal(mac(stamp), nonce.substr(32))) return Check::forged;
  auto t = parse_hex(stamp.substr(0, 16));
  auto n = parse_hex(stamp.substr(16));
  if (!t || !n) return Check::forged;
  if (seq) *seq = *n;
  auto made = static_cast<std::int64_t>(*t);
  if (made > now + 5) return Check::forged;  // from the future: not ours
  return now - made > lifetime_ ? Check::stale : Check::valid;
}

bool digest_response_ok(const DigestCredentials& c, const std::string& ha1, const std::string& method) {
  if (!c.algorithm.empty() && c.algorithm != "MD5" && c.algorithm != "md5") return false;
  std::string ha2 = md5_hex(method + ":" + c.uri);
  std::string expected;
  if (c.qop.empty()) {
    expected = md5_hex(ha1 + ":" + c.nonce + ":" + ha2);
  } else if (c.qop == "auth") {
    if (c.nc.empty() || c.cnonce.empty()) return false;
    expected = md5_hex(ha1 + ":" + c.nonce + ":" + c.nc + ":" + c.cnonce + ":" + c.qop + ":" + ha2);
  } else {
    return false;  // auth-int is not offered
  }
  return constant_time_equal(c.response, expected);
}

bool constant_time_equal(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    // ASCII letters fold to lower case without a branch on the data (0x20 bit), others unchanged.
    auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    unsigned fx = ((x | 0x20u) >= 'a' && (x | 0x20u) <= 'z') ? 0x20u : 0u;
    unsigned fy = ((y | 0x20u) >= 'a' && (y | 0x20u) <= 'z') ? 0x20u : 0u;
    diff |= (x | fx) ^ (y | fy);
  }
  return diff == 0;
}

std::string printable(const std::string& text, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (out.size() >= max) return out + "...";
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x7f || c == '\\') out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  return out;
}

std::optional<std::uint32_t> parse_nc(const std::string& nc) {
  if (nc.size() != 8) return std::nullopt;
  auto v = parse_hex(nc);
  if (!v || *v == 0) return std::nullopt;
  return static_cast<std::uint32_t>(*v);
}

}  // namespace sb::gateway
