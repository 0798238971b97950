// man_page.h: manual pages (roff, man(7) macros) made from text the programs already print, so
// that a page never says something their --help does not: sbctl(8) from sbctl's help (already
// laid out in NAME, SYNOPSIS, … sections), switchboard.conf(5) from the documented configuration
// file (switchboard --print-config). switchboard(8) comes from its --help through help2man
// (CMakeLists.txt). Each section's text is kept as written (no-fill), escaped for roff.
// Threading: pure functions. Header-only: sbctl uses it without the daemon's libraries.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sb::gateway {

struct ManSection {
  std::string title;  ///< "DESCRIPTION"
  std::string body;   ///< lines as they should read, without the help text's indentation
};

/// `text` (a line of plain text) escaped for roff: backslashes, and a leading '.' or '\''.
inline std::string roff_escape(std::string_view line) {
  std::string out;
  if (!line.empty() && (line.front() == '.' || line.front() == '\'')) out += "\\&";
  for (char c : line) {
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else out += c;
  }
  return out;
}

/// Help text laid out as a manual (an unindented line is a section title, the indented lines
/// under it its body) split into sections; the body loses its common indentation.
inline std::vector<ManSection> sections_of_help(std::string_view text) {
  std::vector<ManSection> out;
  std::size_t indent = std::string::npos;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.front() != ' ') {
      out.push_back({std::string(line), {}});
      indent = std::string::npos;
      continue;
    }
    if (out.empty()) continue;
    std::size_t lead = line.find_first_not_of(' ');
    if (lead == std::string_view::npos) {
      out.back().body += '\n';
      continue;
    }
    if (indent == std::string::npos || lead < indent) indent = lead;
    out.back().body += std::string(line.substr(std::min(indent, lead))) + '\n';
  }
  for (auto& s : out)
    while (!s.body.empty() && s.body.back() == '\n' && s.body.size() > 1 && s.body[s.body.size() - 2] == '\n')
      s.body.pop_back();
  return out;
}

/// A complete page: .TH, then each section (.SH title, the body in no-fill mode).
inline std::string render_man_page(std::string_view name, int section, std::string_view version,
                                   std::string_view manual, const std::vector<ManSection>& sections) {
  std::string upper;
  for (char c : name) upper += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  std::string out = ".TH \"" + upper + "\" \"" + std::to_string(section) + "\" \"\" \"" + std::string(version) +
                    "\" \"" + std::string(manual) + "\"\n";
  for (const auto& s : sections) {
    out += ".SH \"" + roff_escape(s.title) + "\"\n.nf\n";
    std::string_view body = s.body;
    while (!body.empty()) {
      std::size_t nl = body.find('\n');
      out += roff_escape(body.substr(0, nl)) + '\n';
      body = nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
    }
    out += ".fi\n";
  }
  return out;
}

}  // namespace sb::gateway
