// xmlrpc.cpp: XML-RPC decoding through xmlrpc-c's C API (the encoder is xmlrpc_encode.cpp).
#include "mi/codec/xmlrpc.h"

#include "mi/codec/limits.h"
#include "mi/codec/utf8.h"

#include <xmlrpc-c/base.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <stdexcept>

#include <fmt/format.h>

namespace sb::mi {

namespace {


// ---- shielding non-BMP characters from xmlrpc-c ------------------------------------------------
//
// xmlrpc-c 1.33 refuses every code point above U+FFFD in a string (fault -510), so an emoji in a
// display name would make the whole call fail. Before parsing, each such character (raw UTF-8 or
// a character reference) becomes the BMP triple kEsc, kPlane+hi10, kPlane+lo10, and a literal
// kEsc becomes kEsc, kEscSelf; restore() undoes it in every decoded string. kEsc is U+FDD0, a
// noncharacter (legal in XML, never meant for interchange), so real data does not collide.

constexpr char32_t kEsc = 0xFDD0;
constexpr char32_t kEscSelf = 0xFDD1;
constexpr char32_t kPlane = 0xE000;  // + 0..1023 (U+E000..U+E3FF), twice

void shield_raw(std::string& out, char32_t cp) {
  if (cp == kEsc) {
    append_utf8(out, kEsc);
    append_utf8(out, kEscSelf);
    return;
  }
  const char32_t v = cp - 0x10000;
  append_utf8(out, kEsc);
  append_utf8(out, kPlane + (v >> 10));
  append_utf8(out, kPlane + (v & 0x3FF));
}

void shield_ref(std::string& out, char32_t cp) {
  if (cp == kEsc) {
    out += fmt::format("&#x{:X};&#x{:X};", static_cast<std::uint32_t>(kEsc),
                       static_cast<std::uint32_t>(kEscSelf));
    return;
  }
  const char32_t v = cp - 0x10000;
  out += fmt::format("&#x{:X};&#x{:X};&#x{:X};", static_cast<std::uint32_t>(kEsc),
                     static_cast<std::uint32_t>(kPlane + (v >> 10)),
                     static_cast<std::uint32_t>(kPlane + (v & 0x3FF)));
}

std::string restore(std::string s) {
  static constexpr std::string_view kEscUtf8 = "\xEF\xB7\x90";
  if (s.find(kEscUtf8) == std::string::npos) return s;
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    if (s.compare(i, kEscUtf8.size(), kEscUtf8) == 0) {
      char32_t a = 0, b = 0;
      std::size_t j = i + kEscUtf8.size();
      std::size_t la = j < s.size() ? utf8_seq(s, j, a) : 0;
      if (la && a == kEscSelf) {
        append_utf8(out, kEsc);
        i = j + la;
        continue;
      }
      std::size_t lb = (la && j + la < s.size()) ? utf8_seq(s, j + la, b) : 0;
      if (la && lb && a >= kPlane && a < kPlane + 1024 && b >= kPlane && b < kPlane + 1024) {
        append_utf8(out, 0x10000 + (((a - kPlane) << 10) | (b - kPlane)));
        i = j + la + lb;
        continue;
      }
    }
    out += s[i++];
  }
  return out;
}

bool starts_with_at(std::string_view s, std::size_t i, std::string_view what) {
  return s.size() - i >= what.size() && s.compare(i, what.size(), what) == 0;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

struct Prolog {
  bool utf8 = true;      ///< no encoding declared, or UTF-8 / US-ASCII declared
  bool doctype = false;  ///< a <!DOCTYPE> before the root element
};

bool is_xml_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

Prolog scan_prolog(std::string_view s) {
  Prolog p;
  std::size_t i = 0;
  if (starts_with_at(s, 0, "\xEF\xBB\xBF")) i = 3;
  if (starts_with_at(s, i, "<?xml") && i + 5 < s.size() && is_xml_space(s[i + 5])) {
    std::size_t end = s.find("?>", i);
    std::string_view decl = s.substr(i, end == std::string_view::npos ? s.size() - i : end - i);
    std::size_t e = decl.find("encoding");
    if (e != std::string_view::npos) {
      std::size_t q = e + 8;
      while (q < decl.size() && (is_xml_space(decl[q]) || decl[q] == '=')) ++q;
      if (q < decl.size() && (decl[q] == '"' || decl[q] == '\'')) {
        std::size_t close = decl.find(decl[q], q + 1);
        if (close != std::string_view::npos) {
          std::string_view enc = decl.substr(q + 1, close - q - 1);
          p.utf8 = iequals(enc, "utf-8") || iequals(enc, "utf8") || iequals(enc, "us-ascii") ||
                   iequals(enc, "ascii");
        }
      }
    }
    i = end == std::string_view::npos ? s.size() : end + 2;
  }
  // Misc* before the root: white space, comments, processing instructions, then maybe a DTD.
  for (;;) {
    while (i < s.size() && is_xml_space(s[i])) ++i;
    if (starts_with_at(s, i, "<!--")) {
      std::size_t end = s.find("-->", i + 4);
      if (end == std::string_view::npos) break;
      i = end + 3;
    } else if (starts_with_at(s, i, "<?")) {
      std::size_t end = s.find("?>", i + 2);
      if (end == std::string_view::npos) break;
      i = end + 2;
    } else {
      p.doctype = starts_with_at(s, i, "<!DOCTYPE");
      break;
    }
  }
  return p;
}

/// Why the bytes are not UTF-8 (or US-ASCII) XML free of markup declarations, or "". Checked on
/// the raw body before anything parses it: a UTF-16/32 body would hide a <!DOCTYPE> (and an
/// entity bomb) from a byte scan, so only UTF-8 is accepted, and no DTD in any place.
std::string refuse_encoding(std::string_view s, const Prolog& prolog) {
  if (starts_with_at(s, 0, "\xFE\xFF") || starts_with_at(s, 0, "\xFF\xFE") ||
      starts_with_at(s, 0, std::string_view("\0\0\xFE\xFF", 4)))
    return "only UTF-8 XML is accepted (this body starts with a UTF-16/UTF-32 byte-order mark)";
  if (s.find('\0') != std::string_view::npos)
    return "only UTF-8 XML is accepted (this body holds NUL bytes: UTF-16 or UTF-32?)";
  if (!prolog.utf8)
    return "only UTF-8 (or US-ASCII) XML is accepted (the XML declaration names another encoding)";
  if (prolog.doctype || s.find("<!DOCTYPE") != std::string_view::npos ||
      s.find("<!ENTITY") != std::string_view::npos)
    return "a document type or entity declaration (<!DOCTYPE>, <!ENTITY>) is not accepted";
  return {};
}

/// True when elements nest deeper than `limit` (comments, CDATA, PIs and quoted attribute
/// values skipped). Runs before xmlrpc-c, whose element tree is built and freed recursively.
bool xml_too_deep(std::string_view s, std::size_t limit) {
  std::size_t depth = 0;
  std::size_t i = 0;
  auto skip_past = [&](std::string_view end) {
    std::size_t e = s.find(end, i);
    i = e == std::string_view::npos ? s.size() : e + end.size();
  };
  while ((i = s.find('<', i)) != std::string_view::npos) {
    if (starts_with_at(s, i, "<!--")) { i += 4; skip_past("-->"); continue; }
    if (starts_with_at(s, i, "<![CDATA[")) { i += 9; skip_past("]]>"); continue; }
    if (starts_with_at(s, i, "<?")) { i += 2; skip_past("?>"); continue; }
    if (starts_with_at(s, i, "</")) {
      if (depth > 0) --depth;
      ++i;
      skip_past(">");
      continue;
    }
    if (starts_with_at(s, i, "<!")) { ++i; skip_past(">"); continue; }
    // A start tag: to its '>', outside quoted attribute values.
    char quote = 0;
    std::size_t j = i + 1;
    for (; j < s.size(); ++j) {
      const char c = s[j];
      if (quote) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '>') {
        break;
      }
    }
    const bool empty_element = j < s.size() && s[j - 1] == '/';
    if (!empty_element && ++depth > limit) return true;
    i = j;
  }
  return false;
}

/// At `<int>`/`<i4>` (s[i] == '<'): when the element holds an integer outside 32 bits but
/// within 64, appends it as <i8> and returns the length consumed; 0 otherwise.
std::size_t widen_int(std::string_view s, std::size_t i, std::string& out) {
  std::string_view open, close;
  if (starts_with_at(s, i, "<int>")) open = "<int>", close = "</int>";
  else if (starts_with_at(s, i, "<i4>")) open = "<i4>", close = "</i4>";
  else return 0;
  std::size_t from = i + open.size();
  std::size_t end = s.find(close, from);
  if (end == std::string_view::npos || end - from > 24) return 0;
  std::string_view digits = s.substr(from, end - from);
  std::string_view num = digits;
  if (!num.empty() && num.front() == '+') num.remove_prefix(1);
  if (num.empty() || num.front() == '+') return 0;
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
  if (ec != std::errc() || ptr != num.data() + num.size()) return 0;
  if (v >= std::numeric_limits<std::int32_t>::min() && v <= std::numeric_limits<std::int32_t>::max())
    return 0;
  out += "<i8>";
  out += num;
  out += "</i8>";
  return end + close.size() - i;
}

/// At a start tag `<i8…`/`<ex:i8…` (s[i] == '<'): xmlrpc-c 1.33 crashes (a bad printf in its
/// error path) on any <i8> content strtoll does not take whole ("1x", "1 ", out of range, "&#49;x",
/// a comment or CDATA inside …). Returns the length of the element when it is safe to hand over
/// (digits within int64, or empty, which xmlrpc-c reports itself), 0 when the tag is not <i8>,
/// and sets `error` when the content is not a plain 64-bit decimal integer.
std::size_t check_i8(std::string_view s, std::size_t i, std::string& error) {
  std::string_view name;
  if (starts_with_at(s, i, "<i8")) name = "i8";
  else if (starts_with_at(s, i, "<ex:i8")) name = "ex:i8";
  else return 0;
  std::size_t j = i + 1 + name.size();
  if (j >= s.size() || !(is_xml_space(s[j]) || s[j] == '>' || s[j] == '/')) return 0;
  std::size_t gt = s.find('>', j);
  if (gt == std::string_view::npos) return 0;  // malformed: the XML parser reports it
  if (s[gt - 1] == '/') return gt + 1 - i;     // <i8/>: "content is empty", reported safely
  std::size_t lt = s.find('<', gt + 1);
  std::string_view content = s.substr(gt + 1, lt == std::string_view::npos ? 0 : lt - gt - 1);
  const std::string close = "</" + std::string(name);
  const bool closed = lt != std::string_view::npos && starts_with_at(s, lt, close) &&
                      lt + close.size() < s.size() &&
                      (s[lt + close.size()] == '>' || is_xml_space(s[lt + close.size()]));
  if (closed && content.empty()) return lt - i;
  std::string_view num = content;
  if (!num.empty() && (num.front() == '+' || num.front() == '-')) num.remove_prefix(1);
  bool digits = closed && !num.empty();
  for (char c : num) digits = digits && c >= '0' && c <= '9';
  if (digits) {
    std::int64_t v = 0;
    std::string_view signed_num = content.front() == '+' ? content.substr(1) : content;
    auto [ptr, ec] = std::from_chars(signed_num.data(), signed_num.data() + signed_num.size(), v);
    if (ec == std::errc() && ptr == signed_num.data() + signed_num.size()) return lt - i;
  }
  error = fmt::format("<{}> must hold a decimal 64-bit integer, not '{}'", name,
                      closed ? content.substr(0, 40) : std::string_view("(mixed content)"));
  return 0;
}

struct Prepared {
  std::string text;
  std::string error;  ///< not empty: refuse the call (invalid request) without parsing it
};

/// The body as xmlrpc-c can take it: non-BMP characters shielded, wide <int>s as <i8>, <i8>
/// contents checked. Comments, processing instructions and CDATA sections are not markup.
Prepared prepare(std::string_view s, bool utf8) {
  Prepared p;
  std::string& out = p.text;
  out.reserve(s.size() + s.size() / 8);
  bool cdata = false;
  std::size_t i = 0;
  auto copy_through = [&](std::string_view end) {  // a comment or PI, verbatim
    std::size_t e = s.find(end, i);
    std::size_t stop = e == std::string_view::npos ? s.size() : e + end.size();
    out.append(s.substr(i, stop - i));
    i = stop;
  };
  while (i < s.size()) {
    const char c = s[i];
    if (cdata) {
      if (starts_with_at(s, i, "]]>")) {
        out += "]]>";
        i += 3;
        cdata = false;
        continue;
      }
    } else if (c == '<') {
      if (starts_with_at(s, i, "<![CDATA[")) {
        out += "<![CDATA[";
        i += 9;
        cdata = true;
        continue;
      }
      if (starts_with_at(s, i, "<!--")) {
        copy_through("-->");
        continue;
      }
      if (starts_with_at(s, i, "<?")) {
        copy_through("?>");
        continue;
      }
      if (std::size_t used = widen_int(s, i, out)) {
        i += used;
        continue;
      }
      if (std::size_t safe = check_i8(s, i, p.error)) {
        out.append(s.substr(i, safe));
        i += safe;
        continue;
      }
      if (!p.error.empty()) return p;
    } else if (c == '&' && starts_with_at(s, i, "&#")) {
      // A character reference: &#123; or &#x1F600;
      std::size_t j = i + 2;
      int base = 10;
      if (j < s.size() && s[j] == 'x') base = 16, ++j;
      std::size_t semi = s.find(';', j);
      std::uint32_t cp = 0;
      if (semi != std::string_view::npos && semi > j && semi - j <= 8) {
        auto [ptr, ec] = std::from_chars(s.data() + j, s.data() + semi, cp, base);
        if (ec == std::errc() && ptr == s.data() + semi &&
            (cp == kEsc || (cp >= 0x10000 && cp <= 0x10FFFF))) {
          shield_ref(out, cp);
          i = semi + 1;
          continue;
        }
      }
    }
    const auto uc = static_cast<unsigned char>(c);
    if (utf8 && uc >= 0xEF) {
      char32_t cp = 0;
      std::size_t len = utf8_seq(s, i, cp);
      if (len && (cp == kEsc || cp >= 0x10000)) {
        shield_raw(out, cp);
        i += len;
        continue;
      }
      if (len) {
        out.append(s.substr(i, len));
        i += len;
        continue;
      }
    }
    out += c;
    ++i;
  }
  return p;
}

// ---- xmlrpc-c values → Value ------------------------------------------------------------------

struct Env {
  xmlrpc_env env;
  Env() { xmlrpc_env_init(&env); }
  ~Env() { xmlrpc_env_clean(&env); }
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  xmlrpc_env* e() { return &env; }
  bool failed() const { return env.fault_occurred != 0; }
};

struct Ref {
  xmlrpc_value* v = nullptr;
  Ref() = default;
  Ref(const Ref&) = delete;
  Ref& operator=(const Ref&) = delete;
  ~Ref() {
    if (v) xmlrpc_DECREF(v);
  }
};

struct Freed {
  const void* p = nullptr;
  Freed() = default;
  Freed(const Freed&) = delete;
  Freed& operator=(const Freed&) = delete;
  ~Freed() { std::free(const_cast<void*>(p)); }
};

class ConvertError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void check(Env& env) {
  if (env.failed()) throw ConvertError(env.env.fault_string ? env.env.fault_string : "xmlrpc-c error");
}

std::string read_string(xmlrpc_value* v) {
  Env env;
  size_t len = 0;
  Freed s;
  const char* p = nullptr;
  xmlrpc_read_string_lp(env.e(), v, &len, &p);
  s.p = p;
  check(env);
  return restore(std::string(p, len));
}

Value to_value(xmlrpc_value* v, std::size_t depth) {
  if (depth > decode_limits().max_nesting)
    throw ConvertError(fmt::format("values nested deeper than {} levels (core.max_nesting)",
                                   decode_limits().max_nesting));
  Env env;
  switch (xmlrpc_value_type(v)) {
    case XMLRPC_TYPE_INT: {
      int i = 0;
      xmlrpc_read_int(env.e(), v, &i);
      check(env);
      return Value(static_cast<std::int64_t>(i));
    }
    case XMLRPC_TYPE_I8: {
      xmlrpc_int64 i = 0;
      xmlrpc_read_i8(env.e(), v, &i);
      check(env);
      return Value(static_cast<std::int64_t>(i));
    }
    case XMLRPC_TYPE_BOOL: {
      xmlrpc_bool b = 0;
      xmlrpc_read_bool(env.e(), v, &b);
      check(env);
      return Value(b != 0);
    }
    case XMLRPC_TYPE_DOUBLE: {
      double d = 0;
      xmlrpc_read_double(env.e(), v, &d);
      check(env);
      return Value(d);
    }
    case XMLRPC_TYPE_STRING: return Value(read_string(v));
    case XMLRPC_TYPE_NIL: return Value(nullptr);
    case XMLRPC_TYPE_DATETIME: {
      Freed s;
      const char* p = nullptr;
      xmlrpc_read_datetime_str(env.e(), v, &p);
      s.p = p;
      check(env);
      return Value(std::string(p));
    }
    case XMLRPC_TYPE_BASE64: {
      Freed s;
      size_t len = 0;
      const unsigned char* p = nullptr;
      xmlrpc_read_base64(env.e(), v, &len, &p);
      s.p = p;
      check(env);
      return Value(std::string(reinterpret_cast<const char*>(p), len));
    }
    case XMLRPC_TYPE_ARRAY: {
      Value out = Value::array();
      int n = xmlrpc_array_size(env.e(), v);
      check(env);
      for (int k = 0; k < n; ++k) {
        Ref item;
        xmlrpc_array_read_item(env.e(), v, static_cast<unsigned>(k), &item.v);
        check(env);
        out.push_back(to_value(item.v, depth + 1));
      }
      return out;
    }
    case XMLRPC_TYPE_STRUCT: {
      Value out = Value::object();
      int n = xmlrpc_struct_size(env.e(), v);
      check(env);
      for (int k = 0; k < n; ++k) {
        Ref key, val;
        xmlrpc_struct_read_member(env.e(), v, static_cast<unsigned>(k), &key.v, &val.v);
        check(env);
        out[read_string(key.v)] = to_value(val.v, depth + 1);
      }
      return out;
    }
    default: throw ConvertError("unsupported XML-RPC value type");
  }
}

void raise_xmlrpc_limits() {
  static std::once_flag once;
  // Process-global and not thread-safe in xmlrpc-c: set once, before the first parse. Above
  // kXmlRpcMaxRequest because shielding can make the text up to ~3 times longer.
  std::call_once(once, [] { xmlrpc_limit_set(XMLRPC_XML_SIZE_LIMIT_ID, 4 * kXmlRpcMaxRequest); });
}

}  // namespace

