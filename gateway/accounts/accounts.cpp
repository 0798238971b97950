// accounts.cpp: account validation, the `sip_account` table, the live set, inbound matching and
// the registrations' life cycle (start, restart on change, unregister on removal).
#include "gateway/sip/sofia.h"  // first: sofia's magic types (registration.h callbacks)

#include "gateway/accounts/accounts.h"
#include "mi/codec/limits.h"

#include <arpa/inet.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "gateway/sip/sip_stack.h"
#include "gateway/store/database.h"

namespace sb::gateway {

using mi::Value;
using json = nlohmann::ordered_json;

namespace {

/// "host[:port]" → host ("[::1]" keeps its brackets) and port text ("" when none).
void split_address(const std::string& address, std::string* host, std::string* port) {
  host->clear();
  port->clear();
  if (!address.empty() && address.front() == '[') {
    auto close = address.find(']');
    if (close == std::string::npos) {
      *host = address;
      return;
    }
    *host = address.substr(0, close + 1);
    if (close + 1 < address.size()) *port = address.substr(close + 1);  // ":5060" or garbage
    if (!port->empty() && port->front() == ':') port->erase(0, 1);
    else if (!port->empty()) *port = "?" + *port;  // not ":port": make it invalid
    return;
  }
  auto colon = address.find(':');
  if (colon == std::string::npos || address.find(':', colon + 1) != std::string::npos) {
    *host = address;
    return;
  }
  *host = address.substr(0, colon);
  *port = address.substr(colon + 1);
  if (port->empty()) *port = "?";
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// Empty when `host` is an IPv4 address, a [IPv6] address or a DNS name; else why not.
std::string check_host(const std::string& host) {
  if (host.empty()) return "the host is missing";
  if (host.front() == '[') {
    if (host.back() != ']') return "an IPv6 address needs a closing ']'";
    in6_addr a6{};
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &a6) != 1)
      return fmt::format("'{}' is not an IPv6 address", host);
    return {};
  }
  if (host.find(':') != std::string::npos) return "an IPv6 address must be written in brackets, e.g. [2001:db8::1]:5060";
  if (host.size() > 253) return "the host name is longer than 253 characters";
  std::size_t start = 0;
  while (start <= host.size()) {
    auto dot = host.find('.', start);
    std::string label = host.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (label.empty() && dot == std::string::npos && start > 0) break;  // one trailing dot (FQDN)
    if (label.empty() || label.size() > 63) return fmt::format("'{}' is not a host name or IPv4 address", host);
    if (label.front() == '-' || label.back() == '-') return fmt::format("'{}' is not a host name or IPv4 address", host);
    for (char c : label)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-')
        return fmt::format("'{}' is not a host name or IPv4 address", host);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return {};
}

/// A user part (username, auth_user): 1..128 characters, no blank, control character or
/// one of : ; < > " \ (and no @ unless `allow_at`, for auth users like user@domain).
std::string check_user(const std::string& s, bool allow_at) {
  if (s.empty()) return "must not be empty";
  if (s.size() > kMaxAccountFieldLength) return fmt::format("longer than {} characters", kMaxAccountFieldLength);
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || std::strchr(":;<>\"\\", c) || (c == '@' && !allow_at))
      return allow_at ? "contains a blank, a control character or one of : ; < > \" \\"
                      : "contains a blank, a control character or one of @ : ; < > \" \\";
  }
  return {};
}

std::string check_name(const std::string& s) {
  if (s.empty()) return "must not be empty";
  if (s.size() > kMaxAccountNameLength) return fmt::format("longer than {} characters", kMaxAccountNameLength);
  if (!std::isalnum(static_cast<unsigned char>(s.front()))) return "must start with a letter or a digit";
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.')
      return "may only contain letters, digits, '_', '-' and '.'";
  return {};
}

