// usrloc.cpp: the location table in memory and its write-through persistence.
#include "gateway/usrloc/usrloc.h"
#include "gateway/usrloc/usrloc_events.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "gateway/store/database.h"

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
      location_expires_(stats.counter("usrloc", "location-expires")) {}

std::size_t Usrloc::load(std::int64_t now) {
  if (!db_) return 0;
  auto st = db_->prepare(
      "SELECT contact_id, aor, contact, expires, q, callid, cseq, user_agent, received, path, "
      "socket, methods, flags, cflags, instance, last_modified FROM location ORDER BY aor, contact_id");
  std::map<std::string, std::vector<Contact>> loaded;
  std::size_t dropped = 0;
  while (st.step()) {
    Contact c;
    c.id = static_cast<std::uint64_t>(st.integer(0));
    c.aor = st.text(1);
    c.uri = st.text(2);
    c.expires = st.integer(3);
    c.q = static_cast<int>(st.integer(4));
    c.callid = st.text(5);
    c.cseq = static_cast<std::uint32_t>(st.integer(6));
    c.user_agent = st.text(7);
    c.received = st.text(8);
    c.path = st.text(9);
    c.socket = st.text(10);
    c.methods = static_cast<std::uint32_t>(st.integer(11));
    c.flags = static_cast<std::uint32_t>(st.integer(12));
    c.cflags = st.text(13);
    c.instance = st.text(14);
    c.last_modified = st.integer(15);
    next_id_ = std::max(next_id_, c.id + 1);
    if (c.expires != 0 && c.expires <= now) {
      ++dropped;
      continue;
    }
    loaded[c.aor].push_back(std::move(c));
  }
  std::size_t n = 0;
  for (auto& [aor, contacts] : loaded) {
    for (const Contact& c : contacts) {
      if (c.expires != 0) by_expiry_.emplace(c.expires, c.id);
      aor_of_[c.id] = aor;
      ++n;
    }
    contacts_ += contacts.size();
    aors_[aor] = std::move(contacts);
  }
  if (dropped) {
    Transaction tx(*db_);
    auto del = db_->prepare("DELETE FROM location WHERE expires != 0 AND expires <= ?");
    del.bind(1, now).run();
    tx.commit();
  }
  update_stats();
  return n;
}

const std::vector<Contact>* Usrloc::find(const std::string& aor) const {
  auto it = aors_.find(aor);
  return it == aors_.end() ? nullptr : &it->second;
}

void Usrloc::write_aor(const std::string& aor, const std::vector<Contact>& contacts) {
  db_->cached("DELETE FROM location WHERE aor = ?").bind(1, aor).run();
  if (contacts.empty()) return;
  auto& ins = db_->cached(
      "INSERT INTO location (contact_id, aor, contact, expires, q, callid, cseq, user_agent, "
      "received, path, socket, methods, flags, cflags, instance, last_modified) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  for (const Contact& c : contacts) {
    ins.bind(1, static_cast<std::int64_t>(c.id)).bind(2, aor).bind(3, c.uri).bind(4, c.expires);
    ins.bind(5, static_cast<std::int64_t>(c.q)).bind(6, c.callid).bind(7, static_cast<std::int64_t>(c.cseq));
    ins.bind(8, c.user_agent).bind(9, c.received).bind(10, c.path).bind(11, c.socket);
    ins.bind(12, static_cast<std::int64_t>(c.methods)).bind(13, static_cast<std::int64_t>(c.flags));
    ins.bind(14, c.cflags).bind(15, c.instance).bind(16, c.last_modified);
    ins.run();
  }
}

