// calls_query.cpp: what the calls commands show and do — call lists, one call's detail,
// finishing a call, call statistics and durations, CDR listing and flushing (see calls.h).
#include "gateway/sip/sofia.h"  // first: sofia's magic types

#include <ctime>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "gateway/calls/call.h"
#include "gateway/calls/calls.h"
#include "mi/cursor.h"
#include "gateway/ports/ports.h"
#include "gateway/store/database.h"

namespace sb::gateway {

using mi::Error;
using mi::Result;
using mi::Value;

namespace {

std::string hms(std::int64_t ms) {
  std::int64_t s = ms / 1000;
  return fmt::format("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
}

}  // namespace

Value Calls::call_value(const Call& c, bool detail) const {
  std::int64_t now = unix_ms();
  Value v = {{"id", c.id}, {"state", c.state}, {"source", c.origin.kind + ":" + c.origin.id},
             {"caller", c.caller}, {"called", c.called}};
  if (c.route) {
    v["new_caller"] = c.route->caller;
    v["new_called"] = c.route->called;
    v["rule"] = c.route->rule_id;
  }
  v["target"] = c.target;
  v["port"] = c.port;
  if (c.from_port) v["from_port"] = c.from_port;
  v["start"] = c.start_ms / 1000;
  v["age_s"] = (now - c.start_ms) / 1000;
  v["connected_s"] = c.answer_ms ? (now - c.answer_ms) / 1000 : 0;
  if (detail) {
    v["start_ms"] = c.start_ms;
    v["ring_ms"] = c.ring_ms;
    v["answer_ms"] = c.answer_ms;
    v["legs"] = Value::array({c.a ? c.a->describe() : Value(nullptr), c.b ? c.b->describe() : Value(nullptr)});
    v["attempts"] = c.attempts;
    v["offer_sdp"] = !c.offer.empty();
  }
  return v;
}

Value Calls::list(bool compact) const {
  Value out = Value::array();
  std::int64_t now = unix_ms();
  for (const auto& [id, c] : calls_) {
    if (!compact) {
      out.push_back(call_value(*c, false));
      continue;
    }
    // One line per call, as the monitor's "k" prints it.
    out.push_back(fmt::format("#{} {} {}:{} {} -> {} via {} {}", id, c->state, c->origin.kind, c->origin.id,
                              c->caller, c->route ? c->route->called : c->called,
                              c->target.empty() ? "-" : c->target,
                              hms(c->answer_ms ? now - c->answer_ms : now - c->start_ms)));
  }
  return Value{{"Calls", out}, {"count", calls_.size()}};
}

Result Calls::show(std::uint64_t id) const {
  auto it = calls_.find(id);
  if (it == calls_.end()) return Error::failure(404, fmt::format("Call {} not found", id));
  return call_value(*it->second, true);
}

Result Calls::finish(std::uint64_t id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return Error::failure(404, fmt::format("Call {} not found", id));
  Call& c = *it->second;
  bool answered = c.state == "answered";
  if (c.b) c.b->hangup(16);
  if (answered) {
    c.a->hangup(16);
    end_call(c, 200, 16, "finished by the operator");
  } else {
    c.a->send_reject(487, "Request Terminated", 16);
    end_call(c, 487, 16, "finished by the operator");
  }
  return Value{{"id", id}, {"finished", true}, {"was", answered ? "answered" : "not answered"}};
}

Value Calls::stats(bool per_port) const {
  const CallCounters& k = counters_;
  std::size_t connected = 0;
  for (const auto& [id, c] : calls_) connected += c->state == "answered";
  Value v = {{"total", k.total},         {"answered", k.answered}, {"failed", k.failed},
             {"busy", k.busy},           {"no_answer", k.no_answer}, {"cancelled", k.cancelled},
             {"rejected", k.rejected},   {"active", calls_.size()}, {"connected", connected}};
  std::uint64_t ended = k.answered + k.failed;
  v["asr_percent"] = ended ? static_cast<double>(k.answered) * 100.0 / static_cast<double>(ended) : 0.0;
  v["acd_s"] = k.answered ? static_cast<double>(k.connected_ms) / 1000.0 / static_cast<double>(k.answered) : 0.0;
  v["since"] = k.since;
  if (per_port) {
    Value ports = Value::array();
    for (const auto& [n, p] : ports_.all()) {
      ports.push_back(Value{{"port", n}, {"calls", p.counters.calls}, {"answered", p.counters.answered},
                            {"failed", p.counters.failed}, {"in_use", p.in_use},
                            {"connected_s", p.counters.connected_ms / 1000}});
    }
    v["ports"] = ports;
  }
  return v;
}

Value Calls::reset_stats() {
  Value before = stats(false);
  counters_ = CallCounters{};
  counters_.since = static_cast<std::int64_t>(std::time(nullptr));
  for (auto& [n, p] : ports_.all()) {
    if (Port* port = ports_.find(n)) port->counters = PortCounters{};
  }
  return Value{{"reset", true}, {"before", before}};
}

Value Calls::durations() const {
  Value list = Value::array();
  std::int64_t now = unix_ms(), total = 0;
  for (const auto& [id, c] : calls_) {
    if (!c->answer_ms) continue;
    std::int64_t ms = now - c->answer_ms;
    total += ms;
    list.push_back(Value{{"id", id}, {"caller", c->caller}, {"called", c->route ? c->route->called : c->called},
                         {"target", c->target}, {"duration_s", ms / 1000}, {"duration", hms(ms)}});
  }
  return Value{{"Connected", list}, {"count", list.size()}, {"total_s", total / 1000}};
}

namespace {

constexpr const char* kCdrColumns =
    "SELECT id, call_id, start_ms, answer_ms, end_ms, duration_ms, source, caller, called, new_caller, "
    "new_called, target, rule_id, sip_code, cause, reason, legs FROM cdr ";

Value cdr_row(Statement& st) {
  Value legs = Value::parse(st.text(16), nullptr, false);
  return Value{{"cdr", st.integer(0)},         {"call", st.integer(1)},     {"start_ms", st.integer(2)},
               {"answer_ms", st.integer(3)},   {"end_ms", st.integer(4)},   {"duration_ms", st.integer(5)},
               {"source", st.text(6)},         {"caller", st.text(7)},      {"called", st.text(8)},
               {"new_caller", st.text(9)},     {"new_called", st.text(10)}, {"target", st.text(11)},
               {"rule", st.integer(12)},       {"sip_code", st.integer(13)}, {"cause", st.integer(14)},
               {"reason", st.text(15)},        {"legs", legs.is_discarded() ? Value::array() : legs}};
}

}  // namespace

Result Calls::cdr_list(std::int64_t limit, std::int64_t offset) const {
  if (limit < 1 || limit > 1000) return Error::bad_param("limit", "must be 1..1000");
  if (offset < 0) return Error::bad_param("offset", "must be >= 0");
  auto st = db_.prepare(std::string(kCdrColumns) + "ORDER BY id DESC LIMIT ? OFFSET ?");
  st.bind(1, limit).bind(2, offset);
  Value list = Value::array();
  while (st.step()) list.push_back(cdr_row(st));
  auto count = db_.prepare("SELECT COUNT(*) FROM cdr");
  count.step();
  return Value{{"CDRs", list}, {"total", count.integer(0)}};
}

Result Calls::cdr_page(std::int64_t from_ms, std::int64_t to_ms, std::int64_t limit,
                       std::optional<std::int64_t> before_id) const {
  if (to_ms < from_ms) return Error::bad_param("to", "is before `from`");
  auto st = db_.prepare(std::string(kCdrColumns) +
                        "WHERE start_ms >= ? AND start_ms < ? AND id < ? ORDER BY id DESC LIMIT ?");
  st.bind(1, from_ms).bind(2, to_ms).bind(3, before_id.value_or(INT64_MAX)).bind(4, limit + 1);
  Value list = Value::array();
  Value next = nullptr;
  while (st.step()) {
    if (static_cast<std::int64_t>(list.size()) == limit) {  // one more exists: a next page
      next = mi::make_cursor({std::to_string(list.back()["cdr"].get<std::int64_t>())});
      break;
    }
    list.push_back(cdr_row(st));
  }
  return Value{{"CDRs", std::move(list)}, {"next_cursor", std::move(next)}};
}

Result Calls::cdr_flush(std::int64_t older_than_days) {
  if (older_than_days < 0 || older_than_days > 36500) return Error::bad_param("older_than_days", "must be 0..36500");
  std::int64_t cutoff = unix_ms() - older_than_days * 86'400'000;
  Transaction tx(db_);
  db_.cached("DELETE FROM cdr WHERE end_ms > 0 AND end_ms <= ?").bind(1, cutoff).run();  // not calls up
  std::int64_t n = db_.changes();
  tx.commit();
  spdlog::info("calls: cdr_flush removed {} CDR(s) older than {} day(s)", n, older_than_days);
  return Value{{"deleted", n}};
}

}  // namespace sb::gateway