std::string check_options(const json& o) {
  if (!o.is_object()) return "must be a JSON object";
  for (const auto& [key, value] : o.items()) {
    if (key == "failover_causes") {
      if (!value.is_array()) return "failover_causes must be an array of SIP status codes";
      for (const auto& code : value)
        if (!code.is_number_integer() || code.get<std::int64_t>() < 300 || code.get<std::int64_t>() > 699)
          return "failover_causes must hold SIP status codes 300..699";
    } else if (key == "channels") {
      if (!value.is_number_integer() || value.get<std::int64_t>() < 1 || value.get<std::int64_t>() > kMaxAccountChannels)
        return fmt::format("channels must be an integer 1..{}", kMaxAccountChannels);
    } else {
      return fmt::format("unknown key '{}' (known: failover_causes, channels)", key);
    }
  }
  return {};
}

/// Both hosts name the same address: IP literals compare as addresses, names case-insensitively.
bool same_host(std::string a, std::string b) {
  auto strip = [](std::string& h) {
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  };
  strip(a);
  strip(b);
  unsigned char x[sizeof(in6_addr)] = {}, y[sizeof(in6_addr)] = {};
  if (inet_pton(AF_INET, a.c_str(), x) == 1 && inet_pton(AF_INET, b.c_str(), y) == 1)
    return std::memcmp(x, y, sizeof(in_addr)) == 0;
  if (inet_pton(AF_INET6, a.c_str(), x) == 1 && inet_pton(AF_INET6, b.c_str(), y) == 1)
    return std::memcmp(x, y, sizeof(in6_addr)) == 0;
  return strcasecmp(a.c_str(), b.c_str()) == 0;
}

}  // namespace

std::string Account::host() const {
  std::string h, p;
  split_address(address, &h, &p);
  return h;
}

unsigned Account::port() const {
  std::string h, p;
  split_address(address, &h, &p);
  return all_digits(p) && p.size() <= 5 ? static_cast<unsigned>(std::stoul(p)) : 0u;
}

std::string Account::effective_domain() const { return domain.empty() ? host() : domain; }

std::optional<InvalidField> validate_account(const Account& a) {
  if (auto why = check_name(a.name); !why.empty()) return InvalidField{"name", why};
  std::string host, port;
  split_address(a.address, &host, &port);
  if (auto why = check_host(host); !why.empty()) return InvalidField{"address", why + " (expected host[:port])"};
  if (!port.empty()) {
    bool digits = port.size() <= 5 && all_digits(port);
    unsigned long n = digits ? std::stoul(port) : 0;
    if (!digits || n < 1 || n > 65535) return InvalidField{"address", "the port must be 1..65535 (expected host[:port])"};
  }
  if (a.transport != "udp" && a.transport != "tcp") return InvalidField{"transport", "must be udp or tcp"};
  if (auto why = check_user(a.username, false); !why.empty()) return InvalidField{"username", why};
  if (!a.auth_user.empty())
    if (auto why = check_user(a.auth_user, true); !why.empty()) return InvalidField{"auth_user", why};
  if (a.secret.size() > kMaxAccountSecretLength)
    return InvalidField{"secret", fmt::format("longer than {} characters", kMaxAccountSecretLength)};
  for (char c : a.secret)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return InvalidField{"secret", "contains a control character"};
  if (a.displayname.size() > kMaxAccountFieldLength)
    return InvalidField{"displayname", fmt::format("longer than {} characters", kMaxAccountFieldLength)};
  for (char c : a.displayname)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '"' || c == '\\')
      return InvalidField{"displayname", "contains a control character, '\"' or '\\'"};
  if (!a.domain.empty())
    if (auto why = check_host(a.domain); !why.empty()) return InvalidField{"domain", why + " (expected a host, no port)"};
  if (a.expires < kMinAccountExpires || a.expires > kMaxAccountExpires)
    return InvalidField{"expires", fmt::format("must be {}..{} seconds", kMinAccountExpires, kMaxAccountExpires)};
  if (a.matchtype != "address" && a.matchtype != "address_user" && a.matchtype != "to_user")
    return InvalidField{"matchtype", "must be address, address_user or to_user"};
  if (auto why = check_options(a.options); !why.empty()) return InvalidField{"options", why};
  return std::nullopt;
}

std::optional<json> parse_account_options(const std::string& text, std::string* why) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
  if (const std::size_t max = mi::decode_limits().max_nesting; mi::json_nesting(text, max + 1) > max) {
    if (why) *why = fmt::format("is nested deeper than {} levels (core.max_nesting)", max);
    return std::nullopt;
  }
  json o = json::parse(text, nullptr, false);
  if (o.is_discarded()) {
    if (why) *why = "is not valid JSON";
    return std::nullopt;
  }
  if (auto reason = check_options(o); !reason.empty()) {
    if (why) *why = reason;
    return std::nullopt;
  }
  return o;
}

