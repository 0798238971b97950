// sip_peer.cpp: the scripted SIP UA of the SIP loopback tests (see sip_peer.h).
#include "support/sip_peer.h"

#include "support/sockets.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>

namespace sb::test {

// ---------------------------------------------------------------------------------------------
// MD5, RFC 1321.

namespace {

struct Md5 {
  std::uint32_t a = 0x67452301, b = 0xefcdab89, c = 0x98badcfe, d = 0x10325476;
  std::uint64_t length = 0;  // bytes
  unsigned char buffer[64] = {};
  std::size_t used = 0;

  static std::uint32_t rol(std::uint32_t x, int s) { return (x << s) | (x >> (32 - s)); }

  void block(const unsigned char* p) {
    static const std::uint32_t k[64] = {
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
        0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
        0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
        0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
        0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
        0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
        0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
        0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};
    static const int r[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                              5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                              4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                              6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
    std::uint32_t m[16];
    for (int i = 0; i < 16; ++i)
      m[i] = static_cast<std::uint32_t>(p[i * 4]) | static_cast<std::uint32_t>(p[i * 4 + 1]) << 8 |
             static_cast<std::uint32_t>(p[i * 4 + 2]) << 16 | static_cast<std::uint32_t>(p[i * 4 + 3]) << 24;
    std::uint32_t aa = a, bb = b, cc = c, dd = d;
    for (int i = 0; i < 64; ++i) {
      std::uint32_t f;
      int g;
      if (i < 16) {
        f = (bb & cc) | (~bb & dd);
        g = i;
      } else if (i < 32) {
        f = (dd & bb) | (~dd & cc);
        g = (5 * i + 1) % 16;
      } else if (i < 48) {
        f = bb ^ cc ^ dd;
        g = (3 * i + 5) % 16;
      } else {
        f = cc ^ (bb | ~dd);
        g = (7 * i) % 16;
      }
      std::uint32_t tmp = dd;
      dd = cc;
      cc = bb;
      bb = bb + rol(aa + f + k[i] + m[g], r[i]);
      aa = tmp;
    }
    a += aa;
    b += bb;
    c += cc;
    d += dd;
  }

  void update(const unsigned char* p, std::size_t n) {
    length += n;
    while (n > 0) {
      std::size_t take = std::min(n, 64 - used);
      std::memcpy(buffer + used, p, take);
      used += take;
      p += take;
      n -= take;
      if (used == 64) {
        block(buffer);
        used = 0;
      }
    }
  }

  std::string hex() {
    std::uint64_t bits = length * 8;
    unsigned char pad = 0x80;
    update(&pad, 1);
    unsigned char zero = 0;
    while (used != 56) update(&zero, 1);
    unsigned char len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(bits >> (8 * i));
    update(len, 8);
    std::string out;
    char buf[3];
    for (std::uint32_t w : {a, b, c, d})
      for (int i = 0; i < 4; ++i) {
        std::snprintf(buf, sizeof buf, "%02x", (w >> (8 * i)) & 0xff);
        out += buf;
      }
    return out;
  }
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n')) --e;
  return std::string(s.substr(b, e - b));
}

std::string unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

/// Compact header forms (RFC 3261 §7.3.3 and common extensions).
std::string canonical_name(std::string_view name) {
  std::string n = trim(name);
  if (n.size() == 1) {
    switch (std::tolower(static_cast<unsigned char>(n[0]))) {
      case 'v': return "Via";
      case 'f': return "From";
      case 't': return "To";
      case 'i': return "Call-ID";
      case 'm': return "Contact";
      case 'l': return "Content-Length";
      case 'c': return "Content-Type";
      case 'k': return "Supported";
      case 's': return "Subject";
      case 'e': return "Content-Encoding";
      default: break;
    }
  }
  return n;
}

bool name_is(std::string_view have, std::string_view want) {
  return lower(canonical_name(have)) == lower(canonical_name(want));
}

}  // namespace

std::string md5_hex(std::string_view data) {
  Md5 m;
  m.update(reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return m.hex();
}

// ---------------------------------------------------------------------------------------------
// Parsing.

std::vector<std::string> split_header_list(std::string_view value) {
  std::vector<std::string> out;
  bool quoted = false;
  int angle = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
      continue;
    }
    if (c == '"') quoted = true;
    else if (c == '<') ++angle;
    else if (c == '>' && angle > 0) --angle;
    else if (c == ',' && angle == 0) {
      std::string item = trim(value.substr(start, i - start));
      if (!item.empty()) out.push_back(item);
      start = i + 1;
    }
  }
  std::string item = trim(value.substr(start));
  if (!item.empty()) out.push_back(item);
  return out;
}

std::map<std::string, std::string> auth_params(std::string_view value) {
  std::map<std::string, std::string> out;
  std::string v = trim(value);
  auto sp = v.find_first_of(" \t");
  out[""] = v.substr(0, sp);
  if (sp == std::string::npos) return out;
  for (const std::string& item : split_header_list(std::string_view(v).substr(sp + 1))) {
    auto eq = item.find('=');
    if (eq == std::string::npos) {
      out[lower(trim(item))] = "";
      continue;
    }
    out[lower(trim(item.substr(0, eq)))] = unquote(trim(item.substr(eq + 1)));
  }
  return out;
}

std::optional<std::string> header_param(std::string_view value, std::string_view name) {
  // Params start after the URI's closing '>' (name-addr) or after the first ';' (addr-spec).
  std::size_t pos = 0;
  auto gt = value.find('>');
  if (gt != std::string_view::npos) pos = gt + 1;
  std::string rest(value.substr(pos));
  std::size_t i = 0;
  while ((i = rest.find(';', i)) != std::string::npos) {
    std::size_t end = rest.find(';', i + 1);
    std::string item = trim(rest.substr(i + 1, end == std::string::npos ? std::string::npos : end - i - 1));
    auto eq = item.find('=');
    std::string key = lower(trim(item.substr(0, eq)));
    if (key == lower(name)) return eq == std::string::npos ? std::string() : unquote(trim(item.substr(eq + 1)));
    i = i + 1;
  }
  return std::nullopt;
}

std::string header_uri(std::string_view value) {
  auto lt = value.find('<');
  if (lt != std::string_view::npos) {
    auto gt = value.find('>', lt);
    return std::string(value.substr(lt + 1, gt == std::string_view::npos ? std::string_view::npos : gt - lt - 1));
  }
  std::string v = trim(value);
  return v.substr(0, v.find(';'));
}

std::optional<SipMessage> parse_sip(const std::string& raw) {
  SipMessage m;
  m.raw = raw;
  auto head_end = raw.find("\r\n\r\n");
  std::size_t sep = 4;
  if (head_end == std::string::npos) {
    head_end = raw.find("\n\n");
    sep = 2;
  }
  std::string head = raw.substr(0, head_end);
  if (head_end != std::string::npos) m.body = raw.substr(head_end + sep);
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= head.size()) {
    auto nl = head.find('\n', start);
    std::string line = head.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !lines.empty()) lines.back() += " " + trim(line);
    else lines.push_back(line);
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  if (lines.empty()) return std::nullopt;
  const std::string& first = lines[0];
  if (first.rfind("SIP/2.0 ", 0) == 0) {
    if (first.size() < 11) return std::nullopt;
    m.status = std::atoi(first.c_str() + 8);
    if (m.status < 100 || m.status > 699) return std::nullopt;
    m.reason = first.size() > 12 ? first.substr(12) : "";
  } else {
    auto sp1 = first.find(' ');
    auto sp2 = first.rfind(' ');
    if (sp1 == std::string::npos || sp2 == sp1 || first.substr(sp2 + 1) != "SIP/2.0") return std::nullopt;
    m.is_request = true;
    m.method = first.substr(0, sp1);
    m.uri = first.substr(sp1 + 1, sp2 - sp1 - 1);
  }
  for (std::size_t i = 1; i < lines.size(); ++i) {
    auto colon = lines[i].find(':');
    if (colon == std::string::npos) return std::nullopt;
    m.headers.emplace_back(canonical_name(lines[i].substr(0, colon)), trim(lines[i].substr(colon + 1)));
  }
  // Trust Content-Length when present (a datagram may carry trailing bytes).
  if (auto cl = m.header("Content-Length"); !cl.empty()) {
    std::size_t n = std::strtoul(cl.c_str(), nullptr, 10);
    if (n < m.body.size()) m.body.resize(n);
  }
  return m;
}

