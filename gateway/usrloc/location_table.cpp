// location_table.cpp: the `location` table's statements (kept prepared per connection).
#include "gateway/usrloc/location_table.h"

#include "gateway/store/database.h"
#include "gateway/usrloc/usrloc.h"

namespace sb::gateway {

void write_location_rows(Database& db, const std::string& aor, const std::vector<Contact>& contacts, bool fresh) {
  if (!fresh) db.cached("DELETE FROM location WHERE aor = ?").bind(1, aor).run();
  if (contacts.empty()) return;
  auto& ins = db.cached(
      "INSERT OR REPLACE INTO location (contact_id, aor, contact, expires, q, callid, cseq, user_agent, "
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

void delete_expired_location_rows(Database& db, std::int64_t now) {
  db.cached("DELETE FROM location WHERE expires != 0 AND expires <= ?").bind(1, now).run();
}

std::vector<Contact> read_location_rows(Database& db, const std::string& aor) {
  static const std::string kColumns =
      "SELECT contact_id, aor, contact, expires, q, callid, cseq, user_agent, received, path, "
      "socket, methods, flags, cflags, instance, last_modified FROM location ";
  auto st = db.prepare(kColumns + (aor.empty() ? "" : "WHERE aor = ? ") + "ORDER BY aor, contact_id");
  if (!aor.empty()) st.bind(1, aor);
  std::vector<Contact> out;
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
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace sb::gateway
