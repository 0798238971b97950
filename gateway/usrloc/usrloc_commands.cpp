// usrloc_commands.cpp: the `usrloc` module's commands.
#include "gateway/usrloc/usrloc_commands.h"

#include <algorithm>
#include <ctime>
#include <iterator>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

#include "gateway/engine/command_helpers.h"
#include "gateway/engine/engine_slices.h"
#include "gateway/usrloc/usrloc.h"
#include "mi/cursor.h"
#include "mi/reply_schema.h"

namespace sb::gateway {


namespace {

std::int64_t now() { return static_cast<std::int64_t>(std::time(nullptr)); }

/// Runs `fn(usrloc)` once the table name (when given) is `location`.
template <typename Fn>
Result with_table(const SipServices& s, const Args& a, Fn fn) {
  if (a.has("table_name") && a.str("table_name") != kLocationTable)
    return Error::failure(404, "Table not found");
  return with_service(s.usrloc, "usrloc", fn);
}

/// The AOR param, normalized, or the 400 OpenSIPS gives for a missing domain.
std::optional<std::string> aor_param(const Args& a) { return normalize_aor(a.str("aor")); }

Value aor_value(std::string_view aor, std::vector<Contact>& contacts, std::int64_t t, bool brief) {
  Value v = Value::object();
  v["AOR"] = std::string(aor);
  if (!brief) {
    Value list = Value::array();
    for (Contact& c : contacts) list.push_back(Usrloc::contact_value(std::move(c), t));
    v["Contacts"] = std::move(list);
  }
  return v;
}

/// "0.5" → 500, "" → -1; nullopt when not a q-value.
std::optional<int> q_param(const std::string& q) {
  if (q.empty()) return -1;
  char* end = nullptr;
  double d = std::strtod(q.c_str(), &end);
  if (*end || d < 0 || d > 1) return std::nullopt;
  return static_cast<int>(d * 1000 + 0.5);
}

bool looks_like_uri(const std::string& c) {
  return (c.starts_with("sip:") || c.starts_with("sips:") || c.starts_with("tel:")) && c.size() > 5 &&
         c.find_first_of(" \t\r\n<>\"") == std::string::npos;
}

// ---- handlers ---------------------------------------------------------------------------------

Result show_contact(Usrloc& ul, const Args& a) {
  auto key = aor_param(a);
  if (!key) return Error::failure(400, "Domain missing in AOR");
  auto contacts = ul.find(*key);
  if (!contacts) return Error::failure(404, "AOR not found");
  return aor_value(*key, *contacts, now(), false);
}

Result add_contact(Usrloc& ul, const Args& a) {
  auto key = aor_param(a);
  if (!key) return Error::failure(400, "Domain missing in AOR");
  std::string uri = a.str("contact");
  if (!looks_like_uri(uri)) return Error::bad_param("contact", "not a sip:, sips: or tel: URI");
  auto q = q_param(a.str("q"));
  if (!q) return Error::failure(400, "Bad parameter value", "q must be between 0 and 1");
  std::int64_t t = now();
  std::int64_t expires = a.integer("expires");
  std::vector<Contact> list;
  if (auto cur = ul.find(*key)) list = std::move(*cur);
  auto it = std::find_if(list.begin(), list.end(), [&](const Contact& c) { return c.uri == uri; });
  Contact c = it != list.end() ? *it : Contact{};
  c.uri = uri;
  c.expires = expires == 0 ? 0 : t + expires;
  c.q = *q;
  c.flags = static_cast<std::uint32_t>(a.integer("flags"));
  c.cflags = a.str("cflags");
  c.methods = static_cast<std::uint32_t>(a.integer("methods"));
  if (c.callid.empty()) c.callid = "ul_add@switchboard.mi";  // OpenSIPS sets a fixed Call-ID too
  c.last_modified = t;
  if (it != list.end()) *it = c;
  else list.push_back(c);
  ul.put(*key, std::move(list));
  return mi::ok_value();
}

Result remove_aor(Usrloc& ul, const Args& a) {
  auto key = aor_param(a);
  if (!key) return Error::failure(400, "Domain missing in AOR");
  if (ul.find(*key)) ul.put(*key, {});
  return mi::ok_value();
}

Result remove_contact(Usrloc& ul, const Args& a) {
  auto key = aor_param(a);
  if (!key) return Error::failure(400, "Domain missing in AOR");
  auto cur = ul.find(*key);
  if (!cur) return Error::failure(404, "AOR not found");
  std::vector<Contact> list = std::move(*cur);
  auto it = std::find_if(list.begin(), list.end(), [&](const Contact& c) { return c.uri == a.str("contact"); });
  if (it == list.end()) return Error::failure(404, "Contact not found");
  list.erase(it);
  ul.put(*key, std::move(list));
  return mi::ok_value();
}

/// AORs in each slice of a streamed ul_dump: about a millisecond of the engine's time.
constexpr std::size_t kDumpSlice = 256;

/// ul_dump: the skeleton now; the AORs a slice at a time on the engine thread, after the AOR the
/// previous slice ended with, so the engine keeps answering REGISTERs during a long dump.
Result dump(const SipServices& s, const Args& a) {
  if (a.has("table_name") && a.str("table_name") != kLocationTable) return Error::failure(404, "Table not found");
  if (!s.usrloc || !s.engine) return Error::failure(503, "SIP engine not running");
  const bool brief = a.integer("brief") != 0;
  const std::int64_t t = now();
  Value domain = Value::object();
  domain["name"] = kLocationTable;
  domain["hash_size"] = 1;  // one ordered tree, not a hash table
  domain["AORs"] = Value::array();
  auto slice = [&s, brief, t](std::string& cursor, std::vector<Value>& out) {
    if (!s.usrloc) throw std::runtime_error("the SIP engine stopped during the dump");
    std::size_t n = 0;
    s.usrloc->visit(cursor, !cursor.empty(), [&](std::string_view aor, std::vector<Contact>& contacts) {
      out.push_back(aor_value(aor, contacts, t, brief));
      cursor = aor;
      return ++n < kDumpSlice;
    });
    return n != 0;
  };
  return mi::Streamed{Value{{"Domains", Value::array({std::move(domain)})}}, "/Domains/0/AORs",
                      std::make_shared<EngineSlices>(*s.engine, std::move(slice))};
}

/// One page of AORs (with their contacts) in AOR order, from after the cursor, whose AOR starts
/// with `prefix`: only the page is built, however many AORs there are.
Result list_page(Usrloc& ul, const Args& a) {
  const std::string prefix = a.str("prefix");
  // From whichever is later: the prefix's first AOR, or the first after the cursor.
  std::string from = prefix;
  bool after = false;
  if (a.has("cursor")) {
    auto key = mi::read_cursor(a.str("cursor"), 1);
    if (!key) return Error::bad_param("cursor", "not a cursor this server gave");
    if ((*key)[0] >= prefix) from = (*key)[0], after = true;
  }
  auto limit = static_cast<std::size_t>(a.integer("limit"));
  std::int64_t t = now();
  Value aors = Value::array();
  std::string last;
  bool more = false;  // an AOR with the prefix follows the page
  ul.visit(from, after, [&](std::string_view aor, std::vector<Contact>& contacts) {
    if (!aor.starts_with(prefix)) return false;
    if (aors.size() == limit) return !(more = true);
    aors.push_back(aor_value(aor, contacts, t, false));
    last = aor;
    return true;
  });
  Value next = nullptr;
  if (more) next = mi::make_cursor({last});
  return Value{{"AORs", std::move(aors)}, {"next_cursor", std::move(next)}};
}

Result sync(Usrloc& ul, const Args& a) {
  std::string key;
  if (a.has("aor")) {
    auto k = aor_param(a);
    if (!k) return Error::failure(400, "Domain missing in AOR");
    key = *k;
  }
  if (!ul.sync(key)) return Error::failure(404, "AOR not found");
  return mi::ok_value();
}

// ---- reply schemas (OpenSIPS 3 usrloc shapes) ---------------------------------------------------

Value contact_reply() {
  using namespace mi::schema;
  return object({{"Contact", str("the contact URI")},
                 {"ContactID", str()},
                 {"Expires", any_of({uint("seconds left"), enum_of({"permanent", "expired"})})},
                 {"Q", str("q-value as text, empty when none")},
                 {"Callid", str()},
                 {"Cseq", uint()},
                 {"User-agent", opt(str())},
                 {"Received", opt(str("source address of the REGISTER, when NAT differs"))},
                 {"Path", opt(str())},
                 {"State", str()},
                 {"Flags", uint()},
                 {"Cflags", str()},
                 {"Socket", opt(str())},
                 {"Methods", uint("accepted methods bitmask")},
                 {"SIP_instance", opt(str())}});
}

Value aor_reply(bool contacts_optional) {
  using namespace mi::schema;
  Value contacts = array_of(contact_reply());
  return object({{"AOR", str()}, {"Contacts", contacts_optional ? opt(contacts) : contacts}});
}

}  // namespace

void register_usrloc_commands(mi::Registry& registry, const SipServices& s) {
  using namespace mi::schema;
  namespace rest = mi::rest;
  const std::pair<std::string, Value> location{"table_name", kLocationTable};
  const std::string m = "usrloc";
  auto table = mi::param("table_name", ParamType::string_, "usrloc table: `location`");
  auto aor = mi::param("aor", ParamType::string_, "address of record, user@domain");
  // Runs `fn(usrloc, args)` once the table name (when given) is `location`.
  auto on_table = [&s](Result (*fn)(Usrloc&, const Args&)) {
    return [&s, fn](const Args& a) { return with_table(s, a, [&](Usrloc& ul) { return fn(ul, a); }); };
  };

  registry.add({.name = "ul_show_contact", .module = m,
                .summary = "Show the contacts registered for an AOR",
                .params = {table, aor},
                .flags = mi::kEngine | mi::kReadOnly,
                .reply = aor_reply(false),
                .rest = {rest::get("/registrations/{aor}").with(location.first, location.second)},
                .handler = on_table(show_contact)});

  registry.add({.name = "ul_list", .module = m,
                .summary = "List AORs with their contacts, a page at a time, optionally those starting with a prefix",
                .description = "Pages in AOR order; give `next_cursor` back as `cursor` for the next page (null: "
                               "the last one). Stable while contacts register: an AOR added behind the cursor "
                               "shows up on a later page, none is shown twice.",
                .params = {mi::optional_param("prefix", ParamType::string_, "only AORs starting with this, e.g. alice@", ""),
                           mi::optional_param("limit", ParamType::uint_, "page size, 1..1000", 100).range(1, 1000),
                           mi::optional_param("cursor", ParamType::string_, "next_cursor of the previous page")},
                .flags = mi::kEngine | mi::kReadOnly,
                .reply = object({{"AORs", array_of(aor_reply(false))},
                                 {"next_cursor", nullable(str("give it as `cursor` for the next page"))}}),
                .rest = {rest::get("/registrations").paged("next_cursor")},
                .handler = [&s](const Args& a) { return with_table(s, a, [&](Usrloc& ul) { return list_page(ul, a); }); }});

  registry.add({.name = "ul_add", .module = m,
                .summary = "Add (or update) a contact binding for an AOR",
                .params = {table, aor,
                           mi::param("contact", ParamType::string_, "contact URI, e.g. sip:alice@192.0.2.1:5060"),
                           mi::param("expires", ParamType::uint_, "lifetime in seconds; 0 = permanent").range(0, 0xFFFFFFFFll),
                           mi::optional_param("q", ParamType::string_, "q-value 0..1 as text, e.g. \"0.5\"; empty = none", ""),
                           mi::optional_param("flags", ParamType::int_, "binding flags (integer)", 0),
                           mi::optional_param("cflags", ParamType::string_, "branch flag names", ""),
                           mi::optional_param("methods", ParamType::int_, "accepted methods bitmask",
                                              static_cast<std::int64_t>(0xFFFFFFFFu))},
                .flags = mi::kEngine,
                .reply = ok(),
                .rest = {rest::post("/registrations/{aor}/contacts").with(location.first, location.second)
                             .created("/registrations/{aor}")},
                .handler = on_table(add_contact)});

  registry.add({.name = "ul_rm", .module = m,
                .summary = "Remove an AOR and all its contacts",
                .params = {table, aor},
                .flags = mi::kEngine,
                .reply = ok(),
                .rest = {rest::del("/registrations/{aor}").with(location.first, location.second).no_content()},
                .handler = on_table(remove_aor)});

  registry.add({.name = "ul_rm_contact", .module = m,
                .summary = "Remove one contact of an AOR",
                .params = {table, aor, mi::param("contact", ParamType::string_, "the contact URI to remove")},
                .flags = mi::kEngine,
                .reply = ok(),
                .rest = {rest::del("/registrations/{aor}/contacts/{contact}").with(location.first, location.second)
                             .no_content()},
                .handler = on_table(remove_contact)});

  registry.add({.name = "ul_dump", .module = m,
                .summary = "Dump every AOR and its contacts (brief: AORs only)",
                .params = {mi::optional_param("brief", ParamType::int_, "non-zero: leave out the contacts", 0)},
                .flags = mi::kEngine | mi::kReadOnly,
                .reply = object({{"Domains", array_of(object({{"name", str("`location`")},
                                                               {"hash_size", uint()},
                                                               {"AORs", array_of(aor_reply(true))}}))}}),
                .handler = [&s](const Args& a) { return dump(s, a); }});

  registry.add({.name = "ul_flush", .module = m,
                .summary = "Remove expired contacts now (from memory and from the database)",
                .flags = mi::kEngine | mi::kAdmin,  // a flush (command.h: kAdmin)
                .reply = ok(),
                .handler = on_table([](Usrloc& ul, const Args&) -> Result {
                  ul.expire(now());
                  ul.flush_writes();  // "OK" means the expired rows are gone from the disk too
                  return mi::ok_value();
                })});

  registry.add({.name = "ul_sync", .module = m,
                .summary = "Rewrite the database rows of a table (or one AOR) from memory",
                .params = {mi::optional_param("table_name", ParamType::string_, "usrloc table: `location`"),
                           mi::optional_param("aor", ParamType::string_, "only this AOR")},
                .flags = mi::kEngine,
                .reply = ok(),
                .handler = on_table(sync)});
}

}  // namespace sb::gateway