std::string SipMessage::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (name_is(k, name)) return v;
  return {};
}

bool SipMessage::has(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (name_is(k, name)) return true;
  return false;
}

std::vector<std::string> SipMessage::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers) {
    if (!name_is(k, name)) continue;
    for (auto& item : split_header_list(v)) out.push_back(std::move(item));
  }
  return out;
}

long long SipMessage::cseq() const {
  std::string v = header("CSeq");
  if (v.empty() || !std::isdigit(static_cast<unsigned char>(v[0]))) return -1;
  return std::atoll(v.c_str());
}

std::string SipMessage::cseq_method() const {
  std::string v = header("CSeq");
  auto sp = v.find_last_of(" \t");
  return sp == std::string::npos ? std::string() : trim(v.substr(sp + 1));
}

std::string SipMessage::to_tag() const { return header_param(header("To"), "tag").value_or(""); }
std::string SipMessage::from_tag() const { return header_param(header("From"), "tag").value_or(""); }

std::string SipMessage::branch() const {
  auto vias = all("Via");
  if (vias.empty()) return {};
  // Via params follow the sent-by, no angle brackets: search from the first ';'.
  const std::string& v = vias.front();
  auto semi = v.find(';');
  if (semi == std::string::npos) return {};
  return header_param("<>" + v.substr(semi), "branch").value_or("");
}

