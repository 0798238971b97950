// usrloc.cpp: the location table in memory, its synchronous writes and its group commit.
#include "gateway/usrloc/usrloc.h"
#include "gateway/usrloc/usrloc_events.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "gateway/engine/engine.h"
#include "gateway/store/database.h"
#include "gateway/usrloc/location_table.h"
#include "gateway/usrloc/location_writer.h"

namespace sb::gateway {

std::optional<std::string> normalize_aor(const std::string& aor) {
  std::string s = aor;
  if (s.starts_with("sip:")) s = s.substr(4);
  else if (s.starts_with("sips:")) s = s.substr(5);
  auto at = s.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 >= s.size()) return std::nullopt;
  for (std::size_t i = at + 1; i < s.size(); ++i)
    s[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
  return s;
}

Usrloc::Usrloc(Database* db, mi::Statistics& stats)
    : db_(db),
      users_(stats.gauge("usrloc", "registered_users")),
      location_users_(stats.gauge("usrloc", "location-users")),
      location_contacts_(stats.gauge("usrloc", "location-contacts")),
      location_expires_(stats.counter("usrloc", "location-expires")),
      db_commits_(stats.counter("usrloc", "db_commits")),
      db_failures_(stats.counter("usrloc", "db_failed_changes")) {}

Usrloc::~Usrloc() {
  if (writer_) {
    writer_->mute();  // its reports would reach this object after it is gone
    writer_->stop();  // what is staged is still committed
  }
}

std::size_t Usrloc::load(std::int64_t now) {
  std::lock_guard lk(mu_);
  if (!db_) return 0;
  std::map<std::string, std::vector<Contact>> loaded;
  std::size_t dropped = 0;
  for (Contact& c : read_location_rows(*db_)) {
    next_id_ = std::max(next_id_, c.id + 1);
    if (c.expires != 0 && c.expires <= now) {
      ++dropped;
      continue;
    }
    loaded[c.aor].push_back(std::move(c));
  }
  std::size_t n = 0;
  for (auto& [aor, contacts] : loaded) {
    if (auto it = aors_.find(std::string_view(aor)); it != aors_.end()) uninstall(it);
    install(aor, contacts);
    n += contacts.size();
  }
  if (dropped) {
    Transaction tx(*db_);
    delete_expired_location_rows(*db_, now);
    tx.commit();
  }
  update_stats();
  return n;
}

std::optional<std::vector<Contact>> Usrloc::find(const std::string& aor) const {
  std::lock_guard lk(mu_);
  auto it = aors_.find(std::string_view(aor));
  if (it == aors_.end()) return std::nullopt;
  return unpack(it->first, it->second);
}

void Usrloc::visit(std::string_view from, bool after,
                   const std::function<bool(std::string_view, std::vector<Contact>&)>& visit) const {
  std::lock_guard lk(mu_);
  std::vector<Contact> contacts;
  for (auto it = after ? aors_.upper_bound(from) : aors_.lower_bound(from); it != aors_.end(); ++it) {
    contacts = unpack(it->first, it->second);
    if (!visit(it->first, contacts)) return;
  }
}

std::vector<Contact> Usrloc::unpack(std::string_view aor, const Bindings& bindings) {
  std::vector<Contact> out;
  out.reserve(bindings.size());
  for (const PackedContact& p : bindings) out.push_back(p.unpack(aor));
  return out;
}

void Usrloc::install(const std::string& aor, const std::vector<Contact>& contacts) {
  // The key and the list are built inside the node, from mem_ (uses-allocator construction).
  auto [it, added] = aors_.emplace(std::piecewise_construct, std::forward_as_tuple(aor.data(), aor.size()),
                                   std::forward_as_tuple());
  Bindings& bindings = it->second;
  bindings.reserve(contacts.size());
  for (const Contact& c : contacts) {
    bindings.emplace_back(c, strings_, mem_);
    if (c.expires != 0) by_expiry_.emplace(c.expires, &it->first);
  }
  contacts_ += contacts.size();
}

void Usrloc::uninstall(AorMap::iterator it) {
  for (PackedContact& p : it->second) {
    if (p.expires() != 0) by_expiry_.erase({p.expires(), &it->first});
    p.release(strings_, mem_);
  }
  contacts_ -= it->second.size();
  aors_.erase(it);
}

void Usrloc::assign_ids(const std::string& aor, std::vector<Contact>& contacts) {
  for (Contact& c : contacts) {
    c.aor = aor;
    if (c.id == 0) c.id = next_id_++;
  }
}

void Usrloc::put(const std::string& aor, std::vector<Contact> contacts, std::string_view reason,
                 std::shared_ptr<const mi::SipCause> cause) {
  std::lock_guard lk(mu_);
  assign_ids(aor, contacts);
  if (db_) {
    writer_idle();  // what the writer still holds for this AOR must not land after this
    Transaction tx(*db_);
    write_location_rows(*db_, aor, contacts);
    tx.commit();
  }
  apply(aor, std::move(contacts), reason, std::move(cause));  // durable: now change memory
}

void Usrloc::stage(const std::string& aor, std::vector<Contact> contacts, std::string_view reason,
                   std::shared_ptr<const mi::SipCause> cause) {
  std::lock_guard lk(mu_);
  if (!writer_) return put(aor, std::move(contacts), reason, std::move(cause));
  assign_ids(aor, contacts);
  // Fresh (no rows to delete): not in memory, and not removed by a change that may still fail
  // (its rows would then stay in the table).
  bool fresh = !aors_.contains(std::string_view(aor));
  if (fresh && !removals_.empty()) {
    std::uint64_t durable = 0;
    {
      std::lock_guard lk(ack_mu_);
      durable = durable_seq_;
    }
    if (removals_.size() > 256) std::erase_if(removals_, [&](const auto& r) { return r.second <= durable; });
    if (auto it = removals_.find(aor); it != removals_.end() && it->second > durable) fresh = false;
  }
  const bool removal = contacts.empty();
  const std::uint64_t seq = writer_->stage(
      {.kind = LocationWriter::Change::Kind::put_aor, .aor = aor, .contacts = contacts, .fresh = fresh, .now = 0});
  staged(seq);
  if (removal) removals_[aor] = seq;
  apply(aor, std::move(contacts), reason, std::move(cause));
}

void Usrloc::staged(std::uint64_t seq) {
  std::lock_guard lk(ack_mu_);
  staged_seq_ = std::max(staged_seq_, seq);
}

void Usrloc::when_durable(std::function<void(bool ok)> reply, Engine* engine) {
  {
    std::lock_guard lk(ack_mu_);
    if (durable_seq_ < staged_seq_) {
      acks_.push_back({staged_seq_, std::move(reply), engine});
      return;
    }
  }
  reply(true);
}

bool Usrloc::all_durable() const {
  std::lock_guard lk(ack_mu_);
  return durable_seq_ >= staged_seq_;
}

bool Usrloc::reply_can_wait() const {
  std::lock_guard lk(ack_mu_);
  return max_waiting_ == 0 || acks_.size() < max_waiting_;
}

std::size_t Usrloc::pending_replies() const {
  std::lock_guard lk(ack_mu_);
  return acks_.size();
}

std::size_t Usrloc::pending_replies(const Engine* engine) const {
  std::lock_guard lk(ack_mu_);
  return static_cast<std::size_t>(std::count_if(acks_.begin(), acks_.end(), [&](const Ack& a) { return a.engine == engine; }));
}

void Usrloc::fail_replies(Engine* engine) {
  std::vector<std::function<void(bool)>> failed;
  {
    std::lock_guard lk(ack_mu_);
    for (auto it = acks_.begin(); it != acks_.end();) {
      if (it->engine == engine) {
        failed.push_back(std::move(it->reply));
        it = acks_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& reply : failed) reply(false);
}

void Usrloc::enable_group_commit(const DatabaseOptions& options, const GroupCommit& tuning,
                                 std::function<void(std::function<void()>)> post) {
  if (!db_ || options.path.empty() || options.path == ":memory:") return;
  // The writer never checkpoints on its own thread: the fsyncs would hold every waiting 200
  // (milliseconds, seconds on a congested disk). See usrloc.wal_restart_pages.
  DatabaseOptions own = options;
  own.auto_checkpoint = false;
  LocationWriter::Tuning t;
  t.max_pending = tuning.max_pending;
  {
    std::lock_guard lk(ack_mu_);
    max_waiting_ = tuning.max_pending;
  }
  t.commit_gap = tuning.commit_gap;
  t.checkpoint_frames = tuning.wal_restart_pages;
  t.checkpoint_pause = tuning.checkpoint_pause;
  post_ = post;
  // The writer's report, on its thread. A commit's replies go straight to the engines that
  // wait for them (one hop instead of two through the main engine): a worker's 200s leave as
  // soon as its loop turns. A failure, and every report after it until the main engine has
  // handled it, go through the main engine in order: it restores the failed AORs first.
  writer_ = std::make_unique<LocationWriter>(own, t, [this](LocationWriter::Done d) {
    bool direct = d.ok;
    {
      std::lock_guard lk(ack_mu_);  // never mu_ here: its holders may be waiting for this thread
      if (reports_queued_ > 0) direct = false;
      if (!direct) ++reports_queued_;
    }
    if (direct) {
      written(d.first, d.last, true, {});
      post_([spent = std::move(d.spent)] {});  // freed on the main engine, not in the writer's arena
      return;
    }
    post_([this, d = std::move(d)] {
      struct Done {  // also when written() throws: later reports would go through here forever
        Usrloc* self;
        ~Done() {
          std::lock_guard lk(self->ack_mu_);
          --self->reports_queued_;
        }
      } done{this};
      written(d.first, d.last, d.ok, d.failed_aors);
    });
  });
}

bool Usrloc::writer_on_this_thread() const { return writer_ && writer_->on_writer_thread(); }

void Usrloc::stop_writer() {
  if (writer_) writer_->stop();
}

void Usrloc::writer_idle() {
  if (writer_) writer_->wait_idle();
}

namespace {
/// Runs each reply with `ok`; one that throws does not keep the others from going.
void run_replies(const std::vector<std::function<void(bool)>>& replies, bool ok) {
  for (const auto& reply : replies) {
    try {
      reply(ok);
    } catch (const std::exception& e) {
      spdlog::error("usrloc: a reply after the commit failed: {}", e.what());
    }
  }
}
}  // namespace

void Usrloc::written(std::uint64_t /*first*/, std::uint64_t last, bool ok, const std::vector<std::string>& failed_aors) {
  // The replies run on their engines, one job per engine; those of the main engine (null)
  // inline when this runs there, after every lock is let go (REGISTER workers wait for them).
  std::vector<std::function<void(bool)>> here;
  const bool on_writer = !post_ || writer_on_this_thread();
  // A failure is reported on the main engine: the table's lock is held over the report and the
  // restore, so that no REGISTER finds the failed change durable before memory is restored.
  std::unique_lock<std::recursive_mutex> table;
  if (!ok) table = std::unique_lock(mu_);
  {
    std::lock_guard lk(ack_mu_);
    durable_seq_ = std::max(durable_seq_, last);
    if (ok) db_commits_.inc();
    std::vector<std::pair<Engine*, std::vector<std::function<void(bool)>>>> elsewhere;
    while (!acks_.empty() && acks_.front().seq <= last) {
      Ack ack = std::move(acks_.front());
      acks_.pop_front();
      if (ack.engine ? ack.engine->on_engine_thread() : !on_writer) {
        here.push_back(std::move(ack.reply));
        continue;
      }
      auto it = std::find_if(elsewhere.begin(), elsewhere.end(), [&](const auto& e) { return e.first == ack.engine; });
      if (it == elsewhere.end()) it = elsewhere.insert(elsewhere.end(), {ack.engine, {}});
      it->second.push_back(std::move(ack.reply));
    }
    // Queued before the lock goes: a worker that stops counts its replies under this lock
    // (pending_replies, fail_replies), so once they are gone from acks_ they are in its queue,
    // which its teardown runs; and the engine cannot be destroyed while this uses it.
    for (auto& [engine, replies] : elsewhere) {
      auto job = [replies = std::move(replies), ok] { run_replies(replies, ok); };
      if (engine) engine->defer(std::move(job));
      else post_(std::move(job));
    }
  }
  if (!ok) {
    db_failures_.inc(static_cast<std::int64_t>(failed_aors.size()));
    restore(failed_aors);
    table.unlock();
  }
  run_replies(here, ok);
}

void Usrloc::restore(const std::vector<std::string>& aors) {
  // Memory went ahead of a transaction that failed: the database holds what was committed
  // (including any later change of the same AOR that did commit), so memory takes it back.
  try {
    writer_idle();
    for (const std::string& aor : aors) {
      std::vector<Contact> rows = read_location_rows(*db_, aor);
      apply(aor, std::move(rows), "removed", {});
    }
  } catch (const std::exception& e) {
    spdlog::error("usrloc: cannot re-read the bindings after a failed commit: {}", e.what());
  }
}

void Usrloc::apply(const std::string& aor, std::vector<Contact> contacts, std::string_view reason,
                   std::shared_ptr<const mi::SipCause> cause) {
  std::vector<Contact> before;
  bool raise = events_ && events_->wanted();
  if (auto it = aors_.find(std::string_view(aor)); it != aors_.end()) {
    if (raise) before = unpack(it->first, it->second);
    uninstall(it);
  }
  if (!contacts.empty()) install(aor, contacts);
  update_stats();
  if (raise) events_->changed(aor, std::move(before), contacts, reason, cause);
}

std::size_t Usrloc::expire(std::int64_t now) {
  std::lock_guard lk(mu_);
  std::set<std::string> due;  // the AORs with a binding expired (the index holds each AOR's expiries)
  for (auto it = by_expiry_.begin(); it != by_expiry_.end() && it->first <= now; ++it)
    due.insert(std::string(*it->second));
  if (due.empty()) return 0;
  if (writer_) {
    staged(writer_->stage({.kind = LocationWriter::Change::Kind::delete_expired, .aor = {}, .contacts = {}, .fresh = false, .now = now}));
  } else if (db_) {
    Transaction tx(*db_);
    delete_expired_location_rows(*db_, now);
    tx.commit();
  }
  std::size_t n = 0;
  bool raise = events_ && events_->wanted();
  for (const std::string& aor : due) {
    auto it = aors_.find(std::string_view(aor));
    if (it == aors_.end()) continue;
    std::vector<Contact> before = unpack(aor, it->second), after;
    for (const Contact& c : before) {
      if (c.expires != 0 && c.expires <= now) {
        spdlog::debug("usrloc: binding {} -> {} expired", aor, c.uri);
        ++n;
      } else {
        after.push_back(c);
      }
    }
    uninstall(it);
    if (!after.empty()) install(aor, after);
    if (raise) events_->changed(aor, std::move(before), after, "expired", {});
  }
  location_expires_.inc(static_cast<std::int64_t>(n));
  update_stats();
  return n;
}

bool Usrloc::sync(const std::string& aor) {
  std::lock_guard lk(mu_);
  if (!aor.empty() && !aors_.contains(std::string_view(aor))) return false;
  if (!db_) return true;
  writer_idle();
  Transaction tx(*db_);
  if (aor.empty()) {
    db_->exec("DELETE FROM location");
    for (const auto& [a, bindings] : aors_) write_location_rows(*db_, std::string(a), unpack(a, bindings));
  } else {
    auto it = aors_.find(std::string_view(aor));
    write_location_rows(*db_, aor, unpack(aor, it->second));
  }
  tx.commit();
  return true;
}

void Usrloc::clear() {
  std::lock_guard lk(mu_);
  if (db_) {
    writer_idle();
    Transaction tx(*db_);
    db_->exec("DELETE FROM location");
    tx.commit();
  }
  while (!aors_.empty()) uninstall(aors_.begin());
  contacts_ = 0;
  update_stats();
}

void Usrloc::update_stats() {
  users_.set(static_cast<std::int64_t>(aors_.size()));
  location_users_.set(static_cast<std::int64_t>(aors_.size()));
  location_contacts_.set(static_cast<std::int64_t>(contacts_));
}

mi::Value Usrloc::contact_value(Contact c, std::int64_t now) {
  mi::Value v = mi::Value::object();
  // One allocation for the 16 members, not five growing copies: a dump builds 100 000s of these.
  v.get_ref<mi::Value::object_t&>().reserve(16);
  v["Contact"] = std::move(c.uri);
  v["ContactID"] = std::to_string(c.id);
  if (c.expires == 0) v["Expires"] = "permanent";
  else if (c.expires <= now) v["Expires"] = "expired";
  else v["Expires"] = c.expires - now;
  v["Q"] = c.q < 0 ? std::string() : fmt::format("{:g}", c.q / 1000.0);
  v["Callid"] = std::move(c.callid);
  v["Cseq"] = c.cseq;
  if (!c.user_agent.empty()) v["User-agent"] = std::move(c.user_agent);
  if (!c.received.empty()) v["Received"] = std::move(c.received);
  if (!c.path.empty()) v["Path"] = std::move(c.path);
  v["State"] = "CS_SYNC";
  v["Flags"] = c.flags;
  v["Cflags"] = std::move(c.cflags);
  if (!c.socket.empty()) v["Socket"] = std::move(c.socket);
  v["Methods"] = c.methods;
  if (!c.instance.empty()) v["SIP_instance"] = std::move(c.instance);
  return v;
}

}  // namespace sb::gateway
