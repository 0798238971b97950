// calls_cdr.cpp: the call engine's CDR rows (table `cdr`) — opened when a call starts,
// given its answer time, completed when it ends (a daemon killed mid-call still leaves its row),
// and the rows a killed previous run left open closed at start-up. Part of Calls (calls.h).
// Threading: engine thread only.
#include "gateway/sip/sofia.h"  // first: sofia's magic types

#include "gateway/calls/calls.h"

#include <spdlog/spdlog.h>

#include "gateway/calls/call.h"
#include "gateway/store/database.h"

namespace sb::gateway {

using mi::Value;

void Calls::close_abandoned_cdrs() {
  // A previous run was killed (kill -9, crash, power loss) with calls up: their rows are still
  // open. The true end is unknown; the restart time is its upper bound (said in the reason).
  const std::int64_t now = unix_ms();
  try {
    Transaction tx(db_);
    db_.prepare("UPDATE cdr SET end_ms = ?1, duration_ms = CASE WHEN answer_ms > 0 THEN ?1 - answer_ms "
                "ELSE 0 END, sip_code = CASE WHEN answer_ms > 0 THEN 200 ELSE 500 END, cause = 41, "
                "reason = 'daemon restart (the call was cut; end time = restart time)' WHERE end_ms = 0")
        .bind(1, now)
        .run();
    const std::int64_t n = db_.changes();
    tx.commit();
    if (n > 0)
      spdlog::warn("calls: {} CDR(s) left open by the previous run (killed with calls up) closed "
                   "with reason 'daemon restart'", n);
  } catch (const StoreError& e) {
    spdlog::error("calls: cannot close the CDRs left open by the previous run: {}", e.what());
  }
}

void Calls::open_cdr(Call& call) {
  try {
    Transaction tx(db_);
    db_.cached("INSERT INTO cdr (call_id, start_ms, answer_ms, end_ms, duration_ms, source, caller, called, "
               "new_caller, new_called, target, rule_id, sip_code, cause, reason, legs) "
               "VALUES (?, ?, 0, 0, 0, ?, ?, ?, '', '', '', 0, 0, 0, 'in progress', '[]')")
        .bind(1, static_cast<std::int64_t>(call.id))
        .bind(2, call.start_ms)
        .bind(3, call.origin.kind + ":" + call.origin.id)
        .bind(4, call.caller)
        .bind(5, call.called)
        .run();
    call.cdr_row = db_.last_insert_rowid();
    tx.commit();
  } catch (const StoreError& e) {
    call.cdr_row = 0;  // the end writes the whole row instead
    spdlog::error("calls: #{}: the opening CDR could not be written: {}", call.id, e.what());
  }
}

void Calls::cdr_answered(const Call& call) {
  if (!call.cdr_row) return;
  try {
    Transaction tx(db_);
    db_.cached("UPDATE cdr SET answer_ms = ? WHERE id = ?").bind(1, call.answer_ms).bind(2, call.cdr_row).run();
    tx.commit();
  } catch (const StoreError& e) {
    spdlog::error("calls: #{}: the answer time could not be written to its CDR: {}", call.id, e.what());
  }
}

std::int64_t Calls::write_cdr(const Call& call) {
  Value legs = call.attempts;
  if (call.answer_ms) legs.push_back(Value{{"target", call.target}, {"status", 200}, {"answered", true}});
  Transaction tx(db_);
  // The row opened at the start is completed (REPLACE keeps its id); without one, a new row.
  db_.cached("INSERT OR REPLACE INTO cdr (id, call_id, start_ms, answer_ms, end_ms, duration_ms, source, "
             "caller, called, new_caller, new_called, target, rule_id, sip_code, cause, reason, legs) "
             "VALUES (NULLIF(?17, 0), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)")
      .bind(17, call.cdr_row)
      .bind(1, static_cast<std::int64_t>(call.id))
      .bind(2, call.start_ms)
      .bind(3, call.answer_ms)
      .bind(4, call.end_ms)
      .bind(5, call.answer_ms ? call.end_ms - call.answer_ms : std::int64_t{0})
      .bind(6, call.origin.kind + ":" + call.origin.id)
      .bind(7, call.caller)
      .bind(8, call.called)
      .bind(9, call.route ? call.route->caller : std::string())
      .bind(10, call.route ? call.route->called : std::string())
      .bind(11, call.target)
      .bind(12, call.route ? call.route->rule_id : std::int64_t{0})
      .bind(13, static_cast<std::int64_t>(call.final_status))
      .bind(14, static_cast<std::int64_t>(call.cause))
      .bind(15, call.reason)
      .bind(16, legs.dump())
      .run();
  std::int64_t row = call.cdr_row ? call.cdr_row : db_.last_insert_rowid();
  tx.commit();
  cdrs_stat_.inc();
  return row;
}

}  // namespace sb::gateway
