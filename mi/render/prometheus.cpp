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

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

struct CommandStats {
  const Stat* calls = nullptr;
  const Stat* errors = nullptr;
  const Stat* latency_total_us = nullptr;
  const Stat* latency_max_us = nullptr;
};

struct Family {
  const char* name;
  const char* type;
  const char* help;
  const Stat* CommandStats::*stat;
  bool seconds;
};

constexpr Family kFamilies[] = {
    {"switchboard_mi_command_calls_total", "counter", "MI command calls, by command.",
     &CommandStats::calls, false},
    {"switchboard_mi_command_errors_total", "counter", "MI command calls that failed, by command.",
     &CommandStats::errors, false},
    {"switchboard_mi_command_latency_seconds_total", "counter",
     "Sum of MI command latencies in seconds, by command.", &CommandStats::latency_total_us, true},
    {"switchboard_mi_command_latency_max_seconds", "gauge",
     "Largest MI command latency in seconds since the last reset, by command.",
     &CommandStats::latency_max_us, true},
};

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

  // Per-command stats: group `mi`, `<cmd>_calls` with its three siblings.
  std::unordered_map<std::string_view, const Stat*> mi_by_name;
  for (const Stat* s : all)
    if (s->group() == "mi") mi_by_name.emplace(s->name(), s);
  std::map<std::string, CommandStats> commands;  // sorted by command name
  for (const Stat* s : all) {
    if (s->group() != "mi" || !ends_with(s->name(), "_calls")) continue;
    std::string cmd = s->name().substr(0, s->name().size() - 6);
    if (cmd.empty()) continue;
    auto find = [&](std::string_view suffix) -> const Stat* {
      auto it = mi_by_name.find(cmd + std::string(suffix));
      return it == mi_by_name.end() ? nullptr : it->second;
    };
    CommandStats cs{s, find("_errors"), find("_latency_total_us"), find("_latency_max_us")};
    if (cs.errors && cs.latency_total_us && cs.latency_max_us) commands.emplace(cmd, cs);
  }

  std::unordered_set<std::string> used;
  if (!commands.empty())
    for (const Family& f : kFamilies) used.insert(f.name);

  std::string out;
  out.reserve(all.size() * 96);
  for (const Stat* s : all) {
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

  if (!commands.empty()) {
    for (const Family& f : kFamilies) {
      out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", f.name, f.help, f.name, f.type);
      for (const auto& [cmd, cs] : commands) {
        std::int64_t v = (cs.*f.stat)->get();
        std::string value = f.seconds ? fmt::format("{:.6f}", static_cast<double>(v) / 1e6)
                                      : fmt::format("{}", v);
        out += fmt::format("{}{{command=\"{}\"}} {}\n", f.name, prometheus_escape_label(cmd), value);
      }
    }
  }
  return out;
}

}  // namespace sb::mi