int SipMessage::from_port() const { return ntohs(from.sin_port); }

// ---------------------------------------------------------------------------------------------
// Digest.

std::string digest_response(const std::string& user, const std::string& realm, const std::string& password,
                            const std::string& method, const std::string& uri, const std::string& nonce,
                            const std::string& qop, const std::string& nc, const std::string& cnonce) {
  std::string ha1 = md5_hex(user + ":" + realm + ":" + password);
  std::string ha2 = md5_hex(method + ":" + uri);
  if (qop.empty()) return md5_hex(ha1 + ":" + nonce + ":" + ha2);
  return md5_hex(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":" + qop + ":" + ha2);
}

std::string digest_authorization(const std::string& user, const std::string& password, const std::string& uri,
                                 const std::map<std::string, std::string>& challenge, const std::string& method,
                                 const std::string& nc, const std::string& cnonce) {
  auto get = [&](const char* k) {
    auto it = challenge.find(k);
    return it == challenge.end() ? std::string() : it->second;
  };
  std::string realm = get("realm"), nonce = get("nonce");
  bool qop_auth = get("qop").find("auth") != std::string::npos;
  std::string response = digest_response(user, realm, password, method, uri, nonce, qop_auth ? "auth" : "",
                                         nc, cnonce);
  std::string out = "Digest username=\"" + user + "\", realm=\"" + realm + "\", nonce=\"" + nonce +
                    "\", uri=\"" + uri + "\", response=\"" + response + "\", algorithm=MD5";
  if (qop_auth) out += ", qop=auth, nc=" + nc + ", cnonce=\"" + cnonce + "\"";
  return out;
}

// ---------------------------------------------------------------------------------------------
// The peer.

std::string SipPeer::random_token(std::size_t hex_digits) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string out;
  char buf[17];
  while (out.size() < hex_digits) {
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
    out += buf;
  }
  out.resize(hex_digits);
  return out;
}

SipPeer::SipPeer(int daemon_port) : daemon_port_(daemon_port) {
  fd_ = bind_loopback(SOCK_DGRAM, &port_);
  if (fd_ < 0) throw std::runtime_error("sip peer: cannot bind a loopback UDP socket");
  int big = 1 << 20;
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
}

SipPeer::~SipPeer() {
  stop_serving();
  if (fd_ >= 0) ::close(fd_);
}

std::string SipPeer::contact_uri(const std::string& user) const {
  return "sip:" + user + "@" + host_port();
}

std::string SipPeer::build(SipRequest& r) const {
  if (r.branch.empty()) r.branch = "z9hG4bK" + random_token(16);
  if (r.from_tag.empty()) r.from_tag = random_token(8);
  if (r.call_id.empty()) r.call_id = random_token(20) + "@127.0.0.1";
  std::string ruri = r.ruri;
  if (ruri.empty()) {
    auto at = r.to.find('@');
    ruri = "sip:" + (at == std::string::npos ? std::string("127.0.0.1") : r.to.substr(at + 1));
  }
  std::string from = r.from.empty() ? r.to : r.from;
  std::string cseq = r.cseq.empty() ? std::to_string(r.cseq_number) + " " + r.method : r.cseq;
  std::string out = r.method + " " + ruri + " SIP/2.0\r\n";
  out += "Via: SIP/2.0/UDP " + host_port() + ";branch=" + r.branch + ";rport\r\n";
  out += "Max-Forwards: 70\r\n";
  if (!from.empty()) out += "From: <" + from + ">;tag=" + r.from_tag + "\r\n";
  if (!r.to.empty()) out += "To: <" + r.to + ">\r\n";
  if (r.call_id != "-") out += "Call-ID: " + r.call_id + "\r\n";
  if (cseq != "-") out += "CSeq: " + cseq + "\r\n";
  for (const auto& c : r.contacts) out += "Contact: " + c + "\r\n";
  if (r.expires) out += "Expires: " + *r.expires + "\r\n";
  if (r.authorization) out += "Authorization: " + *r.authorization + "\r\n";
  if (!r.user_agent.empty()) out += "User-Agent: " + r.user_agent + "\r\n";
  for (const auto& [k, v] : r.extra) out += k + ": " + v + "\r\n";
  if (!r.body.empty() && !r.content_type.empty()) out += "Content-Type: " + r.content_type + "\r\n";
  if (r.content_length) out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  out += "\r\n";
  out += r.body;
  return out;
}