Value account_value(const Account& a) {
  Value v = Value::object();
  v["name"] = a.name;
  v["address"] = a.address;
  v["transport"] = a.transport;
  v["username"] = a.username;
  v["auth_user"] = a.auth_user;
  v["has_secret"] = !a.secret.empty();  // the secret itself never leaves this module
  v["displayname"] = a.displayname;
  v["domain"] = a.domain;
  v["register"] = a.do_register;
  v["expires"] = a.expires;
  v["matchtype"] = a.matchtype;
  v["options"] = a.options;
  v["version"] = a.version;
  return v;
}

// ---------------------------------------------------------------------------------------------

Accounts::Accounts(Database& db, SipStack& sip, Engine& engine, su_root_t* root, AccountsConfig config,
                   mi::Statistics& stats)
    : db_(db),
      ctx_{sip, engine, root, config.retry_min_s, std::max(config.retry_max_s, config.retry_min_s),
           stats.counter("accounts", "reg_sent"), stats.counter("accounts", "reg_failures"),
           stats.counter("accounts", "reg_state_changes"), stats.counter("accounts", "auth_challenges"),
           [this] {
             update_gauges();
             for (const auto& fn : state_listeners_) fn();
           }},
      accounts_(stats.gauge("accounts", "accounts")),
      registered_(stats.gauge("accounts", "registered")) {}

Accounts::~Accounts() {
  ctx_.on_state_change = nullptr;
  leaving_.clear();
  live_.clear();
  accounts_.set(0);
  registered_.set(0);
}

std::vector<Account> Accounts::read_all() {
  std::vector<Account> out;
  auto st = db_.prepare(
      "SELECT name, address, transport, username, auth_user, secret, displayname, domain, register, expires, "
      "matchtype, options, version FROM sip_account ORDER BY name");
  while (st.step()) {
    Account a;
    a.name = st.text(0);
    a.address = st.text(1);
    a.transport = st.text(2);
    a.username = st.text(3);
    a.auth_user = st.text(4);
    a.secret = st.text(5);
    a.displayname = st.text(6);
    a.domain = st.text(7);
    a.do_register = st.integer(8) != 0;
    a.expires = static_cast<int>(std::clamp<std::int64_t>(st.integer(9), -1, kMaxAccountExpires + 1));
    a.matchtype = st.text(10);
    a.version = st.integer(12);
    std::string why;
    auto options = parse_account_options(st.text(11), &why);
    if (!options) {
      spdlog::error("accounts: account '{}' in the database is skipped: options {}", a.name, why);
      continue;
    }
    a.options = *options;
    if (auto bad = validate_account(a)) {
      spdlog::error("accounts: account '{}' in the database is skipped: {}: {}", a.name, bad->param, bad->why);
      continue;
    }
    out.push_back(std::move(a));
  }
  return out;
}

bool Accounts::write(const Account& a, std::int64_t now, bool insert) {
  Transaction tx(db_);
  auto st = db_.prepare(
      insert ? "INSERT INTO sip_account (address, transport, username, auth_user, secret, displayname, domain, "
               "register, expires, matchtype, options, name, created, modified) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
               "ON CONFLICT (name) DO NOTHING"
             : "UPDATE sip_account SET address = ?, transport = ?, username = ?, auth_user = ?, secret = ?, "
               "displayname = ?, domain = ?, register = ?, expires = ?, matchtype = ?, options = ?, modified = ?, "
               "version = ? WHERE name = ?");
  st.bind(1, a.address).bind(2, a.transport).bind(3, a.username).bind(4, a.auth_user).bind(5, a.secret);
  st.bind(6, a.displayname).bind(7, a.domain).bind(8, std::int64_t{a.do_register ? 1 : 0});
  st.bind(9, std::int64_t{a.expires}).bind(10, a.matchtype).bind(11, a.options.dump());
  if (insert) st.bind(12, a.name).bind(13, now).bind(14, now);
  else st.bind(12, now).bind(13, a.version).bind(14, a.name);
  st.run();
  bool changed = db_.changes() > 0;
  tx.commit();
  return changed;
}

