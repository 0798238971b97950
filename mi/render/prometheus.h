// prometheus.h: every statistic as Prometheus text exposition format 0.0.4 (GET /metrics).
//
// Generic stats: `switchboard_<group>_<name>` (characters outside [a-zA-Z0-9_] become `_`; a
// name that collides with an earlier one after sanitizing gets `_2`, `_3`, … appended), one
// `# HELP` line naming the original `group:name` and one `# TYPE` line (counter | gauge) each,
// in registration order.
// Labeled stats (Statistics::labeled) appear only as labeled families, never as flat names.
// The dispatcher's per-command stats (`mi:<cmd>_calls`, `_errors`, `_latency_total_us`,
// `_latency_max_us`) are these families:
//   switchboard_mi_command_calls_total{command="<cmd>"}            counter
//   switchboard_mi_command_errors_total{command="<cmd>"}           counter
//   switchboard_mi_command_latency_seconds_total{command="<cmd>"}  counter (µs / 1e6)
//   switchboard_mi_command_latency_max_seconds{command="<cmd>"}    gauge
// Other families: `switchboard_<group>_<family>{<key>="<value>"}`. Label values escape `\`, `"` and newlines. Content-Type to serve it with: kPrometheusContentType.
// Threading: pure function over a Statistics (which locks itself).
#pragma once

#include <string>
#include <string_view>

#include "mi/statistics.h"

namespace sb::mi {

inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string render_prometheus(const Statistics& stats);

/// `[a-zA-Z0-9_]` kept, everything else `_` (exposed for tests).
std::string prometheus_sanitize(std::string_view s);
/// Label-value escaping: `\` → `\\`, `"` → `\"`, newline → `\n`.
std::string prometheus_escape_label(std::string_view s);

}  // namespace sb::mi
