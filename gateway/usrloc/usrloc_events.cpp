// usrloc_events.cpp: see usrloc_events.h.
#include "gateway/usrloc/usrloc_events.h"

#include "gateway/usrloc/usrloc.h"
#include "mi/reply_schema.h"

namespace sb::gateway {

namespace {

using namespace mi::schema;

mi::Value contact_params(bool with_reason) {
  std::vector<std::pair<std::string, mi::Value>> p = {
      {"aor", str("the address of record, user@domain")},
      {"uri", str("the contact URI")},
      {"expires", integer("unix time the binding expires; 0 = permanent")},
      {"q", nullable(number("q value, 0..1; null when not given"))},
      {"callid", str("Call-ID of the REGISTER")},
      {"cseq", uint("CSeq of the REGISTER")},
      {"received", str("sip:ip:port the REGISTER came from (empty for a static binding)")},
      {"path", str("Path header, empty when none")},
      {"user_agent", str("User-Agent of the REGISTER")},
      {"socket", str("proto:ip:port it arrived on")},
      {"instance", str("+sip.instance, empty when none")}};
  if (with_reason) p.emplace_back("reason", enum_of({"unregistered", "expired", "removed", "replaced"},
                                                    "why it went: Expires 0, expiry, a command, another binding"));
  return object(std::move(p));
}

mi::Value contact_value(const Contact& c) {
  return mi::Value{{"aor", c.aor},
                   {"uri", c.uri},
                   {"expires", c.expires},
                   {"q", c.q < 0 ? mi::Value(nullptr) : mi::Value(c.q / 1000.0)},
                   {"callid", c.callid},
                   {"cseq", c.cseq},
                   {"received", c.received},
                   {"path", c.path},
                   {"user_agent", c.user_agent},
                   {"socket", c.socket},
                   {"instance", c.instance}};
}

bool only_refreshed(const Contact& a, const Contact& b) {
  return a.uri == b.uri && a.callid == b.callid && a.received == b.received && a.path == b.path &&
         a.q == b.q && a.user_agent == b.user_agent && a.socket == b.socket && a.flags == b.flags &&
         a.cflags == b.cflags && a.instance == b.instance && a.methods == b.methods;
}

const Contact* by_id(const std::vector<Contact>& list, std::uint64_t id) {
  for (const Contact& c : list)
    if (c.id == id) return &c;
  return nullptr;
}

}  // namespace

UsrlocEvents::UsrlocEvents(mi::EventRegistry& r) {
  const mi::Value aor_only = object({{"aor", str("the address of record, user@domain")}});
  aor_insert_ = &r.add({.name = "E_UL_AOR_INSERT", .module = "usrloc",
                        .summary = "An AOR got its first binding", .params = aor_only,
                        .from_sip_request = true});
  aor_delete_ = &r.add({.name = "E_UL_AOR_DELETE", .module = "usrloc",
                        .summary = "An AOR lost its last binding", .params = aor_only,
                        .from_sip_request = true});
  insert_ = &r.add({.name = "E_UL_CONTACT_INSERT", .module = "usrloc",
                    .summary = "A new binding (contact) was stored", .params = contact_params(false),
                    .from_sip_request = true});
  update_ = &r.add({.name = "E_UL_CONTACT_UPDATE", .module = "usrloc",
                    .summary = "A binding changed (Call-ID, received address, path, q, user agent…)",
                    .params = contact_params(false), .from_sip_request = true});
  refresh_ = &r.add({.name = "E_UL_CONTACT_REFRESH", .module = "usrloc",
                     .summary = "A binding was re-registered (only its expiry and CSeq changed)",
                     .params = contact_params(false), .from_sip_request = true});
  delete_ = &r.add({.name = "E_UL_CONTACT_DELETE", .module = "usrloc",
                    .summary = "A binding was removed (unregistered, expired, removed by a command)",
                    .params = contact_params(true), .from_sip_request = true});
}

bool UsrlocEvents::wanted() const {
  if (!bus_) return false;
  for (const mi::EventSpec* e : {aor_insert_, aor_delete_, insert_, update_, refresh_, delete_})
    if (bus_->wanted(*e)) return true;
  return false;
}

bool UsrlocEvents::wants_cause() const {
  if (!bus_) return false;
  for (const mi::EventSpec* e : {aor_insert_, aor_delete_, insert_, update_, refresh_, delete_})
    if (bus_->wants_cause(*e)) return true;
  return false;
}

void UsrlocEvents::changed(const std::string& aor, std::vector<Contact> before, const std::vector<Contact>& after,
                           std::string_view reason, const std::shared_ptr<const mi::SipCause>& cause) const {
  if (!bus_) return;
  auto aor_only = [aor] { return mi::Value{{"aor", aor}}; };
  if (before.empty() && !after.empty()) bus_->raise_deferred(*aor_insert_, aor_only, cause);
  for (Contact& c : before) {
    if (by_id(after, c.id)) continue;
    bus_->raise_deferred(*delete_, [c = std::move(c), reason = std::string(reason)] {
      mi::Value p = contact_value(c);
      p["reason"] = reason;
      return p;
    }, cause);
  }
  for (const Contact& c : after) {
    const Contact* old = by_id(before, c.id);  // (a moved-from entry was deleted: not in after)
    const mi::EventSpec* e = !old                      ? insert_
                             : !only_refreshed(*old, c) ? update_
                             : old->expires != c.expires || old->cseq != c.cseq ? refresh_
                                                                                 : nullptr;
    if (e) bus_->raise_deferred(*e, [c] { return contact_value(c); }, cause);
  }
  if (!before.empty() && after.empty()) bus_->raise_deferred(*aor_delete_, aor_only, cause);
}

}  // namespace sb::gateway
