// client_auth.cpp: challenge parsing and the sofia-sip auth_client calls behind ClientAuth.
#include "gateway/sip/sofia.h"  // first: sofia's magic types

#include "gateway/sip/client_auth.h"

#include <sofia-sip/auth_client.h>

#include <strings.h>

#include <vector>

#include <fmt/format.h>

namespace sb::gateway {

namespace {

struct AuthHome {
  su_home_t home[1] = {SU_HOME_INIT(home)};
  ~AuthHome() { su_home_deinit(home); }
};

/// `"a \"b\""` → `a "b"`; an unquoted token is returned as is.
std::string unquote_param(const char* v) {
  if (!v) return {};
  std::string s(v);
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return s;
  std::string out;
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] == '\\' && i + 2 < s.size()) ++i;
    out += s[i];
  }
  return out;
}

std::string param(const msg_auth_t* au, const char* name) {
  return unquote_param(msg_params_find(au->au_params, name));
}

bool iequals(const std::string& a, const char* b) { return strcasecmp(a.c_str(), b) == 0; }

/// True when the comma-separated qop list offers `option` (auth, auth-int).
bool offers(const std::string& qop, const char* option) {
  std::size_t start = 0;
  while (start <= qop.size()) {
    auto comma = qop.find(',', start);
    std::string item = qop.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    auto b = item.find_first_not_of(" \t");
    auto e = item.find_last_not_of(" \t");
    item = b == std::string::npos ? std::string() : item.substr(b, e - b + 1);
    if (iequals(item, option)) return true;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return false;
}

Challenge parse(const msg_auth_t* au, bool proxy) {
  Challenge c;
  c.proxy = proxy;
  c.scheme = au->au_scheme ? au->au_scheme : "";
  c.realm = param(au, "realm=");
  c.nonce = param(au, "nonce=");
  c.algorithm = param(au, "algorithm=");
  c.qop = param(au, "qop=");
  c.opaque = param(au, "opaque=");
  c.stale = iequals(param(au, "stale="), "true");
  return c;
}

}  // namespace

std::vector<Challenge> challenges_of(const sip_t* reply) {
  std::vector<Challenge> out;
  if (!reply) return out;
  for (const msg_auth_t* au = reply->sip_www_authenticate; au; au = au->au_next) out.push_back(parse(au, false));
  for (const msg_auth_t* au = reply->sip_proxy_authenticate; au; au = au->au_next) out.push_back(parse(au, true));
  return out;
}

std::string unanswerable(const Challenge& c) {
  if (!iequals(c.scheme, "Digest")) return fmt::format("unsupported authentication scheme '{}'", c.scheme);
  if (c.realm.empty()) return "the challenge has no realm";
  if (c.nonce.empty()) return "the challenge has no nonce";
  if (!c.algorithm.empty() && !iequals(c.algorithm, "MD5") && !iequals(c.algorithm, "MD5-sess"))
    return fmt::format("unsupported digest algorithm '{}' (MD5 and MD5-sess are supported)", c.algorithm);
  if (!c.qop.empty() && !offers(c.qop, "auth") && !offers(c.qop, "auth-int")) return fmt::format("unsupported qop '{}'", c.qop);
  return {};
}

ClientAuth::ClientAuth() : home_(static_cast<su_home_t*>(su_home_new(sizeof(su_home_t)))) {}

ClientAuth::~ClientAuth() {
  if (home_) su_home_unref(home_);
}

void ClientAuth::clear() {
  if (home_) su_home_unref(home_);
  home_ = static_cast<su_home_t*>(su_home_new(sizeof(su_home_t)));
  list_ = nullptr;
}

bool ClientAuth::has_credentials() const {
  auto* list = list_;
  return list && auc_has_authorization(&list);
}

