// subscribers.cpp: the `subscriber` table.
#include "gateway/registrar/subscribers.h"

#include "gateway/registrar/digest.h"
#include "gateway/store/database.h"

namespace sb::gateway {

std::string subscriber_name_problem(const std::string& s, bool domain) {
  if (s.empty()) return "must not be empty";
  if (s.size() > 128) return "longer than 128 bytes";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '@' || c == ':' || c == ';' || c == '<' || c == '>' || c == '"')
      return "contains a blank, a control character or one of @ : ; < > \"";
    if (domain && c == '/') return "contains '/'";
  }
  return {};
}

Subscribers::Subscribers(Database& db) : db_(db) {}

bool Subscribers::add(const std::string& username, const std::string& domain,
                      const std::string& password, std::int64_t now) {
  Transaction tx(db_);
  auto st = db_.prepare(
      "INSERT INTO subscriber (username, domain, ha1, ha1b, created) VALUES (?,?,?,?,?) "
      "ON CONFLICT (username, domain) DO NOTHING");
  st.bind(1, username).bind(2, domain);
  st.bind(3, digest_ha1(username, domain, password));
  st.bind(4, digest_ha1(username + "@" + domain, domain, password));
  st.bind(5, now).run();
  bool added = db_.changes() > 0;
  tx.commit();
  return added;
}

bool Subscribers::remove(const std::string& username, const std::string& domain) {
  Transaction tx(db_);
  auto st = db_.prepare("DELETE FROM subscriber WHERE username = ? AND domain = ?");
  st.bind(1, username).bind(2, domain).run();
  bool removed = db_.changes() > 0;
  tx.commit();
  return removed;
}

bool Subscribers::set_password(const std::string& username, const std::string& domain,
                               const std::string& password) {
  Transaction tx(db_);
  auto st = db_.prepare("UPDATE subscriber SET ha1 = ?, ha1b = ?, version = version + 1 WHERE username = ? AND domain = ?");
  st.bind(1, digest_ha1(username, domain, password));
  st.bind(2, digest_ha1(username + "@" + domain, domain, password));
  st.bind(3, username).bind(4, domain).run();
  bool changed = db_.changes() > 0;
  tx.commit();
  return changed;
}

std::optional<Subscriber> Subscribers::find(const std::string& username, const std::string& domain) {
  auto st = db_.prepare(
      "SELECT username, domain, ha1, ha1b, created, version FROM subscriber WHERE username = ? AND domain = ?");
  st.bind(1, username).bind(2, domain);
  if (!st.step()) return std::nullopt;
  return Subscriber{st.text(0), st.text(1), st.text(2), st.text(3), st.integer(4), st.integer(5)};
}

std::vector<Subscriber> Subscribers::list() {
  std::vector<Subscriber> out;
  auto st = db_.prepare(
      "SELECT username, domain, ha1, ha1b, created, version FROM subscriber ORDER BY domain, username");
  while (st.step()) out.push_back({st.text(0), st.text(1), st.text(2), st.text(3), st.integer(4), st.integer(5)});
  return out;
}

std::vector<Subscriber> Subscribers::page(
    const std::optional<std::pair<std::string, std::string>>& after, std::size_t limit) {
  std::vector<Subscriber> out;
  auto st = db_.prepare(after ? "SELECT username, domain, ha1, ha1b, created, version FROM subscriber "
                                "WHERE (domain, username) > (?, ?) ORDER BY domain, username LIMIT ?"
                              : "SELECT username, domain, ha1, ha1b, created, version FROM subscriber "
                                "ORDER BY domain, username LIMIT ?");
  int i = 1;
  if (after) {
    st.bind(i++, after->first);
    st.bind(i++, after->second);
  }
  st.bind(i, static_cast<std::int64_t>(limit));
  while (st.step()) out.push_back({st.text(0), st.text(1), st.text(2), st.text(3), st.integer(4), st.integer(5)});
  return out;
}

}  // namespace sb::gateway