void SipPeer::send_raw(std::string_view bytes, int port) const {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(static_cast<std::uint16_t>(port ? port : daemon_port_));
  send_to(bytes, to);
}

void SipPeer::send_to(std::string_view bytes, const sockaddr_in& to) const {
  ssize_t n = ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  if (n != static_cast<ssize_t>(bytes.size()))
    throw std::runtime_error(std::string("sip peer: sendto failed: ") + std::strerror(errno));
}

std::optional<SipMessage> SipPeer::receive(std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  std::vector<char> buf(70000);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, static_cast<int>(left.count()));
    if (rc <= 0) {
      if (rc < 0 && errno == EINTR) continue;
      return std::nullopt;
    }
    sockaddr_in from{};
    socklen_t flen = sizeof from;
    ssize_t n = ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &flen);
    if (n <= 0) continue;
    auto m = parse_sip(std::string(buf.data(), static_cast<std::size_t>(n)));
    if (!m) continue;
    m->from = from;
    return m;
  }
}

std::optional<SipMessage> SipPeer::receive_final(const std::string& branch, std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto m = receive(left);
    if (!m) return std::nullopt;
    if (m->is_request || m->status < 200 || m->branch() != branch) continue;
    return m;
  }
}

std::optional<SipMessage> SipPeer::request(SipRequest& r, std::chrono::milliseconds timeout) {
  std::string text = build(r);
  send_raw(text);
  return receive_final(r.branch, timeout);
}

SipPeer::Handler SipPeer::answer_200() {
  return [](const SipMessage& req) -> std::vector<std::string> {
    if (req.method == "ACK") return {};
    return {make_response(req, 200, "OK", {{"Server", "sb-sip-peer/1"}})};
  };
}

void SipPeer::serve(Handler handler) {
  stop_serving();
  handler_ = std::move(handler);
  stop_ = false;
  thread_ = std::thread([this] { serve_loop(); });
}

void SipPeer::stop_serving() {
  if (!thread_.joinable()) return;
  stop_ = true;
  thread_.join();
}

void SipPeer::serve_loop() {
  std::vector<char> buf(70000);
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, 20);
    if (rc <= 0) continue;
    sockaddr_in from{};
    socklen_t flen = sizeof from;
    ssize_t n = ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &flen);
    if (n <= 0) continue;
    auto m = parse_sip(std::string(buf.data(), static_cast<std::size_t>(n)));
    if (!m || !m->is_request) continue;
    m->from = from;
    std::vector<std::string> replies;
    if (handler_) replies = handler_(*m);
    {
      std::lock_guard lk(mu_);
      received_.push_back(*m);
    }
    cv_.notify_all();
    for (const auto& r : replies) {
      try {
        send_to(r, from);
      } catch (const std::exception&) {
      }
    }
  }
}

std::vector<SipMessage> SipPeer::received() const {
  std::lock_guard lk(mu_);
  return received_;
}

std::optional<SipMessage> SipPeer::wait_for(const std::function<bool(const SipMessage&)>& pred,
                                            std::chrono::milliseconds timeout) const {
  std::unique_lock lk(mu_);
  std::optional<SipMessage> found;
  cv_.wait_for(lk, timeout, [&] {
    for (const auto& m : received_)
      if (pred(m)) {
        found = m;
        return true;
      }
    return false;
  });
  return found;
}

std::size_t SipPeer::count(const std::string& method) const {
  std::lock_guard lk(mu_);
  return static_cast<std::size_t>(
      std::count_if(received_.begin(), received_.end(), [&](const SipMessage& m) { return m.method == method; }));
}

std::string SipPeer::make_response(const SipMessage& req, int status, const std::string& reason,
                                   const std::vector<std::pair<std::string, std::string>>& extra,
                                   const std::string& body, const std::string& to_tag) {
  std::string out = "SIP/2.0 " + std::to_string(status) + " " + reason + "\r\n";
  for (const auto& [k, v] : req.headers)
    if (name_is(k, "Via")) out += "Via: " + v + "\r\n";
  out += "From: " + req.header("From") + "\r\n";
  std::string to = req.header("To");
  if (!header_param(to, "tag") && status > 100 && !to_tag.empty()) to += ";tag=" + to_tag;
  out += "To: " + to + "\r\n";
  out += "Call-ID: " + req.header("Call-ID") + "\r\n";
  out += "CSeq: " + req.header("CSeq") + "\r\n";
  for (const auto& [k, v] : extra) out += k + ": " + v + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out += body;
  return out;
}

}  // namespace sb::test