bool ClientAuth::challenge(const sip_t* reply, const std::string& user, const std::string& password,
                           std::string* why) {
  if (!home_) {
    if (why) *why = "out of memory";
    return false;
  }
  std::string first_reason;
  int taken = 0;
  auto take = [&](const msg_auth_t* list, bool proxy) {
    msg_hclass_t* credentials = proxy ? sip_proxy_authorization_class : sip_authorization_class;
    for (const msg_auth_t* au = list; au; au = au->au_next) {
      std::string reason = unanswerable(parse(au, proxy));
      if (!reason.empty()) {
        if (first_reason.empty()) first_reason = reason;
        continue;
      }
      // auc_challenge() walks au_next: hand it this one challenge alone. When qop offers both
      // auth and auth-int, sofia-sip would pick auth-int (a hash of the body, which callers of
      // headers() do not pass): offer it `auth` only. auc_challenge() copies what it keeps.
      msg_auth_t one = *au;
      one.au_next = nullptr;
      Challenge parsed = parse(au, proxy);
      std::vector<const char*> params;
      const std::string auth_only = "qop=\"auth\"";
      for (const msg_param_t* p = au->au_params; p && *p; ++p)
        params.push_back(strncasecmp(*p, "qop=", 4) == 0 && offers(parsed.qop, "auth") ? auth_only.c_str() : *p);
      params.push_back(nullptr);
      one.au_params = params.data();
      if (auc_challenge(&list_, home_, &one, credentials) < 0) {
        if (first_reason.empty()) first_reason = "the challenge could not be parsed";
        continue;
      }
      ++taken;
    }
  };
  if (reply) {
    take(reply->sip_www_authenticate, false);
    take(reply->sip_proxy_authenticate, true);
  }
  if (taken == 0) {
    if (why) *why = first_reason.empty() ? "the reply carries no challenge" : first_reason;
    return false;
  }
  if (auc_all_credentials(&list_, nullptr, nullptr, user.c_str(), password.c_str()) < 0) {
    if (why) *why = "out of memory";
    return false;
  }
  return true;
}

bool ClientAuth::headers(const std::string& method, const std::string& request_uri, std::vector<AuthHeader>* out,
                         std::string* why) {
  out->clear();
  if (!list_) return true;
  AuthHome h;
  url_t* url = url_make(h.home, request_uri.c_str());
  if (!url) {
    if (why) *why = fmt::format("'{}' is not a URI", request_uri);
    return false;
  }
  msg_header_t* first = nullptr;
  int rc = auc_authorization_headers(&list_, h.home, method.c_str(), url, nullptr, &first);
  if (rc < 0) {
    if (why) *why = "the credentials could not be computed";
    return false;
  }
  for (msg_header_t* hdr = first; hdr; hdr = hdr->sh_next) {
    if (!hdr->sh_class || !hdr->sh_class->hc_name) continue;
    // msg_header_field_e(), not sip_header_as_string(): the latter drops the last param of a
    // header made by msg_header_format() (here: the response, or nc) in sofia-sip 1.12.11.
    std::string value(1024, '\0');
    for (int round = 0; round < 2; ++round) {
      issize_t n = msg_header_field_e(value.data(), static_cast<isize_t>(value.size()), hdr, 0);
      if (n < 0) break;
      if (static_cast<std::size_t>(n) < value.size()) {
        value.resize(static_cast<std::size_t>(n));
        out->emplace_back(hdr->sh_class->hc_name, value);
        break;
      }
      value.assign(static_cast<std::size_t>(n) + 1, '\0');
    }
  }
  return true;
}

std::optional<AuthHeader> answer_challenge(const sip_t* reply, const std::string& method,
                                           const std::string& request_uri, const std::string& user,
                                           const std::string& password, std::string* why) {
  ClientAuth auth;
  if (!auth.challenge(reply, user, password, why)) return std::nullopt;
  std::vector<AuthHeader> headers;
  if (!auth.headers(method, request_uri, &headers, why)) return std::nullopt;
  if (headers.empty()) {
    if (why) *why = "no credentials were produced";
    return std::nullopt;
  }
  int status = reply->sip_status ? reply->sip_status->st_status : 0;
  const char* wanted = status == 407 ? "Proxy-Authorization" : "Authorization";
  for (const auto& h : headers)
    if (iequals(h.first, wanted)) return h;
  return headers.front();
}

}  // namespace sb::gateway
