// calls_commands.cpp: the `calls` module's commands (ISGW monitor letters in brackets):
// call_list [compact] (l/k), call_show (cc), call_finish (fin), call_stats [per_port] (ss/ssp),
// call_stats_reset (sr), call_durations (ccd), cdr_list, cdr_flush (fc), cause_map, port_call.
#include "gateway/calls/calls_commands.h"

#include "gateway/calls/calls.h"
#include "gateway/engine/command_helpers.h"

namespace sb::gateway {

using mi::Args;
using mi::Error;
using mi::ParamType;
using mi::Result;
using mi::Value;

namespace {

/// An optional word flag such as `call_list compact`: absent → false; the word itself, 1, yes,
/// true, on → true; 0, no, false, off, full → false; anything else → why not.
std::optional<bool> word_flag(const Args& a, const char* name, std::string* why) {
  if (!a.has(name)) return false;
  std::string v = a.str(name);
  if (v == name || v == "1" || v == "yes" || v == "true" || v == "on") return true;
  if (v == "0" || v == "no" || v == "false" || v == "off" || v == "full") return false;
  *why = std::string("must be '") + name + "' (or 1/0)";
  return std::nullopt;
}

}  // namespace

void register_calls_commands(mi::Registry& registry, const SipServices& s) {
  const std::string m = "calls";
  auto id = mi::param("id", ParamType::int_, "call id, as call_list shows it");

  registry.add({.name = "call_list", .module = m,
                .summary = "List the calls in progress (compact: one line per call)",
                .params = {mi::optional_param("compact", ParamType::string_, "'compact' for one line per call")},
                .flags = mi::kEngine | mi::kReadOnly,
                .handler = [&s](const Args& a) -> Result {
                  std::string why;
                  auto compact = word_flag(a, "compact", &why);
                  if (!compact) return Error::bad_param("compact", why);
                  return with_service(s.calls, "calls", [&](Calls& calls) -> Result { return calls.list(*compact); });
                }});

  registry.add({.name = "call_show", .module = m,
                .summary = "Show one call: origin, numbers before and after the dialplan, rule, legs, attempts",
                .params = {id},
                .flags = mi::kEngine | mi::kReadOnly,
                .handler = [&s](const Args& a) -> Result {
                  if (a.integer("id") < 1) return Error::bad_param("id", "must be a call id (>= 1)");
                  return with_service(s.calls, "calls", [&](Calls& calls) {
                    return calls.show(static_cast<std::uint64_t>(a.integer("id")));
                  });
                }});

  registry.add({.name = "call_finish", .module = m,
                .summary = "End a call: BYE both sides when answered, else CANCEL the callee and answer 487",
                .params = {id},
                .flags = mi::kEngine,
                .handler = [&s](const Args& a) -> Result {
                  if (a.integer("id") < 1) return Error::bad_param("id", "must be a call id (>= 1)");
                  return with_service(s.calls, "calls", [&](Calls& calls) {
                    return calls.finish(static_cast<std::uint64_t>(a.integer("id")));
                  });
                }});

  registry.add({.name = "port_call", .module = m,
                .summary = "Place a call from a virtual port (the line simulator as caller) through the dialplan",
                .description = "The call's source is port:<port> (and the port's groups) for the dialplan; the line "
                               "offers G.711 and hangs up after the port's hangup_after_ms once answered (0: it stays "
                               "up until the far end hangs up or call_finish). Returns the call id.",
                .params = {mi::param("port", ParamType::int_, "a virtual port"),
                           mi::param("number", ParamType::string_, "the number to call"),
                           mi::optional_param("caller", ParamType::string_, "calling number (default: the port number)")},
                .flags = mi::kEngine,
                .handler = [&s](const Args& a) -> Result {
                  if (a.integer("port") < 1 || a.integer("port") > 9999) return Error::bad_param("port", "must be 1..9999");
                  return with_service(s.calls, "calls", [&](Calls& calls) {
                    return calls.originate(static_cast<int>(a.integer("port")), a.str("number"), a.str("caller"));
                  });
                }});

  registry.add({.name = "call_stats", .module = m,
                .summary = "Call statistics since the last reset: totals, ASR, ACD (per_port: per port too)",
                .params = {mi::optional_param("per_port", ParamType::string_, "'per_port' to add one entry per port")},
                .flags = mi::kEngine | mi::kReadOnly,
                .handler = [&s](const Args& a) -> Result {
                  std::string why;
                  auto per_port = word_flag(a, "per_port", &why);
                  if (!per_port) return Error::bad_param("per_port", why);
                  return with_service(s.calls, "calls", [&](Calls& calls) -> Result { return calls.stats(*per_port); });
                }});

  registry.add({.name = "call_stats_reset", .module = m,
                .summary = "Reset the call statistics (and the per-port counters); returns the values before",
                .flags = mi::kEngine,
                .handler = [&s](const Args&) -> Result {
                  return with_service(s.calls, "calls", [&](Calls& calls) -> Result { return calls.reset_stats(); });
                }});

  registry.add({.name = "call_durations", .module = m,
                .summary = "Connected calls and how long each has been connected",
                .flags = mi::kEngine | mi::kReadOnly,
                .handler = [&s](const Args&) -> Result {
                  return with_service(s.calls, "calls", [&](Calls& calls) -> Result { return calls.durations(); });
                }});

  registry.add({.name = "cdr_list", .module = m,
                .summary = "List call detail records, newest first",
                .params = {mi::optional_param("limit", ParamType::int_, "how many, 1..1000", 50),
                           mi::optional_param("offset", ParamType::int_, "how many newest to skip", 0)},
                .flags = mi::kEngine | mi::kReadOnly,
                .handler = [&s](const Args& a) -> Result {
                  return with_service(s.calls, "calls", [&](Calls& calls) {
                    return calls.cdr_list(a.integer("limit"), a.integer("offset"));
                  });
                }});

  registry.add({.name = "cdr_flush", .module = m,
                .summary = "Delete stored CDRs of calls that ended more than N days ago (0 = all); returns how many",
                .params = {mi::optional_param("older_than_days", ParamType::int_, "keep the last N days (default 0: delete all)", 0)},
                .flags = mi::kEngine | mi::kAdmin,
                .handler = [&s](const Args& a) -> Result {
                  return with_service(s.calls, "calls", [&](Calls& calls) {
                    return calls.cdr_flush(a.integer("older_than_days"));
                  });
                }});

  registry.add({.name = "cause_map", .module = m,
                .summary = "The Q.850 cause <-> SIP status map in use (RFC 3398 plus calls.q850_to_sip / sip_to_q850)",
                .flags = mi::kEngine | mi::kReadOnly,
                .handler = [&s](const Args&) -> Result {
                  return with_service(s.calls, "calls", [&](Calls& calls) -> Result { return calls.causes().value(); });
                }});
}

}  // namespace sb::gateway
