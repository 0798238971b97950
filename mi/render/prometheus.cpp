// prometheus.cpp: Statistics → Prometheus text exposition format 0.0.4.
#include "mi/render/prometheus.h"

#include <map>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

namespace sb::mi {

namespace {

constexpr std::string_view kPrefix = "switchboard_";

std::string escape_help(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

/// How a labeled family is exposed: the dispatcher's per-command families get the names and
/// units documented in the header; any other family is `switchboard_<group>_<family>`.
struct FamilyInfo {
  std::string name;
  const char* help;
  bool seconds;  ///< stored in µs, exposed in seconds
};

FamilyInfo family_info(const Stat& s) {
  if (s.group() == "mi") {
    if (s.family() == "calls")
      return {"switchboard_mi_command_calls_total", "MI command calls, by command.", false};
    if (s.family() == "errors")
      return {"switchboard_mi_command_errors_total", "MI command calls that failed, by command.",
              false};
    if (s.family() == "latency_total_us")
      return {"switchboard_mi_command_latency_seconds_total",
              "Sum of MI command latencies in seconds, by command.", true};
    if (s.family() == "latency_max_us")
      return {"switchboard_mi_command_latency_max_seconds",
              "Largest MI command latency in seconds since the last reset, by command.", true};
  }
  return {std::string(kPrefix) + prometheus_sanitize(s.group()) + "_" + prometheus_sanitize(s.family()),
          "Labeled statistic.", false};
}

}  // namespace

std::string prometheus_sanitize(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) c = '_';
  }
  return out;
}

std::string prometheus_escape_label(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string render_prometheus(const Statistics& stats) {
  std::vector<const Stat*> all = stats.all();
  // Labeled series grouped by family (families in order of first appearance, series sorted by
  // label value); each family is exposed once, never also as flat names.
  std::vector<std::string> family_order;
  std::map<std::string, std::pair<FamilyInfo, std::map<std::string, const Stat*>>> families;
  std::unordered_set<std::string> used;
  for (const Stat* s : all) {
    if (!s->labeled()) continue;
    FamilyInfo info = family_info(*s);
    auto [it, inserted] = families.try_emplace(info.name, info, std::map<std::string, const Stat*>{});
    if (inserted) {
      family_order.push_back(info.name);
      used.insert(info.name);
    }
    it->second.second.emplace(s->label_key() + "=\"" + prometheus_escape_label(s->label_value()) + "\"", s);
  }

  std::string out;
  out.reserve(all.size() * 96);
  for (const Stat* s : all) {
    if (s->labeled()) continue;
    std::string base = std::string(kPrefix) + prometheus_sanitize(s->group()) + "_" +
                       prometheus_sanitize(s->name());
    std::string name = base;
    for (int n = 2; !used.insert(name).second; ++n) name = fmt::format("{}_{}", base, n);
    const char* type = s->kind() == StatKind::counter ? "counter" : "gauge";
    out += fmt::format("# HELP {} Statistic {}:{} ({}).\n", name, escape_help(s->group()),
                       escape_help(s->name()), type);
    out += fmt::format("# TYPE {} {}\n", name, type);
    out += fmt::format("{} {}\n", name, s->get());
  }
  for (const std::string& fname : family_order) {
    const auto& [info, series] = families.at(fname);
    const char* type = series.begin()->second->kind() == StatKind::counter ? "counter" : "gauge";
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", fname, info.help, fname, type);
    for (const auto& [labels, stat] : series) {
      std::int64_t v = stat->get();
      std::string value = info.seconds ? fmt::format("{:.6f}", static_cast<double>(v) / 1e6)
                                       : fmt::format("{}", v);
      out += fmt::format("{}{{{}}} {}\n", fname, labels, value);
    }
  }
  return out;
}

}  // namespace sb::mi