std::unique_ptr<Registration> Accounts::make_registration(std::shared_ptr<const Account> account) {
  return std::make_unique<Registration>(ctx_, std::move(account));
}

void Accounts::retire(std::unique_ptr<Registration> registration, std::function<void()> then) {
  Registration* r = registration.get();
  leaving_.push_back(std::move(registration));
  std::weak_ptr<int> alive = alive_;
  r->unregister([this, alive, r, then = std::move(then)] {
    if (!alive.lock()) return;
    leaving_.remove_if([r](const std::unique_ptr<Registration>& p) { return p.get() == r; });
    if (then) then();
  });
}

void Accounts::start_after(std::unique_ptr<Registration> old, const std::string& name) {
  // The new binding may be the same Contact at the same registrar: it is registered only once
  // the old one is gone, so a late Expires: 0 cannot remove it.
  Registration* fresh = live_.at(name).registration.get();
  retire(std::move(old), [this, name, fresh] {
    auto it = live_.find(name);
    if (!stopping_ && it != live_.end() && it->second.registration.get() == fresh) fresh->start();
  });
}

std::size_t Accounts::load() {
  for (Account& a : read_all()) {
    auto snapshot = std::make_shared<const Account>(std::move(a));
    Entry& e = live_[snapshot->name];
    e.account = snapshot;
    e.registration = make_registration(snapshot);
    e.registration->start();
  }
  update_gauges();
  return live_.size();
}

std::size_t Accounts::reload(bool force) {
  std::vector<Account> rows = read_all();
  std::map<std::string, std::shared_ptr<const Account>> fresh;
  for (Account& a : rows) {
    std::string name = a.name;
    fresh.emplace(name, std::make_shared<const Account>(std::move(a)));
  }
  for (auto it = live_.begin(); it != live_.end();) {
    if (fresh.count(it->first)) {
      ++it;
      continue;
    }
    retire(std::move(it->second.registration));
    it = live_.erase(it);
  }
  for (auto& [name, snapshot] : fresh) {
    auto it = live_.find(name);
    if (it != live_.end()) {
      apply(it->second, snapshot, force);
    } else {
      Entry& e = live_[name];
      e.account = snapshot;
      e.registration = make_registration(snapshot);
      e.registration->start();
    }
  }
  update_gauges();
  spdlog::info("accounts: reloaded {} accounts from the database", live_.size());
  for (const auto& [name, e] : live_) warn_if_trusting(*e.account);
  return live_.size();
}

bool Accounts::add(const Account& a, std::int64_t now) {
  if (live_.count(a.name)) return false;
  if (!write(a, now, true)) return false;
  auto snapshot = std::make_shared<const Account>(a);
  Entry& e = live_[a.name];
  e.account = snapshot;
  e.registration = make_registration(snapshot);
  update_gauges();
  spdlog::info("accounts: account {} added ({} via {}, register {})", a.name, a.username, a.address,
               a.do_register ? "on" : "off");
  warn_if_trusting(a);
  e.registration->start();
  return true;
}

bool Accounts::update(const Account& given, std::int64_t now) {
  auto it = live_.find(given.name);
  if (it == live_.end()) return false;
  Account a = given;
  a.version = it->second.account->version + 1;
  if (!write(a, now, false)) return false;
  apply(it->second, std::make_shared<const Account>(a), false);
  update_gauges();
  spdlog::info("accounts: account {} updated", a.name);
  warn_if_trusting(a);
  return true;
}

void Accounts::apply(Entry& entry, std::shared_ptr<const Account> account, bool force) {
  const Account& o = *entry.account;
  const Account& n = *account;
  bool same_binding = o.address == n.address && o.transport == n.transport && o.username == n.username &&
                      o.effective_domain() == n.effective_domain();
  bool register_changed = o.do_register != n.do_register || o.auth_user != n.auth_user || o.secret != n.secret ||
                          o.expires != n.expires || o.displayname != n.displayname;
  entry.account = account;
  if (!same_binding || (o.do_register && !n.do_register)) {
    std::unique_ptr<Registration> old = std::move(entry.registration);
    entry.registration = make_registration(account);
    if (n.do_register) return start_after(std::move(old), n.name);
    retire(std::move(old));
    entry.registration->start();  // disabled
  } else if (force || register_changed) {
    entry.registration->replace(account);
  } else {
    entry.registration->update_account(account);
  }
}

