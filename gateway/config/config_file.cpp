// config_file.cpp: rendering a ConfigSchema as an ini file and as the --help reference.
#include "gateway/config/config_file.h"

#include <stdexcept>

#include <fmt/format.h>

namespace sb::gateway {

namespace {

/// Each line of `text` as an ini comment ("# line", or "#" for an empty line).
void comment(std::string& out, std::string_view text) {
  while (true) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    out += line.empty() ? "#\n" : fmt::format("# {}\n", line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

void paragraphs(std::string& out, const std::vector<std::string_view>& list) {
  for (std::string_view p : list) {
    out += '\n';
    comment(out, p);
  }
}

}  // namespace

std::string render_config_file(const ConfigSchema& schema) { return render_config_file(schema, {}); }

std::string render_config_file(const ConfigSchema& schema, const std::map<std::string, std::string>& values) {
  for (const auto& [name, value] : values) {
    auto dot = name.find('.');
    bool known = false;
    for (const ConfigSection* section : schema.sections())
      for (const KeySpec& k : section->keys)
        known = known || (dot != std::string::npos && k.section == name.substr(0, dot) && k.key == name.substr(dot + 1));
    if (!known) throw std::invalid_argument(fmt::format("unknown configuration key '{}'", name));
  }
  std::string out;
  if (!schema.header().empty()) comment(out, schema.header());
  for (const ConfigSection* section : schema.sections()) {
    if (!out.empty()) out += '\n';
    out += fmt::format("[{}]\n", section->name);
    paragraphs(out, section->intro);
    for (const KeySpec& k : section->keys) {
      if (!k.doc.empty()) {
        out += '\n';
        comment(out, k.doc);
        if (k.live) comment(out, "`reload` (SIGHUP) applies a change of this key without a restart.");
      }
      auto given = values.find(fmt::format("{}.{}", k.section, k.key));
      std::string_view value = given != values.end() ? std::string_view(given->second) : k.conf_value();
      out += value.empty() ? fmt::format("{} =\n", k.key) : fmt::format("{} = {}\n", k.key, value);
    }
    paragraphs(out, section->outro);
  }
  return out;
}

std::string config_reference(const ConfigSchema& schema, std::size_t indent) {
  std::string pad(indent, ' ');
  std::string out;
  for (const KeySpec* s : schema.keys()) {
    std::string limits;
    if (s->type == KeyType::integer) limits = fmt::format("  [{}..{}]", s->min, s->max);
    if (s->type == KeyType::file_mode) limits = fmt::format("  [octal, <= 0{:o}]", s->max);
    std::string_view sep = s->default_value.empty() ? " =" : " = ";
    out += fmt::format("{}{}{}{}{}\n{}    {}\n", pad, s->name(), sep, s->default_value, limits, pad,
                       s->help);
  }
  return out;
}

}  // namespace sb::gateway
