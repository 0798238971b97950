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

std::string Nonces::make(std::int64_t now) const {
  std::string stamp = fmt::format("{:016x}", static_cast<std::uint64_t>(now));
  return stamp + mac(stamp);
}

Nonces::Check Nonces::check(const std::string& nonce, std::int64_t now) const {
  if (nonce.size() != 16 + 32) return Check::forged;
  std::string stamp = nonce.substr(0, 16);
  if (mac(stamp) != nonce.substr(16)) return Check::forged;
  std::uint64_t t = 0;
  for (char c : stamp) {
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (d < 0) return Check::forged;
    t = t * 16 + static_cast<std::uint64_t>(d);
  }
  auto made = static_cast<std::int64_t>(t);
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
  if (c.response.size() != expected.size()) return false;
  unsigned diff = 0;
  for (std::size_t i = 0; i < expected.size(); ++i)
    diff |= static_cast<unsigned>(std::tolower(static_cast<unsigned char>(c.response[i])) ^ expected[i]);
  return diff == 0;
}

}  // namespace sb::gateway