bool Accounts::remove(const std::string& name) {
  auto it = live_.find(name);
  if (it == live_.end()) return false;
  {
    Transaction tx(db_);
    db_.prepare("DELETE FROM sip_account WHERE name = ?").bind(1, name).run();
    tx.commit();
  }
  retire(std::move(it->second.registration));
  live_.erase(it);
  update_gauges();
  spdlog::info("accounts: account {} removed", name);
  return true;
}

bool Accounts::reregister(const std::string& name) {
  auto it = live_.find(name);
  if (it == live_.end()) return false;
  apply(it->second, it->second.account, true);
  spdlog::info("accounts: account {}: registration restarted on request", name);
  return true;
}

std::shared_ptr<const Account> Accounts::find(const std::string& name) const {
  auto it = live_.find(name);
  return it == live_.end() ? nullptr : it->second.account;
}

std::vector<std::shared_ptr<const Account>> Accounts::list() const {
  std::vector<std::shared_ptr<const Account>> out;
  out.reserve(live_.size());
  for (const auto& [name, e] : live_) out.push_back(e.account);
  return out;
}

void Accounts::warn_if_trusting(const Account& a) {
  if (a.matchtype != "to_user") return;
  spdlog::warn("accounts: account {} has matchtype to_user: any host that can reach our SIP port and sends "
               "To user '{}' is taken for this trunk (it trusts the network; prefer address or address_user)",
               a.name, a.username);
}

std::shared_ptr<const Account> Accounts::match_inbound(const std::string& source_host, unsigned source_port,
                                                       bool source_tcp, const std::string& from_user,
                                                       const std::string& to_user) const {
  for (const auto& [name, e] : live_) {
    const Account& a = *e.account;
    if (a.matchtype == "address_user" && a.username == from_user && same_host(a.host(), source_host))
      return e.account;
  }
  std::shared_ptr<const Account> portless, other_port;
  for (const auto& [name, e] : live_) {
    const Account& a = *e.account;
    if (a.matchtype != "address" || !same_host(a.host(), source_host)) continue;
    if (a.port() != 0 && a.port() == source_port) return e.account;  // host and port: the best match
    if (a.port() == 0 && !portless) portless = e.account;
    if (a.port() != 0 && !other_port) other_port = e.account;
  }
  if (portless) return portless;
  if (other_port && source_tcp) return other_port;  // TCP connections come from ephemeral ports
  for (const auto& [name, e] : live_) {
    const Account& a = *e.account;
    if (a.matchtype == "to_user" && !to_user.empty() && a.username == to_user) return e.account;
  }
  return nullptr;
}

std::string Accounts::registration_state(const std::string& name) const {
  auto it = live_.find(name);
  return it == live_.end() ? std::string() : to_string(it->second.registration->state());
}

Value Accounts::registrations(std::int64_t now) const {
  Value list = Value::array();
  for (const auto& [name, e] : live_) list.push_back(e.registration->status(now));
  return list;
}

std::string Accounts::transport_problem(const std::string& transport) const {
  for (const auto& l : ctx_.sip.listening())
    if (l.rfind(transport + ":", 0) == 0) return {};
  return fmt::format("no {} listener in sip.listen, so REGISTERs and calls cannot use it", transport);
}

void Accounts::unregister_all() {
  stopping_ = true;
  for (auto& [name, e] : live_) e.registration->unregister(nullptr);
}

bool Accounts::busy() const {
  for (const auto& [name, e] : live_)
    if (e.registration->busy()) return true;
  for (const auto& r : leaving_)
    if (r->busy()) return true;
  return false;
}

void Accounts::update_gauges() {
  accounts_.set(static_cast<std::int64_t>(live_.size()));
  std::int64_t n = 0;
  for (const auto& [name, e] : live_)
    if (e.registration && e.registration->state() == RegState::registered) ++n;
  registered_.set(n);
}

}  // namespace sb::gateway
