// admin_token.cpp: see admin_token.h.
#include "transports/http/admin_token.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace sb::transports {

namespace {

constexpr std::size_t kTokenBytes = 32;
constexpr std::string_view kPrefix = "sbt_";  // recognisable in a secret scanner

std::string base64url(const unsigned char* p, std::size_t n) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t bits = 0;
  int have = 0;
  for (std::size_t i = 0; i < n; ++i) {
    bits = (bits << 8) | p[i];
    have += 8;
    while (have >= 6) {
      have -= 6;
      out += kAlphabet[(bits >> have) & 63];
    }
  }
  if (have > 0) out += kAlphabet[(bits << (6 - have)) & 63];
  return out;
}

bool valid_token(std::string_view t) {
  if (t.size() < kPrefix.size() + 16 || t.substr(0, kPrefix.size()) != kPrefix) return false;
  for (char c : t.substr(kPrefix.size()))
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

std::optional<HttpCredential> credential(std::string token) {
  return HttpCredential{"admin-token", std::move(token), mi::Role::admin};
}

std::optional<HttpCredential> create(const std::string& path, std::string* why) {
  std::array<unsigned char, kTokenBytes> raw{};
  if (getrandom(raw.data(), raw.size(), 0) != static_cast<ssize_t>(raw.size())) {
    *why = fmt::format("no random bytes for the admin token: {}", std::strerror(errno));
    return std::nullopt;
  }
  std::string token = std::string(kPrefix) + base64url(raw.data(), raw.size());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    *why = fmt::format("cannot create the admin token file {}: {}", path, std::strerror(errno));
    return std::nullopt;
  }
  std::string text = token + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    *why = fmt::format("cannot write the admin token file {}", path);
    return std::nullopt;
  }
  return credential(std::move(token));
}

}  // namespace

std::string admin_token_path(const std::string& db_path) {
  if (db_path.empty() || db_path == ":memory:") return {};
  std::filesystem::path dir = std::filesystem::path(db_path).parent_path();
  return (dir.empty() ? std::filesystem::path("admin-token") : dir / "admin-token").string();
}

std::optional<HttpCredential> load_or_create_admin_token(const std::string& path, bool* created,
                                                         std::string* why) {
  *created = false;
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    auto c = create(path, why);
    *created = c.has_value();
    return c;
  }
  if (fd < 0) {
    *why = fmt::format("cannot open the admin token file {}: {}", path,
                       errno == ELOOP ? "it is a symbolic link" : std::strerror(errno));
    return std::nullopt;
  }
  struct stat st{};
  char buf[256];
  ssize_t n = -1;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0 || st.st_uid != ::geteuid()) {
    *why = fmt::format("the admin token file {} must be a regular file of this user with mode 0600 "
                       "(it is {:o}): not used", path, st.st_mode & 07777);
    return std::nullopt;
  }
  std::string token(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  if (!valid_token(token)) {
    *why = fmt::format("the admin token file {} does not hold a token (sbt_…): delete it to get a new one", path);
    return std::nullopt;
  }
  return credential(std::move(token));
}

}  // namespace sb::transports
