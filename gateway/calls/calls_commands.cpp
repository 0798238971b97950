// calls_commands.cpp: the `calls` module's commands (ISGW monitor letters in brackets):
// call_list [compact] (l/k), call_show (cc), call_finish (fin), call_stats [per_port] (ss/ssp),
// call_stats_reset (sr), call_durations (ccd), cdr_list, cdr_flush (fc), cause_map, port_call.
#include "gateway/calls/calls_commands.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>

#include "gateway/calls/calls.h"
#include "gateway/engine/command_helpers.h"
#include "mi/cursor.h"
#include "mi/reply_schema.h"

namespace sb::gateway {


namespace {

// ---- reply schemas ----------------------------------------------------------------------------

Value leg_reply() {
  using namespace mi::schema;
  return nullable(object({{"type", enum_of({"sip", "virtual"})},
                          {"direction", enum_of({"in", "out"})},
                          {"state", str()},
                          {"call_id", opt(str())},
                          {"from", opt(str())},
                          {"to", opt(str())},
                          {"source", opt(str("where an inbound SIP leg came from"))},
                          {"target", opt(str())},
                          {"ruri", opt(str())},
                          {"next_hop", opt(str())},
                          {"last_status", opt(uint())},
                          {"port", opt(uint())},
                          {"mode", opt(str())},
                          {"called", opt(str())},
                          {"number", opt(str())}}));
}

Value attempt_reply() {
  using namespace mi::schema;
  return object({{"rule", opt(uint())},
                 {"target", str()},
                 {"status", uint("SIP status")},
                 {"cause", opt(uint("Q.850 cause"))},
                 {"reason", opt(str())},
                 {"answered", opt(boolean())}});
}

/// call_list's entries and call_show (`detail`: timestamps, legs and attempts too).
Value call_reply(bool detail) {
  using namespace mi::schema;
  std::vector<std::pair<std::string, Value>> fields{
      {"id", uint()},
      {"state", str()},
      {"source", str("kind:id, e.g. port:3 or account:trunk1")},
      {"caller", str()},
      {"called", str()},
      {"new_caller", opt(str("after the dialplan"))},
      {"new_called", opt(str("after the dialplan"))},
      {"rule", opt(uint("the dialplan rule that routed it"))},
      {"target", str()},
      {"port", uint("the port carrying it, 0 = none")},
      {"from_port", opt(uint("the port that placed it (port_call)"))},
      {"start", uint("unix time")},
      {"age_s", uint()},
      {"connected_s", uint()}};
  if (detail) {
    fields.emplace_back("start_ms", uint());
    fields.emplace_back("ring_ms", uint());
    fields.emplace_back("answer_ms", uint());
    fields.emplace_back("legs", array_of(leg_reply(), "caller side, callee side"));
    fields.emplace_back("attempts", array_of(attempt_reply()));
    fields.emplace_back("offer_sdp", boolean());
  }
  return object(std::move(fields));
}

Value stats_reply(bool with_ports) {
  using namespace mi::schema;
  std::vector<std::pair<std::string, Value>> fields{
      {"total", uint()},       {"answered", uint()}, {"failed", uint()},    {"busy", uint()},
      {"no_answer", uint()},   {"cancelled", uint()}, {"rejected", uint()}, {"active", uint()},
      {"connected", uint()},   {"asr_percent", number("answer-seizure ratio")},
      {"acd_s", number("average call duration")}, {"since", uint("unix time of the last reset")}};
  if (with_ports)
    fields.emplace_back("ports", opt(array_of(object({{"port", uint()}, {"calls", uint()}, {"answered", uint()},
                                                      {"failed", uint()}, {"in_use", uint()},
                                                      {"connected_s", uint()}}))));
  return object(std::move(fields));
}

Value cdr_reply() {
  using namespace mi::schema;
  return object({{"cdr", uint()},         {"call", uint()},       {"start_ms", uint()},
                 {"answer_ms", uint()},   {"end_ms", uint()},     {"duration_ms", uint()},
                 {"source", str()},       {"caller", str()},      {"called", str()},
                 {"new_caller", str()},   {"new_called", str()},  {"target", str()},
                 {"rule", uint()},        {"sip_code", uint()},   {"cause", uint()},
                 {"reason", str()},       {"legs", array_of(attempt_reply())}});
}

Value cause_map_reply() {
  using namespace mi::schema;
  return object({{"q850_to_sip", map_of(uint("SIP status"), "Q.850 cause → SIP status")},
                 {"sip_to_q850", map_of(uint("Q.850 cause"), "SIP status → Q.850 cause")}});
}

}  // namespace

void register_calls_commands(mi::Registry& registry, const SipServices& s) {
  using namespace mi::schema;
  namespace rest = mi::rest;
  const std::string m = "calls";
  auto id = mi::param("id", ParamType::int_, "call id, as call_list shows it").at_least(1);
  // An optional word flag such as `call_list compact`: the word itself, 1, yes, true, on → on;
  // 0, no, false, off, full → off.
  auto word_flag = [](const char* word, const char* help) {
    return mi::optional_param(word, ParamType::string_, help)
        .one_of({word, "1", "0", "yes", "no", "true", "false", "on", "off", "full"});
  };
  auto is_on = [](const Args& a, const char* word) {
    std::string v = a.str(word);
    return v == word || v == "1" || v == "yes" || v == "true" || v == "on";
  };
  auto on_calls = [&s](auto fn) { return on_service(s, &SipServices::calls, "calls", fn); };

  registry.add({.name = "call_list", .module = m,
                .summary = "List the calls in progress (compact: one line per call)",
                .params = {word_flag("compact", "'compact' for one line per call")},
                .flags = mi::kEngine | mi::kReadOnly,
                .reply = object({{"Calls", array_of(any_of({call_reply(false), str("compact: one line")}))},
                                 {"count", uint()}}),
                .rest = {rest::get("/calls")},
                .handler = on_calls([is_on](Calls& calls, const Args& a) -> Result {
                  return calls.list(is_on(a, "compact"));
                })});

  registry.add({.name = "call_show", .module = m,
                .summary = "Show one call: origin, numbers before and after the dialplan, rule, legs, attempts",
                .params = {id},
                .flags = mi::kEngine | mi::kReadOnly,
                .reply = call_reply(true),
                .rest = {rest::get("/calls/{id}")},
                .handler = on_calls([](Calls& calls, const Args& a) {
                  return calls.show(static_cast<std::uint64_t>(a.integer("id")));
                })});

  registry.add({.name = "call_finish", .module = m,
                .summary = "End a call: BYE both sides when answered, else CANCEL the callee and answer 487",
                .params = {id},
                .flags = mi::kEngine,
                .reply = object({{"id", uint()}, {"finished", boolean()}, {"was", enum_of({"answered", "not answered"})}}),
                .rest = {rest::del("/calls/{id}").described("Hang up a call")},
                .handler = on_calls([](Calls& calls, const Args& a) {
                  return calls.finish(static_cast<std::uint64_t>(a.integer("id")));
                })});

  registry.add({.name = "port_call", .module = m,
                .summary = "Place a call from a virtual port (the line simulator as caller) through the dialplan",
                .description = "The call's source is port:<port> (and the port's groups) for the dialplan; the line "
                               "offers G.711 and hangs up after the port's hangup_after_ms once answered (0: it stays "
                               "up until the far end hangs up or call_finish). Returns the call id.",
                .params = {mi::param("port", ParamType::int_, "a virtual port").range(1, 9999),
                           mi::param("number", ParamType::string_, "the number to call"),
                           mi::optional_param("caller", ParamType::string_, "calling number (default: the port number)")},
                .flags = mi::kEngine,
                .reply = object({{"id", uint()}, {"state", str()},
                                 {"status", opt(uint("when it ended at once: the final SIP status"))},
                                 {"reason", opt(str())}}),
                .handler = on_calls([](Calls& calls, const Args& a) {
                  return calls.originate(static_cast<int>(a.integer("port")), a.str("number"), a.str("caller"));
                })});

  registry.add({.name = "call_stats", .module = m,
                .summary = "Call statistics since the last reset: totals, ASR, ACD (per_port: per port too)",
                .params = {word_flag("per_port", "'per_port' to add one entry per port")},
                .flags = mi::kEngine | mi::kReadOnly,
                .reply = stats_reply(true),
                .handler = on_calls([is_on](Calls& calls, const Args& a) -> Result {
                  return calls.stats(is_on(a, "per_port"));
                })});

  registry.add({.name = "call_stats_reset", .module = m,
                .summary = "Reset the call statistics (and the per-port counters); returns the values before",
                .flags = mi::kEngine,
                .reply = object({{"reset", boolean()}, {"before", stats_reply(false)}}),
                .handler = on_calls([](Calls& calls, const Args&) -> Result { return calls.reset_stats(); })});

  registry.add({.name = "call_durations", .module = m,
                .summary = "Connected calls and how long each has been connected",
                .flags = mi::kEngine | mi::kReadOnly,
                .reply = object({{"Connected", array_of(object({{"id", uint()}, {"caller", str()}, {"called", str()},
                                                                 {"target", str()}, {"duration_s", uint()},
                                                                 {"duration", str("h:mm:ss")}}))},
                                 {"count", uint()},
                                 {"total_s", uint()}}),
                .handler = on_calls([](Calls& calls, const Args&) -> Result { return calls.durations(); })});

  registry.add({.name = "cdr_list", .module = m,
                .summary = "List call detail records, newest first",
                .params = {mi::optional_param("limit", ParamType::int_, "how many, 1..1000", 50).range(1, 1000),
                           mi::optional_param("offset", ParamType::uint_, "how many newest to skip", 0)},
                .flags = mi::kEngine | mi::kReadOnly,
                .reply = object({{"CDRs", array_of(cdr_reply())}, {"total", uint("stored CDRs")}}),
                .handler = on_calls([](Calls& calls, const Args& a) {
                  return calls.cdr_list(a.integer("limit"), a.integer("offset"));
                })});

  registry.add({.name = "cdr_query", .module = m,
                .summary = "List the CDRs of calls started in a time window (default: the last 24 h), newest first, a page at a time",
                .description = "Give `next_cursor` back as `cursor` for the next (older) page; null on the last. "
                               "Stable while calls end: new CDRs never shift a page.",
                .params = {mi::optional_param("from", ParamType::uint_, "window start, unix time (default: `to` - 24 h)"),
                           mi::optional_param("to", ParamType::uint_, "window end (excluded), unix time (default: the end of this second: calls started now are in)"),
                           mi::optional_param("limit", ParamType::uint_, "page size, 1..1000", 100).range(1, 1000),
                           mi::optional_param("cursor", ParamType::string_, "next_cursor of the previous page")},
                .flags = mi::kEngine | mi::kReadOnly,
                .reply = object({{"CDRs", array_of(cdr_reply())},
                                 {"next_cursor", nullable(str("give it as `cursor` for the next page"))}}),
                .rest = {rest::get("/cdrs").paged("next_cursor")},
                .handler = on_calls([](Calls& calls, const Args& a) -> Result {
                  std::int64_t to = a.has("to") ? a.integer("to") : static_cast<std::int64_t>(std::time(nullptr)) + 1;
                  std::int64_t from = a.has("from") ? a.integer("from") : to - 86'400;
                  std::optional<std::int64_t> before;
                  if (a.has("cursor")) {  // the window of the first page stays, however late the next
                    auto key = mi::read_cursor(a.str("cursor"), 3);
                    std::int64_t parts[3] = {0, 0, 0};
                    for (int i = 0; key && i < 3; ++i) {
                      char* end = nullptr;
                      parts[i] = std::strtoll((*key)[i].c_str(), &end, 10);
                      if ((*key)[i].empty() || *end) key.reset();
                    }
                    if (!key) return Error::bad_param("cursor", "not a cursor this server gave");
                    before = parts[0];
                    from = parts[1];
                    to = parts[2];
                  }
                  constexpr std::int64_t kMaxSeconds = 4'000'000'000'000;  // keeps * 1000 in range
                  Result page = calls.cdr_page(std::min(from, kMaxSeconds) * 1000, std::min(to, kMaxSeconds) * 1000,
                                               a.integer("limit"), before);
                  if (page.ok() && page.value()["next_cursor"].is_string()) {
                    auto last = mi::read_cursor(page.value()["next_cursor"].get<std::string>(), 1);
                    page.value()["next_cursor"] = mi::make_cursor({(*last)[0], std::to_string(from), std::to_string(to)});
                  }
                  return page;
                })});

  registry.add({.name = "cdr_flush", .module = m,
                .summary = "Delete stored CDRs of calls that ended more than N days ago (0 = all); returns how many",
                .params = {mi::optional_param("older_than_days", ParamType::uint_, "keep the last N days (default 0: delete all)", 0)},
                .flags = mi::kEngine | mi::kAdmin,
                .reply = object({{"deleted", uint()}}),
                .handler = on_calls([](Calls& calls, const Args& a) {
                  return calls.cdr_flush(a.integer("older_than_days"));
                })});

  registry.add({.name = "cause_map", .module = m,
                .summary = "The Q.850 cause <-> SIP status map in use (RFC 3398 plus calls.q850_to_sip / sip_to_q850)",
                .flags = mi::kEngine | mi::kReadOnly,
                .reply = cause_map_reply(),
                .handler = on_calls([](Calls& calls, const Args&) -> Result { return calls.causes().value(); })});
}

}  // namespace sb::gateway
