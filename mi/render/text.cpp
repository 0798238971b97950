// text.cpp: Value → serctl tree text.
#include "mi/render/text.h"

#include <fmt/format.h>

namespace sb::mi {

namespace {

void indent(std::string& out, int level) { out.append(static_cast<std::size_t>(level), '\t'); }

std::string scalar_text(const Value& v) {
  if (v.is_string()) return escape_text_value(v.get_ref<const std::string&>());
  if (v.is_null()) return {};
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return v.dump();  // numbers: integers exactly, doubles shortest round-trip
}

void unnamed(std::string& out, const Value& v, int level);
void member(std::string& out, const std::string& key, const Value& v, int level);

}  // namespace

void render_text_element(std::string& out, std::string_view key, const Value& el, int level) {
  if (el.is_structured()) {
    indent(out, level);
    out += key;
    out += "::\n";
    if (el.is_object())
      for (auto it = el.begin(); it != el.end(); ++it)
        member(out, escape_text_value(it.key()), it.value(), level + 1);
    else
      unnamed(out, el, level + 1);
  } else {
    member(out, std::string(key), el, level);
  }
}

namespace {

void member(std::string& out, const std::string& key, const Value& v, int level) {
  if (v.is_object()) {
    indent(out, level);
    out += key;
    out += "::\n";
    for (auto it = v.begin(); it != v.end(); ++it)
      member(out, escape_text_value(it.key()), it.value(), level + 1);
  } else if (v.is_array()) {
    for (const Value& el : v) render_text_element(out, key, el, level);
  } else {
    indent(out, level);
    out += key;
    out += ":: ";
    out += scalar_text(v);
    out += '\n';
  }
}

// Elements of an array that has no key (top level, or nested inside an array).
void unnamed(std::string& out, const Value& arr, int level) {
  std::size_t index = 0;
  for (const Value& el : arr) {
    if (el.is_object()) {
      indent(out, level);
      out += fmt::format("{}::\n", index);
      for (auto it = el.begin(); it != el.end(); ++it)
        member(out, escape_text_value(it.key()), it.value(), level + 1);
    } else if (el.is_array()) {
      indent(out, level);
      out += fmt::format("{}::\n", index);
      unnamed(out, el, level + 1);
    } else {
      indent(out, level);
      out += scalar_text(el);
      out += '\n';
    }
    ++index;
  }
}

}  // namespace

std::string escape_text_value(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\\': out += "\\\\"; break;
      default:
        if (u < 0x20 || u == 0x7f) out += fmt::format("\\x{:02x}", u);
        else out += c;
    }
  }
  return out;
}

std::string render_text_body(const Value& v) {
  std::string out;
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it)
      member(out, escape_text_value(it.key()), it.value(), 0);
  } else if (v.is_array()) {
    unnamed(out, v, 0);
  } else if (v.is_string() && v.get_ref<const std::string&>() == "OK") {
    // "OK" means "nothing to report": status line only.
  } else {
    out += scalar_text(v);
    out += '\n';
  }
  return out;
}

std::string render_text(const Result& r) {
  if (!r.ok()) {
    std::string out = text_status_line(r.error());
    out += text_has_body_terminator(r.error()) ? "\n\n" : "\n";
    return out;
  }
  std::string out = "200 OK\n";
  out += render_text_body(r.value());
  out += '\n';
  return out;
}

std::string render_uac_reply_text(const Value& v) {
  std::string status = "500 Internal error";
  if (v.is_object() && v.contains("Status") && v["Status"].is_string()) status = v["Status"];
  std::string out = status + "\n";
  if (v.is_object() && v.contains("Message") && v["Message"].is_string())
    out += ".\n.\n.\n" + v["Message"].get<std::string>() + "\n";
  return out;
}

std::string render_text(const Result& r, const CommandSpec* spec) {
  if (spec && spec->text_reply && r.ok()) return spec->text_reply(r.value());
  return render_text(r);
}

}  // namespace sb::mi