void Usrloc::put(const std::string& aor, std::vector<Contact> contacts, std::string_view reason,
                 std::shared_ptr<const mi::SipCause> cause) {
  for (Contact& c : contacts) {
    c.aor = aor;
    if (c.id == 0) c.id = next_id_++;
  }
  if (db_) {
    Transaction tx(*db_);
    write_aor(aor, contacts);
    tx.commit();
  }
  // Durable: now change memory.
  std::vector<Contact> before;
  bool raise = events_ && events_->wanted();
  if (auto it = aors_.find(aor); it != aors_.end()) {
    for (const Contact& old : it->second) {
      if (old.expires != 0) by_expiry_.erase({old.expires, old.id});
      aor_of_.erase(old.id);
    }
    contacts_ -= it->second.size();
    if (raise) before = std::move(it->second);
    aors_.erase(it);
  }
  if (!contacts.empty()) {
    for (const Contact& c : contacts) {
      if (c.expires != 0) by_expiry_.emplace(c.expires, c.id);
      aor_of_[c.id] = aor;
    }
    contacts_ += contacts.size();
    aors_[aor] = std::move(contacts);
  }
  update_stats();
  if (raise) {
    static const std::vector<Contact> kNone;
    auto it = aors_.find(aor);
    events_->changed(aor, std::move(before), it == aors_.end() ? kNone : it->second, reason, cause);
  }
}

std::size_t Usrloc::expire(std::int64_t now) {
  std::map<std::string, std::vector<std::uint64_t>> gone;
  for (auto it = by_expiry_.begin(); it != by_expiry_.end() && it->first <= now; ++it)
    gone[aor_of_[it->second]].push_back(it->second);
  if (gone.empty()) return 0;
  if (db_) {
    Transaction tx(*db_);
    auto del = db_->prepare("DELETE FROM location WHERE expires != 0 AND expires <= ?");
    del.bind(1, now).run();
    tx.commit();
  }
  std::size_t n = 0;
  bool raise = events_ && events_->wanted();
  for (auto& [aor, ids] : gone) {
    auto& list = aors_[aor];
    std::vector<Contact> before;
    if (raise) before = list;
    for (std::uint64_t id : ids) {
      auto c = std::find_if(list.begin(), list.end(), [id](const Contact& x) { return x.id == id; });
      if (c == list.end()) continue;
      spdlog::debug("usrloc: binding {} -> {} expired", aor, c->uri);
      by_expiry_.erase({c->expires, id});
      aor_of_.erase(id);
      list.erase(c);
      --contacts_;
      ++n;
    }
    if (raise) events_->changed(aor, std::move(before), list, "expired", {});
    if (list.empty()) aors_.erase(aor);
  }
  location_expires_.inc(static_cast<std::int64_t>(n));
  update_stats();
  return n;
}

bool Usrloc::sync(const std::string& aor) {
  if (!aor.empty() && !aors_.contains(aor)) return false;
  if (!db_) return true;
  Transaction tx(*db_);
  if (aor.empty()) {
    db_->exec("DELETE FROM location");
    for (const auto& [a, contacts] : aors_) write_aor(a, contacts);
  } else {
    write_aor(aor, aors_.at(aor));
  }
  tx.commit();
  return true;
}

void Usrloc::clear() {
  if (db_) {
    Transaction tx(*db_);
    db_->exec("DELETE FROM location");
    tx.commit();
  }
  aors_.clear();
  by_expiry_.clear();
  aor_of_.clear();
  contacts_ = 0;
  update_stats();
}

void Usrloc::update_stats() {
  users_.set(static_cast<std::int64_t>(aors_.size()));
  location_users_.set(static_cast<std::int64_t>(aors_.size()));
  location_contacts_.set(static_cast<std::int64_t>(contacts_));
}

mi::Value Usrloc::contact_value(const Contact& c, std::int64_t now) {
  mi::Value v = mi::Value::object();
  v["Contact"] = c.uri;
  v["ContactID"] = std::to_string(c.id);
  if (c.expires == 0) v["Expires"] = "permanent";
  else if (c.expires <= now) v["Expires"] = "expired";
  else v["Expires"] = c.expires - now;
  v["Q"] = c.q < 0 ? std::string() : fmt::format("{:g}", c.q / 1000.0);
  v["Callid"] = c.callid;
  v["Cseq"] = c.cseq;
  if (!c.user_agent.empty()) v["User-agent"] = c.user_agent;
  if (!c.received.empty()) v["Received"] = c.received;
  if (!c.path.empty()) v["Path"] = c.path;
  v["State"] = "CS_SYNC";
  v["Flags"] = c.flags;
  v["Cflags"] = c.cflags;
  if (!c.socket.empty()) v["Socket"] = c.socket;
  v["Methods"] = c.methods;
  if (!c.instance.empty()) v["SIP_instance"] = c.instance;
  return v;
}

}  // namespace sb::gateway
