// rest_reply.cpp: problem+json, ETags, percent-encoding.
#include "transports/rest/rest_reply.h"

#include <microhttpd.h>

#include <cstdint>
#include <cstdio>

#include <fmt/format.h>

namespace sb::transports::rest {

namespace {

std::string_view slug_of_status(unsigned status) {
  mi::Error e = mi::Error::failure(static_cast<int>(status), {});
  return mi::problem_slug(e);
}

const char* reason_phrase(unsigned status) {
  const char* p = MHD_get_reason_phrase_for(status);
  return p && *p ? p : "Error";
}

HttpReply make(unsigned status, std::string_view slug, std::string detail,
               std::optional<int> mi_code, mi::Value errors) {
  mi::Value body = mi::Value::object();
  body["type"] = problem_type(slug);
  body["title"] = reason_phrase(status);
  body["status"] = status;
  body["detail"] = std::move(detail);
  if (mi_code) body["mi_code"] = *mi_code;
  if (!errors.is_null()) body["errors"] = std::move(errors);
  return HttpReply{status, kProblemJson, mi::to_compact_json(body), {}};
}

}  // namespace

std::string problem_type(std::string_view slug) {
  return fmt::format("tag:switchboard,2026:problem:{}", slug);
}

HttpReply problem(const mi::Error& e, mi::Value errors) {
  std::string detail = e.reason;
  if (!e.detail.empty() && e.detail != e.reason) detail += ": " + e.detail;
  auto status = static_cast<unsigned>(mi::http_status(e));
  return make(status, mi::problem_slug(e), std::move(detail), e.code, std::move(errors));
}

HttpReply validation_problem(const mi::Error& e, mi::Value errors) {
  return make(422, "validation", e.reason, e.code, std::move(errors));
}

HttpReply problem(unsigned status, std::string detail, mi::Value errors) {
  return make(status, slug_of_status(status), std::move(detail), std::nullopt, std::move(errors));
}

HttpReply restyle(HttpReply text) {
  std::string detail = std::move(text.body);
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == '\r')) detail.pop_back();
  HttpReply out = problem(text.status, std::move(detail));
  out.headers = std::move(text.headers);
  return out;
}

std::string etag_of(std::string_view representation) {
  // Two FNV-1a 64-bit hashes with different offsets: 128 bits, stable across restarts (an
  // If-Match from before a restart still matches), and cheap on every GET. Not a secret
  // digest: a representation is what the caller may read anyway.
  std::uint64_t a = 0xcbf29ce484222325ull, b = 0x84222325cbf29ce4ull;
  for (unsigned char c : representation) {
    a = (a ^ c) * 0x100000001b3ull;
    b = (b ^ c) * 0x100000001b3ull;
    b ^= b >> 29;
  }
  char out[35];
  std::snprintf(out, sizeof out, "\"%016llx%016llx\"", static_cast<unsigned long long>(a),
                static_cast<unsigned long long>(b));
  return std::string(out, 34);
}

std::string etag_of_version(const mi::Value& version) {
  std::string v = version.is_string() ? version.get<std::string>() : version.dump();
  std::string out = "\"";
  for (char c : v)  // an entity-tag holds no quote, backslash, blank or control character
    if (static_cast<unsigned char>(c) > 0x20 && c != '"' && c != '\\' && c != 0x7f) out += c;
  return out + "\"";
}

bool etag_listed(std::string_view header, std::string_view etag, bool weak_compare) {
  std::size_t i = 0;
  while (i < header.size()) {
    while (i < header.size() && (header[i] == ' ' || header[i] == '\t' || header[i] == ',')) ++i;
    if (i >= header.size()) break;
    if (header[i] == '*') return true;
    bool weak = header.substr(i, 2) == "W/";
    if (weak) i += 2;
    if (i >= header.size() || header[i] != '"') return false;  // malformed: matches nothing
    auto close = header.find('"', i + 1);
    if (close == std::string_view::npos) return false;
    std::string_view tag = header.substr(i, close - i + 1);
    if (tag == etag && (!weak || weak_compare)) return true;
    i = close + 1;
  }
  return false;
}

std::string two_part_etag(std::string_view stable_representation, std::string_view representation) {
  std::string stable = etag_of(stable_representation), full = etag_of(representation);
  return stable.substr(0, stable.size() - 1) + "." + full.substr(1);
}

bool etag_listed_stable(std::string_view header, std::string_view stable) {
  std::size_t i = 0;
  while (i < header.size()) {
    while (i < header.size() && (header[i] == ' ' || header[i] == '\t' || header[i] == ',')) ++i;
    if (i >= header.size()) break;
    if (header[i] == '*') return true;
    if (header.substr(i, 2) == "W/") return false;  // strong comparison
    if (header[i] != '"') return false;
    auto close = header.find('"', i + 1);
    if (close == std::string_view::npos) return false;
    std::string_view inner = header.substr(i + 1, close - i - 1);
    inner = inner.substr(0, inner.find('.'));
    if (stable.size() >= 2 && inner == stable.substr(1, stable.size() - 2)) return true;
    i = close + 1;
  }
  return false;
}

std::string percent_encode(std::string_view text, bool in_path) {
  std::string out;
  for (unsigned char c : text) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~' ||
                      (in_path && (c == '@' || c == ':'));
    if (unreserved) out += static_cast<char>(c);
    else out += fmt::format("%{:02X}", c);
  }
  return out;
}

}  // namespace sb::transports::rest
