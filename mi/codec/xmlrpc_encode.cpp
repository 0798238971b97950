// xmlrpc_encode.cpp: our own XML-RPC response encoder (Value → methodResponse / fault): one
// pass over the Value, invalid UTF-8 replaced, doubles without exponent, bytes as base64.
#include "mi/codec/xmlrpc.h"

#include <gnutls/gnutls.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>

#include <fmt/format.h>

#include "mi/codec/utf8.h"

namespace sb::mi {

namespace {

// ---- Value → XML --------------------------------------------------------------------------------

constexpr std::string_view kXmlDecl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n";

void put_text(std::string& out, std::string_view s) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    switch (c) {
      case '&': out += "&amp;"; ++i; continue;
      case '<': out += "&lt;"; ++i; continue;
      case '>': out += "&gt;"; ++i; continue;  // keeps "]]>" out of the text
      case '\r': out += "&#13;"; ++i; continue;  // a raw CR would be read back as LF
      case '\t':
      case '\n': out += c; ++i; continue;
      default: break;
    }
    const auto uc = static_cast<unsigned char>(c);
    if (uc < 0x20) {  // not an XML 1.0 character
      out += kReplacement;
      ++i;
      continue;
    }
    if (uc < 0x80) {
      out += c;
      ++i;
      continue;
    }
    char32_t cp = 0;
    std::size_t len = utf8_seq(s, i, cp);
    if (len == 0 || cp == 0xFFFE || cp == 0xFFFF) {
      out += kReplacement;
      i += len ? len : 1;
      continue;
    }
    out.append(s.substr(i, len));
    i += len;
  }
}

std::string format_double(double d) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);  // shortest digits that read back exactly
  std::string_view sci(buf, static_cast<std::size_t>(r.ptr - buf));
  const std::size_t e = sci.find('e');
  if (r.ec != std::errc() || e == std::string_view::npos) return std::string(sci);
  // XML-RPC has no exponent notation: write the same digits in fixed notation.
  std::string out;
  std::string_view mant = sci.substr(0, e);
  if (!mant.empty() && mant.front() == '-') {
    out += '-';
    mant.remove_prefix(1);
  }
  std::string digits;
  for (char c : mant)
    if (c != '.') digits += c;
  int exp = 0;
  std::string_view es = sci.substr(e + 1);
  if (!es.empty() && es.front() == '+') es.remove_prefix(1);
  std::from_chars(es.data(), es.data() + es.size(), exp);
  const long point = 1L + exp;  // digits before the decimal point
  if (point <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-point), '0');
    out += digits;
  } else if (static_cast<std::size_t>(point) >= digits.size()) {
    out += digits;
    out.append(static_cast<std::size_t>(point) - digits.size(), '0');
  } else {
    out += digits.substr(0, static_cast<std::size_t>(point));
    out += '.';
    out += digits.substr(static_cast<std::size_t>(point));
  }
  return out;
}

/// Standard base64 of a Value's bytes (GnuTLS).
std::string base64(const std::vector<std::uint8_t>& bytes) {
  gnutls_datum_t in{const_cast<unsigned char*>(bytes.data()), static_cast<unsigned>(bytes.size())};
  gnutls_datum_t out{};
  if (gnutls_base64_encode2(&in, &out) != 0) throw std::bad_alloc();
  std::string text(reinterpret_cast<const char*>(out.data), out.size);
  gnutls_free(out.data);
  return text;
}

