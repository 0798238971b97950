// digest_test.cpp: gateway/registrar/digest.h — MD5 (RFC 1321 test suite), HA1, verification
// of a client's digest response (RFC 2617 §3.5 example, no-qop RFC 2069 style, refusals) and the
// signed nonces (fresh / stale / forged).
// Threading: single-threaded; every `now` is passed explicitly, no clock is read.
#include "gateway/registrar/digest.h"

#include <string>

#include <gtest/gtest.h>

namespace sb::gateway {
namespace {

TEST(Md5Hex, Rfc1321TestSuite) {
  EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5_hex("a"), "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(md5_hex("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(md5_hex("abcdefghijklmnopqrstuvwxyz"), "c3fcd3d76192e4007dfb496cca67e13b");
  EXPECT_EQ(md5_hex("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
            "d174ab98d277d9f5a5611c2c9f419d9f");
  EXPECT_EQ(md5_hex("1234567890123456789012345678901234567890"
                    "1234567890123456789012345678901234567890"),
            "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(Md5Hex, BinarySafeAndLowercase) {
  std::string with_nul("a\0b", 3);
  EXPECT_NE(md5_hex(with_nul), md5_hex("a"));
  EXPECT_EQ(md5_hex(with_nul).size(), 32u);
  for (char c : md5_hex("anything")) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << c;
}

TEST(DigestHa1, IsMd5OfUserRealmPassword) {
  EXPECT_EQ(digest_ha1("Mufasa", "testrealm@host.com", "Circle Of Life"),
            "939e7578ed9e3c518a452acee763bce9");
  EXPECT_EQ(digest_ha1("alice", "example.com", "secret"), "b1726872c344b6dc8365b774f8fd6412");
  EXPECT_EQ(digest_ha1("alice", "example.com", "secret"), md5_hex("alice:example.com:secret"));
}

/// The RFC 2617 §3.5 example request.
DigestCredentials rfc2617() {
  DigestCredentials c;
  c.username = "Mufasa";
  c.realm = "testrealm@host.com";
  c.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
  c.uri = "/dir/index.html";
  c.qop = "auth";
  c.nc = "00000001";
  c.cnonce = "0a4f113b";
  c.response = "6629fae49393a05397450978507c4ef1";
  return c;
}
const std::string kMufasaHa1 = "939e7578ed9e3c518a452acee763bce9";

TEST(DigestResponse, Rfc2617Example) {
  EXPECT_TRUE(digest_response_ok(rfc2617(), kMufasaHa1, "GET"));
  auto md5 = rfc2617();
  md5.algorithm = "MD5";
  EXPECT_TRUE(digest_response_ok(md5, kMufasaHa1, "GET"));
  md5.algorithm = "md5";
  EXPECT_TRUE(digest_response_ok(md5, kMufasaHa1, "GET"));
}

TEST(DigestResponse, NoQop) {
  // response = MD5(HA1:nonce:MD5(GET:/dir/index.html)), computed with Python's hashlib.
  DigestCredentials c = rfc2617();
  c.qop.clear();
  c.nc.clear();
  c.cnonce.clear();
  c.response = "670fd8c2df070c60b045671b8b24ff02";
  EXPECT_TRUE(digest_response_ok(c, kMufasaHa1, "GET"));
  // Without qop the nc/cnonce the client may still send play no part.
  c.nc = "00000001";
  c.cnonce = "0a4f113b";
  EXPECT_TRUE(digest_response_ok(c, kMufasaHa1, "GET"));
  // The qop=auth answer is not accepted as a no-qop answer.
  c.response = "6629fae49393a05397450978507c4ef1";
  EXPECT_FALSE(digest_response_ok(c, kMufasaHa1, "GET"));
}

TEST(DigestResponse, Refusals) {
  auto c = rfc2617();
  {
    auto w = c;
    w.response = "6629fae49393a05397450978507c4ef0";  // last digit changed
    EXPECT_FALSE(digest_response_ok(w, kMufasaHa1, "GET"));
    w.response = "6629fae49393a05397450978507c4ef";  // one digit short
    EXPECT_FALSE(digest_response_ok(w, kMufasaHa1, "GET"));
    w.response = "6629fae49393a05397450978507c4ef11";  // one digit long
    EXPECT_FALSE(digest_response_ok(w, kMufasaHa1, "GET"));
    w.response.clear();
    EXPECT_FALSE(digest_response_ok(w, kMufasaHa1, "GET"));
  }
  EXPECT_FALSE(digest_response_ok(c, kMufasaHa1, "REGISTER")) << "the method is part of HA2";
  EXPECT_FALSE(digest_response_ok(c, digest_ha1("Mufasa", "testrealm@host.com", "wrong"), "GET"));
  {
    auto w = c;
    w.uri = "/dir/other.html";
    EXPECT_FALSE(digest_response_ok(w, kMufasaHa1, "GET"));
  }
  {
    auto w = c;
    w.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c094";
    EXPECT_FALSE(digest_response_ok(w, kMufasaHa1, "GET"));
  }
  {
    auto w = c;
    w.nc = "00000002";
    EXPECT_FALSE(digest_response_ok(w, kMufasaHa1, "GET"));
  }
  for (const char* alg : {"MD5-sess", "SHA-256", "SHA-512-256", "x"}) {
    auto w = c;
    w.algorithm = alg;
    EXPECT_FALSE(digest_response_ok(w, kMufasaHa1, "GET")) << alg;
  }
  for (const char* qop : {"auth-int", "auth,auth-int", "bogus"}) {
    auto w = c;
    w.qop = qop;
    EXPECT_FALSE(digest_response_ok(w, kMufasaHa1, "GET")) << qop;
  }
  {
    auto w = c;  // qop=auth needs nc and cnonce
    w.cnonce.clear();
    EXPECT_FALSE(digest_response_ok(w, kMufasaHa1, "GET"));
    w = c;
    w.nc.clear();
    EXPECT_FALSE(digest_response_ok(w, kMufasaHa1, "GET"));
  }
}

TEST(DigestResponse, SipRegister) {
  // What a SIP UA computes for REGISTER sip:example.com with a no-qop challenge (hashlib).
  DigestCredentials c;
  c.username = "alice";
  c.realm = "example.com";
  c.nonce = "abc";
  c.uri = "sip:example.com";
  c.response = "dbe98f00688a08a2dbda0b12e8c71319";
  EXPECT_TRUE(digest_response_ok(c, digest_ha1("alice", "example.com", "secret"), "REGISTER"));
  EXPECT_FALSE(digest_response_ok(c, digest_ha1("alice", "example.com", "Secret"), "REGISTER"));
}

TEST(Nonces, FreshIsValid) {
  Nonces n(30);
  EXPECT_EQ(n.lifetime(), 30);
  std::string nonce = n.make(1'700'000'000, 7);
  EXPECT_EQ(nonce.size(), 64u);
  std::uint64_t seq = 0;
  EXPECT_EQ(n.check(nonce, 1'700'000'000, &seq), Nonces::Check::valid);
  EXPECT_EQ(seq, 7u);
  EXPECT_EQ(n.check(nonce, 1'700'000'000), Nonces::Check::valid);
  EXPECT_EQ(n.check(nonce, 1'700'000'029), Nonces::Check::valid);
  EXPECT_EQ(n.check(nonce, 1'700'000'030), Nonces::Check::valid) << "exactly the lifetime old";
  // The same second and sequence number make the same nonce; another of either, another one.
  EXPECT_EQ(n.make(1'700'000'000, 7), nonce);
  EXPECT_NE(n.make(1'700'000'001, 7), nonce);
  EXPECT_NE(n.make(1'700'000'000, 8), nonce);
}

TEST(Nonces, OlderThanTheLifetimeIsStale) {
  Nonces n(10);
  std::string nonce = n.make(1000, 1);
  EXPECT_EQ(n.check(nonce, 1011), Nonces::Check::stale);
  EXPECT_EQ(n.check(nonce, 1'000'000), Nonces::Check::stale);
}

TEST(Nonces, FromTheFutureIsForged) {
  Nonces n(10);
  std::string nonce = n.make(2000, 1);
  EXPECT_EQ(n.check(nonce, 1995), Nonces::Check::valid) << "5 s of clock slack";
  EXPECT_EQ(n.check(nonce, 1994), Nonces::Check::forged);
}

TEST(Nonces, TamperedIsForged) {
  Nonces n(300);
  const std::string nonce = n.make(1'700'000'000, 42);
  for (std::size_t i = 0; i < nonce.size(); ++i) {
    std::string t = nonce;
    t[i] = t[i] == '0' ? '1' : '0';
    EXPECT_EQ(n.check(t, 1'700'000'000), Nonces::Check::forged) << "changed at " << i;
  }
  EXPECT_EQ(n.check("", 1'700'000'000), Nonces::Check::forged);
  EXPECT_EQ(n.check(nonce.substr(0, 63), 1'700'000'000), Nonces::Check::forged);
  EXPECT_EQ(n.check(nonce + "0", 1'700'000'000), Nonces::Check::forged);
  EXPECT_EQ(n.check(std::string(64, 'z'), 1'700'000'000), Nonces::Check::forged);
  // A stamp moved into the past (to look stale or valid) with the old MAC is forged too, and so
  // is another sequence number (another slot of the nonce table) with the old MAC.
  std::string older = Nonces(300).make(1'699'999'000, 42).substr(0, 16) + nonce.substr(16);
  EXPECT_EQ(n.check(older, 1'700'000'000), Nonces::Check::forged);
  std::string moved = nonce.substr(0, 16) + Nonces(300).make(0, 43).substr(16, 16) + nonce.substr(32);
  EXPECT_EQ(n.check(moved, 1'700'000'000), Nonces::Check::forged);
}

TEST(Nonces, AnotherInstancesNonceIsForged) {
  Nonces a(300), b(300);
  std::string nonce = a.make(1'700'000'000, 1);
  EXPECT_EQ(a.check(nonce, 1'700'000'000), Nonces::Check::valid);
  EXPECT_EQ(b.check(nonce, 1'700'000'000), Nonces::Check::forged);
}

TEST(DigestHelpers, ConstantTimeEqualFoldsHexCase) {
  EXPECT_TRUE(constant_time_equal("0a1b2c", "0A1B2C"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_FALSE(constant_time_equal("0a1b2c", "0a1b2d"));
  EXPECT_FALSE(constant_time_equal("0a1b2c", "0a1b2"));
  EXPECT_FALSE(constant_time_equal("a", "!")) << "only letters fold";
}

TEST(DigestHelpers, PrintableEscapesControlBytesAndCuts) {
  EXPECT_EQ(printable("alice"), "alice");
  EXPECT_EQ(printable("a\r\nb\x1b\x7f\\"), "a\\x0d\\x0ab\\x1b\\x7f\\x5c");
  EXPECT_EQ(printable("\xc3\xa9"), "\\xc3\\xa9");
  EXPECT_EQ(printable(std::string(200, 'x'), 10), std::string(10, 'x') + "...");
}

TEST(DigestHelpers, ParseNc) {
  EXPECT_EQ(parse_nc("00000001"), 1u);
  EXPECT_EQ(parse_nc("0000000a"), 10u);
  EXPECT_EQ(parse_nc("FFFFFFFF"), 0xFFFFFFFFu);
  EXPECT_FALSE(parse_nc("00000000")) << "nc starts at 1";
  EXPECT_FALSE(parse_nc("1"));
  EXPECT_FALSE(parse_nc("0000000g"));
  EXPECT_FALSE(parse_nc(""));
}

}  // namespace
}  // namespace sb::gateway
