// usrloc_events.cpp: see usrloc_events.h.
#include "gateway/usrloc/usrloc_events.h"

#include <array>
#include <memory>

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

/// A binding's fields for an event, in one allocation (the SIP engine makes it; the bus's
/// thread turns it into the params and frees it): the strings one after another in `text`.
struct BindingSnapshot {
  enum Field { aor, uri, callid, received, path, user_agent, socket, instance, reason, kFields };
  std::string text;
  std::array<std::uint32_t, kFields + 1> start{};
  std::int64_t expires = 0;
  int q = -1;
  std::uint32_t cseq = 0;

  BindingSnapshot(const Contact& c, std::string_view why) : expires(c.expires), q(c.q), cseq(c.cseq) {
    const std::string_view parts[kFields] = {c.aor, c.uri, c.callid, c.received, c.path,
                                             c.user_agent, c.socket, c.instance, why};
    std::size_t n = 0;
    for (std::string_view p : parts) n += p.size();
    text.reserve(n);
    for (int i = 0; i < kFields; ++i) {
      start[i] = static_cast<std::uint32_t>(text.size());
      text.append(parts[i]);
    }
    start[kFields] = static_cast<std::uint32_t>(text.size());
  }
  std::string get(Field f) const { return text.substr(start[f], start[f + 1] - start[f]); }
};

mi::Value contact_value(const void* p) {
  const auto& b = *static_cast<const BindingSnapshot*>(p);
  using F = BindingSnapshot;
  mi::Value v{{"aor", b.get(F::aor)},
              {"uri", b.get(F::uri)},
              {"expires", b.expires},
              {"q", b.q < 0 ? mi::Value(nullptr) : mi::Value(b.q / 1000.0)},
              {"callid", b.get(F::callid)},
              {"cseq", b.cseq},
              {"received", b.get(F::received)},
              {"path", b.get(F::path)},
              {"user_agent", b.get(F::user_agent)},
              {"socket", b.get(F::socket)},
              {"instance", b.get(F::instance)}};
  if (b.start[F::reason + 1] > b.start[F::reason]) v["reason"] = b.get(F::reason);
  return v;
}

mi::Value aor_value(const void* p) { return mi::Value{{"aor", *static_cast<const std::string*>(p)}}; }

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
  // On the SIP engine's thread: one snapshot allocation per event; the params are built on the
  // bus's thread (raise_deferred). Nothing at all for an event no one listens to.
  auto raise = [&](const mi::EventSpec& e, const Contact& c, std::string_view why) {
    if (bus_->wanted(e)) bus_->raise_deferred(e, std::make_shared<const BindingSnapshot>(c, why), contact_value, cause);
  };
  auto raise_aor = [&](const mi::EventSpec& e) {
    if (bus_->wanted(e)) bus_->raise_deferred(e, std::make_shared<const std::string>(aor), aor_value, cause);
  };
  if (before.empty() && !after.empty()) raise_aor(*aor_insert_);
  for (const Contact& c : before)
    if (!by_id(after, c.id)) raise(*delete_, c, reason);
  for (const Contact& c : after) {
    const Contact* old = by_id(before, c.id);
    const mi::EventSpec* e = !old                      ? insert_
                             : !only_refreshed(*old, c) ? update_
                             : old->expires != c.expires || old->cseq != c.cseq ? refresh_
                                                                                 : nullptr;
    if (e) raise(*e, c, {});
  }
  if (!before.empty() && after.empty()) raise_aor(*aor_delete_);
}

}  // namespace sb::gateway