void put_value(std::string& out, const Value& v) {
  out += "<value>";
  switch (v.type()) {
    case Value::value_t::string:
      out += "<string>";
      put_text(out, v.get_ref<const std::string&>());
      out += "</string>";
      break;
    case Value::value_t::number_integer: {
      const auto i = v.get<std::int64_t>();
      const bool narrow = i >= std::numeric_limits<std::int32_t>::min() &&
                          i <= std::numeric_limits<std::int32_t>::max();
      out += narrow ? "<int>" : "<i8>";
      out += std::to_string(i);
      out += narrow ? "</int>" : "</i8>";
      break;
    }
    case Value::value_t::number_unsigned: {
      const auto u = v.get<std::uint64_t>();
      if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max())) {
        out += "<int>" + std::to_string(u) + "</int>";
      } else if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        out += "<i8>" + std::to_string(u) + "</i8>";
      } else {
        out += "<double>" + format_double(static_cast<double>(u)) + "</double>";
      }
      break;
    }
    case Value::value_t::number_float: {
      const double d = v.get<double>();
      if (std::isfinite(d)) out += "<double>" + format_double(d) + "</double>";
      else out += "<nil/>";  // XML-RPC cannot spell NaN or infinity (JSON renders them null)
      break;
    }
    case Value::value_t::boolean: out += v.get<bool>() ? "<boolean>1</boolean>" : "<boolean>0</boolean>"; break;
    case Value::value_t::array:
      out += "<array><data>\r\n";
      for (const Value& item : v) {
        put_value(out, item);
        out += "\r\n";
      }
      out += "</data></array>";
      break;
    case Value::value_t::object:
      out += "<struct>\r\n";
      for (const auto& [key, item] : v.items()) {
        out += "<member><name>";
        put_text(out, key);
        out += "</name>\r\n";
        put_value(out, item);
        out += "</member>\r\n";
      }
      out += "</struct>";
      break;
    case Value::value_t::binary:
      out += "<base64>\r\n" + base64(v.get_binary()) + "\r\n</base64>";
      break;
    case Value::value_t::null:
    case Value::value_t::discarded:
    default: out += "<nil/>"; break;
  }
  out += "</value>";
}


}  // namespace

// ---- encoding -----------------------------------------------------------------------------------

std::string render_xmlrpc_value(const Value& v) {
  std::string out;
  put_value(out, v);
  return out;
}

std::string render_xmlrpc_fault(int code, std::string_view text) {
  std::string out(kXmlDecl);
  out += "<methodResponse>\r\n<fault>\r\n<value><struct>\r\n";
  out += "<member><name>faultCode</name>\r\n<value><int>" + std::to_string(code) +
         "</int></value></member>\r\n";
  out += "<member><name>faultString</name>\r\n<value><string>";
  put_text(out, text);
  out += "</string></value></member>\r\n";
  out += "</struct></value>\r\n</fault>\r\n</methodResponse>\r\n";
  return out;
}

std::string render_xmlrpc(const Result& r) {
  if (!r.ok()) return render_xmlrpc_fault(xmlrpc_fault_code(r.error()), xmlrpc_fault_string(r.error()));
  std::string out(kXmlDecl);
  out += "<methodResponse>\r\n<params>\r\n<param>";
  put_value(out, r.value());
  out += "</param>\r\n</params>\r\n</methodResponse>\r\n";
  return out;
}

std::string xmlrpc_fault_string(const Error& e) {
  const JsonRpcError j = jsonrpc_error(e);
  std::string what;
  switch (e.kind) {
    case ErrorKind::handler:
    case ErrorKind::forbidden:
    case ErrorKind::timeout:
    case ErrorKind::reply_too_large: return e.reason;
    case ErrorKind::parse_error:
    case ErrorKind::invalid_request: what = e.detail; break;
    case ErrorKind::request_too_large: what = e.reason; break;
    case ErrorKind::unknown_command:
    case ErrorKind::arity:
    case ErrorKind::bad_param:
      what = e.reason;
      if (!e.detail.empty() && e.detail != e.reason) what += " (" + e.detail + ")";
      break;
  }
  return what.empty() ? j.message : j.message + ": " + what;
}

Value xmlrpc_fault_value(const Error& e) {
  Value v = Value::object();
  v["faultCode"] = xmlrpc_fault_code(e);
  v["faultString"] = xmlrpc_fault_string(e);
  return v;
}

}  // namespace sb::mi
