// accounts_commands.cpp: the `accounts` module's commands.
#include "gateway/accounts/accounts_commands.h"

#include <ctime>

#include <fmt/format.h>

#include "gateway/accounts/accounts.h"
#include "gateway/engine/command_helpers.h"
#include "mi/reply_schema.h"

namespace sb::gateway {


namespace {

std::int64_t now() { return static_cast<std::int64_t>(std::time(nullptr)); }

/// Copies every given field of `a` into `acc` (all of them for account_add, whose optional
/// params have defaults). Types and ranges were checked by the binding (the declared params);
/// the rest is validate_account()'s job.
void read_fields(const Args& a, Account& acc) {
  auto text = [&](const char* name, std::string& field) {
    if (a.has(name)) field = a.str(name);
  };
  text("address", acc.address);
  text("username", acc.username);
  text("secret", acc.secret);
  text("transport", acc.transport);
  text("auth_user", acc.auth_user);
  text("displayname", acc.displayname);
  text("domain", acc.domain);
  text("matchtype", acc.matchtype);
  if (a.has("register")) acc.do_register = a.boolean("register");
  if (a.has("expires")) acc.expires = static_cast<int>(a.integer("expires"));
  if (a.has("options")) acc.options = a.get("options");
}

/// validate_account() and the transport check, as the 400 the caller gets.
std::optional<Error> check(const Accounts& accounts, const Account& acc) {
  if (auto bad = validate_account(acc)) return Error::bad_param(bad->param, bad->why);
  if (auto why = accounts.transport_problem(acc.transport); !why.empty()) return Error::bad_param("transport", why);
  return std::nullopt;
}

Value shown(const Accounts& accounts, const Account& acc) {
  Value v = account_value(acc);
  v["state"] = accounts.registration_state(acc.name);
  return v;
}

// ---- handlers ---------------------------------------------------------------------------------

Result add_account(Accounts& accounts, const Args& a) {
  Account acc;
  acc.name = a.str("name");
  read_fields(a, acc);
  if (auto e = check(accounts, acc)) return *e;
  if (!accounts.add(acc, now())) return Error::failure(409, "Account already exists");
  return shown(accounts, acc);
}

Result update_account(Accounts& accounts, const Args& a) {
  auto current = accounts.find(a.str("name"));
  if (!current) return Error::failure(404, "Account not found");
  Account acc = *current;
  read_fields(a, acc);
  if (auto e = check(accounts, acc)) return *e;
  if (!accounts.update(acc, now())) return Error::failure(404, "Account not found");
  return shown(accounts, *accounts.find(acc.name));
}

Result remove_account(Accounts& accounts, const Args& a) {
  if (!accounts.remove(a.str("name"))) return Error::failure(404, "Account not found");
  return mi::ok_value();
}

Result show_account(Accounts& accounts, const Args& a) {
  auto acc = accounts.find(a.str("name"));
  if (!acc) return Error::failure(404, "Account not found");
  return shown(accounts, *acc);
}

Result show_registration(Accounts& accounts, const Args& a) {
  if (!accounts.find(a.str("name"))) return Error::failure(404, "Account not found");
  for (const Value& r : accounts.registrations(now()))
    if (r.value("name", "") == a.str("name")) return r;
  return Error::failure(404, "Account not found");
}

Result refresh_registration(Accounts& accounts, const Args& a) {
  if (!accounts.reregister(a.str("name"))) return Error::failure(404, "Account not found");
  return show_registration(accounts, a);
}

Result list_accounts(Accounts& accounts, const Args&) {
  Value list = Value::array();
  for (const auto& acc : accounts.list()) list.push_back(shown(accounts, *acc));
  return Value{{"Accounts", std::move(list)}};
}

// ---- reply schemas ----------------------------------------------------------------------------

Value registration_state() {
  return mi::schema::enum_of({"disabled", "registering", "registered", "failed", "unregistering", ""},
                             "\"\" while the account is not loaded");
}

Value account_reply() {
  using namespace mi::schema;
  return object({{"name", str()},
                 {"address", str()},
                 {"transport", str()},
                 {"username", str()},
                 {"auth_user", str()},
                 {"has_secret", boolean("the secret itself is never shown")},
                 {"displayname", str()},
                 {"domain", str()},
                 {"register", boolean()},
                 {"expires", uint()},
                 {"matchtype", enum_of({"address", "address_user", "to_user"})},
                 {"options", object({{"failover_causes", opt(array_of(uint()))}, {"channels", opt(uint())}})},
                 {"version", uint("bumped by every change, the secret's included")},
                 {"state", registration_state()}});
}

Value registration_reply() {
  using namespace mi::schema;
  return object({{"name", str()},
                 {"state", registration_state()},
                 {"registrar", str("Request-URI of the REGISTER")},
                 {"next_hop", str()},
                 {"contact", str()},
                 {"expires", uint("granted expiry, 0 when not bound")},
                 {"expires_in", uint()},
                 {"last_error", str()},
                 {"last_change", uint("unix time")},
                 {"failures", uint()},
                 {"next_retry_in", uint()},
                 {"refresh_in", uint()}});
}

}  // namespace

void register_accounts_commands(mi::Registry& registry, const SipServices& s) {
  using namespace mi::schema;
  namespace rest = mi::rest;
  const std::string m = "accounts";
  auto name = mi::param("name", ParamType::string_, "account name: letters, digits, '_', '-', '.' (1..64)");
  // Field params: account_add gives them defaults, account_update none (absent = unchanged).
  auto field = [](const char* n, ParamType t, const char* help, Value def, bool with_default) {
    return with_default ? mi::optional_param(n, t, help, std::move(def)) : mi::optional_param(n, t, help);
  };
  auto fields = [&](bool add) {
    std::vector<mi::ParamSpec> p;
    auto req = [&](const char* n, const char* help) {
      p.push_back(add ? mi::param(n, ParamType::string_, help) : mi::optional_param(n, ParamType::string_, help));
    };
    req("address", "peer host[:port] (next hop and, without `domain`, the registrar domain), e.g. "
                   "sip.example.com or 192.0.2.10:5060 or [2001:db8::1]:5060");
    req("username", "user we present: REGISTER From/To sip:<username>@<domain>, Contact sip:<username>@<our address>");
    req("secret", "digest password (stored to answer challenges; never shown)");
    p.back().sensitive = true;
    p.push_back(field("transport", ParamType::string_, "udp or tcp (a listener of it must exist)", "udp", add)
                    .one_of({"udp", "tcp"}));
    p.push_back(field("auth_user", ParamType::string_, "digest user name; empty = username", "", add));
    p.push_back(field("displayname", ParamType::string_, "display name in From", "", add));
    p.push_back(field("domain", ParamType::string_, "registrar domain (Request-URI, From/To host); empty = host of address",
                      "", add));
    p.push_back(field("register", ParamType::bool_, "register to the peer (on/off)", true, add));
    p.push_back(field("expires", ParamType::int_, "requested registration expiry, 60..86400 s", kDefaultAccountExpires, add)
                    .range(kMinAccountExpires, kMaxAccountExpires));
    p.push_back(field("matchtype", ParamType::string_,
                      "how inbound calls find the account, by the packet's real source: address (source IP; with a "
                      "port, that port over UDP), address_user (IP + From user), to_user (To user = username, "
                      "from any source: trusts the network, logged as a WARN)",
                      "address", add)
                    .one_of({"address", "address_user", "to_user"}));
    p.push_back(field("options", ParamType::object_,
                      "object: {\"failover_causes\": [503, 408], \"channels\": 30} (channels 1..1000; JSON text in "
                      "the text dialects)", Value::object(), add));
    return p;
  };
  std::vector<mi::ParamSpec> add_params{name};
  for (auto& p : fields(true)) add_params.push_back(std::move(p));
  std::vector<mi::ParamSpec> update_params{name};
  for (auto& p : fields(false)) update_params.push_back(std::move(p));
  auto on_accounts = [&s](Result (*fn)(Accounts&, const Args&)) {
    return on_service(s, &SipServices::accounts, "accounts", fn);
  };

  registry.add({.name = "account_add", .module = m,
                .summary = "Add a SIP account (trunk); it registers at once when `register` is on",
                .description = "Returns the account as account_list shows it (has_secret instead of the secret). "
                               "409 when the name exists; 400 naming the param for a bad value.",
                .params = add_params,
                .flags = mi::kEngine | mi::kConfig,
                .reply = account_reply(),
                .rest = {rest::post("/accounts").created("/accounts/{name}")},
                .handler = on_accounts(add_account)});

  registry.add({.name = "account_show", .module = m,
                .summary = "Show one SIP account (never its secret) with its registration state",
                .params = {name},
                .flags = mi::kEngine | mi::kReadOnly,
                .reply = account_reply(),
                .rest = {rest::get("/accounts/{name}").etag_ignoring({"state"})},
                .handler = on_accounts(show_account)});

  registry.add({.name = "account_update", .module = m,
                .summary = "Change fields of a SIP account (only the given ones)",
                .description = "Changing register, address, transport, username, credentials, domain, expires or "
                               "displayname restarts the account's registration (the old binding is removed first "
                               "when the address, transport, username or domain changes).",
                .params = update_params,
                .flags = mi::kEngine | mi::kConfig,
                .reply = account_reply(),
                .rest = {rest::patch("/accounts/{name}").if_match()},
                .handler = on_accounts(update_account)});

  registry.add({.name = "account_rm", .module = m,
                .summary = "Remove a SIP account (its registration is removed with Expires: 0 first)",
                .params = {name},
                .flags = mi::kEngine | mi::kConfig,
                .reply = ok(),
                .rest = {rest::del("/accounts/{name}").if_match().no_content()},
                .handler = on_accounts(remove_account)});

  registry.add({.name = "account_list", .module = m,
                .summary = "List the SIP accounts (never their secrets) with their registration state",
                .flags = mi::kEngine | mi::kReadOnly,
                .reply = object({{"Accounts", array_of(account_reply())}}),
                .rest = {rest::get("/accounts")},
                .handler = on_accounts(list_accounts)});

  registry.add({.name = "reg_list", .module = m,
                .summary = "Show the outbound registration of every SIP account",
                .description = "Per account: name, state, registrar, next_hop, contact, expires, expires_in, "
                               "last_error, last_change, failures, next_retry_in, refresh_in.",
                .flags = mi::kEngine | mi::kReadOnly,
                .reply = object({{"Registrations", array_of(registration_reply())}}),
                .handler = on_accounts([](Accounts& accounts, const Args&) -> Result {
                  return Value{{"Registrations", accounts.registrations(now())}};
                })});

  registry.add({.name = "reg_show", .module = m,
                .summary = "Show the outbound registration of one SIP account",
                .params = {name},
                .flags = mi::kEngine | mi::kReadOnly,
                .reply = registration_reply(),
                .rest = {rest::get("/accounts/{name}/registration")},
                .handler = on_accounts(show_registration)});

  registry.add({.name = "reg_refresh", .module = m,
                .summary = "Restart one SIP account's outbound registration now; returns its state",
                .params = {name},
                .flags = mi::kEngine,
                .reply = registration_reply(),
                .rest = {rest::post("/accounts/{name}/registration").described("Re-register an account now")},
                .handler = on_accounts(refresh_registration)});

  registry.add({.name = "reg_reload", .module = m,
                .summary = "Re-read the SIP accounts from the database and restart every registration",
                .flags = mi::kEngine,
                .reply = object({{"accounts", uint("accounts loaded")}}),
                .handler = on_accounts([](Accounts& accounts, const Args&) -> Result {
                  return Value{{"accounts", accounts.reload()}};
                })});
}

}  // namespace sb::gateway