// ---- decoding -----------------------------------------------------------------------------------

XmlRpcCall decode_xmlrpc_call(std::string_view body) {
  XmlRpcCall call;
  if (body.size() > kXmlRpcMaxRequest) {
    call.error = Error::request_too_large(body.size(), kXmlRpcMaxRequest);
    return call;
  }
  raise_xmlrpc_limits();
  const Prolog prolog = scan_prolog(body);
  // A UTF-8 byte-order mark only says "UTF-8": dropped (xmlrpc-c's parser does not take it).
  if (starts_with_at(body, 0, "\xEF\xBB\xBF")) body.remove_prefix(3);
  if (std::string why = refuse_encoding(body, prolog); !why.empty()) {
    call.error = Error::invalid_request(std::move(why));
    return call;
  }
  // methodCall, params, param, value, then three elements per level (value>array>data,
  // value>struct>member): the XML depth that holds core.max_nesting levels of values.
  const std::size_t max_nesting = decode_limits().max_nesting;
  if (xml_too_deep(body, 3 * max_nesting + 8)) {
    call.error = Error::invalid_request(fmt::format(
        "XML nested deeper than {} levels of values (core.max_nesting)", max_nesting));
    return call;
  }
  Prepared prepared = prepare(body, true);
  if (!prepared.error.empty()) {
    call.error = Error::invalid_request(std::move(prepared.error));
    return call;
  }
  const std::string& text = prepared.text;

  Env env;
  const char* name = nullptr;
  Ref params;
  xmlrpc_parse_call(env.e(), text.data(), text.size(), &name, &params.v);
  Freed name_owner;
  name_owner.p = name;
  if (env.failed()) {
    const int code = env.env.fault_code;
    std::string why = env.env.fault_string ? env.env.fault_string : "unparsable methodCall";
    if ((code == XMLRPC_PARSE_ERROR && why.find("not valid XML") != std::string::npos) ||
        code == XMLRPC_INVALID_UTF8_ERROR)
      call.error = Error::parse_error(std::move(why));
    else if (code == XMLRPC_LIMIT_EXCEEDED_ERROR && text.size() > 4 * kXmlRpcMaxRequest)
      call.error = Error::request_too_large(body.size(), kXmlRpcMaxRequest);
    else
      call.error = Error::invalid_request(std::move(why));
    return call;
  }
  call.method = restore(name ? std::string(name) : std::string());
  if (call.method.empty()) {
    call.error = Error::invalid_request("<methodName> is empty");
    return call;
  }
  try {
    Value list = params.v ? to_value(params.v, 0) : Value::array();
    if (!list.is_array()) {
      call.error = Error::invalid_request("<params> is not a list of values");
      return call;
    }
    if (list.size() == 1 && list[0].is_object()) {
      if (!list[0].empty()) call.params = std::move(list[0]);  // one <struct> = named params
    } else if (!list.empty()) {
      call.params = std::move(list);
    }
  } catch (const ConvertError& e) {
    call.error = Error::invalid_request(e.what());
  }
  return call;
}


}  // namespace sb::mi
