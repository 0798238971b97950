// ports.cpp: ports, port groups, hunting, and their persistence (see ports.h).
#include "gateway/ports/ports.h"
#include "mi/codec/limits.h"

#include <algorithm>
#include <charconv>
#include <ctime>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "gateway/ports/port_driver.h"
#include "gateway/store/database.h"

namespace sb::gateway {

using mi::Error;
using mi::Result;
using mi::Value;

namespace {


std::int64_t now_s() { return static_cast<std::int64_t>(std::time(nullptr)); }


}  // namespace

std::string parse_port_options(const std::string& driver, const std::string& json, Port& out) {
  const PortDriver* d = find_port_driver(driver);
  if (!d) return fmt::format("unknown driver '{}' ({})", driver, port_driver_names());
  Value opts = Value::object();
  if (!json.empty()) {
    // Nesting checked first: options are copied (recursively) into the port.
    const std::size_t max = mi::decode_limits().max_nesting;
    if (mi::json_nesting(json, max + 1) > max)
      return fmt::format("options nested deeper than {} levels (core.max_nesting)", max);
    opts = Value::parse(json, nullptr, false);
    if (opts.is_discarded() || !opts.is_object()) return "options must be a JSON object";
  }
  if (auto why = d->configure(opts, out); !why.empty()) return why;
  out.options = opts;
  return {};
}

std::vector<int> parse_port_list(const std::string& text, std::string* why) {
  std::vector<int> out;
  std::string_view rest = text;
  auto number = [&](std::string_view s, int& n) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    return ec == std::errc() && p == s.data() + s.size() && !s.empty() && n >= 1 && n <= kMaxPort;
  };
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    std::size_t dash = item.find('-');
    int a = 0, b = 0;
    if (dash == std::string_view::npos) {
      if (!number(item, a)) {
        *why = fmt::format("'{}' is not a port number 1..{}", item, kMaxPort);
        return {};
      }
      b = a;
    } else if (!number(item.substr(0, dash), a) || !number(item.substr(dash + 1), b) || b < a) {
      *why = fmt::format("'{}' is not a port range like 1-4", item);
      return {};
    }
    for (int n = a; n <= b; ++n) {
      if (std::find(out.begin(), out.end(), n) != out.end()) {
        *why = fmt::format("port {} is listed twice", n);
        return {};
      }
      out.push_back(n);
    }
  }
  if (out.empty()) *why = "no port given";
  return out;
}

Ports::Ports(Database& db, mi::Statistics& stats)
    : db_(db),
      ports_stat_(stats.gauge("ports", "ports")),
      blocked_stat_(stats.gauge("ports", "blocked_ports")),
      restarts_stat_(stats.counter("ports", "restarts")) {}

void Ports::load() {
  ports_.clear();
  groups_.clear();
  auto st = db_.prepare("SELECT number, driver, channels, blocked, label, options FROM port ORDER BY number");
  while (st.step()) {
    Port p;
    p.number = static_cast<int>(st.integer(0));
    p.driver = st.text(1);
    p.channels = static_cast<int>(st.integer(2));
    p.blocked = st.integer(3) != 0;
    p.label = st.text(4);
    if (auto why = parse_port_options(p.driver, st.text(5), p); !why.empty()) {
      spdlog::error("ports: port {} in the database is not usable ({}); it stays blocked", p.number, why);
      p.blocked = true;
    }
    p.last_change = now_s();
    ports_.emplace(p.number, std::move(p));
  }
  auto gs = db_.prepare("SELECT name, ports, hunt FROM port_group ORDER BY name");
  while (gs.step()) {
    PortGroup g;
    g.name = gs.text(0);
    std::string why;
    g.ports = parse_port_list(gs.text(1), &why);
    g.hunt = gs.text(2);
    if (!why.empty()) spdlog::error("ports: group {} in the database: {}", g.name, why);
    groups_.emplace(g.name, std::move(g));
  }
  update_stats();
}

bool valid_port_group_name(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

void Ports::reload() {
  std::map<int, Port> old_ports = std::move(ports_);
  std::map<std::string, PortGroup> old_groups = std::move(groups_);
  try {
    load();
  } catch (...) {  // the ports in use stay as they were
    ports_ = std::move(old_ports);
    groups_ = std::move(old_groups);
    throw;
  }
  for (auto& [n, p] : ports_)
    if (auto it = old_ports.find(n); it != old_ports.end()) {
      p.in_use = it->second.in_use;
      p.restarts = it->second.restarts;
      p.counters = it->second.counters;
      p.last_change = it->second.last_change;
    }
  for (auto& [name, g] : groups_)
    if (auto it = old_groups.find(name); it != old_groups.end() && !g.ports.empty())
      g.next = it->second.next % g.ports.size();
  update_stats();
}

Port* Ports::find(int number) {
  auto it = ports_.find(number);
  return it == ports_.end() ? nullptr : &it->second;
}

std::vector<std::string> Ports::groups_of(int number) const {
  std::vector<std::string> out;
  for (const auto& [name, g] : groups_)
    if (std::find(g.ports.begin(), g.ports.end(), number) != g.ports.end()) out.push_back(name);
  return out;
}

std::string Ports::state(const Port& p, std::string* why) const {
  if (p.blocked) return "blocked";
  const PortDriver* d = find_port_driver(p.driver);
  if (!d) {
    if (why) *why = fmt::format("unknown driver '{}'", p.driver);
    return "down";
  }
  return d->state(p, account_state_, why);
}

Port* Ports::hunt(const std::string& group, std::string* why) {
  auto it = groups_.find(group);
  if (it == groups_.end()) {
    *why = fmt::format("no port group '{}'", group);
    return nullptr;
  }
  PortGroup& g = it->second;
  const std::size_t n = g.ports.size();
  std::size_t start = g.hunt == "roundrobin" ? g.next % std::max<std::size_t>(n, 1) : 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t k = (start + i) % n;
    Port* p = find(g.ports[k]);
    if (p && usable(*p)) {
      g.next = k + 1;
      return p;
    }
  }
  *why = fmt::format("no free channel in port group '{}'", group);
  return nullptr;
}

Result Ports::add(int number, const std::string& driver, int channels, const std::string& options_json,
                  const std::string& label) {
  if (number < 1 || number > kMaxPort) return Error::bad_param("port", fmt::format("must be 1..{}", kMaxPort));
  if (channels < 1 || channels > kMaxChannels)
    return Error::bad_param("channels", fmt::format("must be 1..{}", kMaxChannels));
  if (label.size() > 128) return Error::bad_param("label", "longer than 128 bytes");
  if (ports_.count(number)) return Error::failure(409, fmt::format("Port {} already exists", number));
  Port p;
  p.number = number;
  p.driver = driver;
  p.channels = channels;
  p.label = label;
  if (auto why = parse_port_options(driver, options_json, p); !why.empty())
    return Error::bad_param(find_port_driver(driver) ? "options" : "driver", why);
  Transaction tx(db_);
  db_.cached("INSERT INTO port (number, driver, channels, blocked, label, options) VALUES (?, ?, ?, 0, ?, ?)")
      .bind(1, static_cast<std::int64_t>(number)).bind(2, driver).bind(3, static_cast<std::int64_t>(channels))
      .bind(4, label).bind(5, p.options.dump()).run();
  tx.commit();
  p.last_change = now_s();
  auto [it, _] = ports_.emplace(number, std::move(p));
  update_stats();
  spdlog::info("ports: port {} added ({}, {} channels)", number, driver, channels);
  return port_value(it->second);
}

Result Ports::remove(int number) {
  Port* p = find(number);
  if (!p) return Error::failure(404, fmt::format("Port {} not found", number));
  if (p->in_use > 0)
    return Error::failure(409, fmt::format("Port {} has {} call(s) up", number, p->in_use),
                          "block it (port_block) and wait, or end the calls (port_restart)");
  Transaction tx(db_);
  db_.cached("DELETE FROM port WHERE number = ?").bind(1, static_cast<std::int64_t>(number)).run();
  std::vector<std::pair<std::string, std::string>> changed;
  for (auto& [name, g] : groups_) {
    auto pos = std::find(g.ports.begin(), g.ports.end(), number);
    if (pos == g.ports.end()) continue;
    std::vector<int> left = g.ports;
    left.erase(left.begin() + (pos - g.ports.begin()));
    std::string list;
    for (int n : left) list += (list.empty() ? "" : ",") + std::to_string(n);
    db_.cached("UPDATE port_group SET ports = ? WHERE name = ?").bind(1, list).bind(2, name).run();
    changed.emplace_back(name, list);
  }
  tx.commit();
  for (auto& [name, list] : changed) {
    auto& ports = groups_[name].ports;
    ports.erase(std::remove(ports.begin(), ports.end(), number), ports.end());
  }
  ports_.erase(number);
  update_stats();
  spdlog::info("ports: port {} removed", number);
  return Value{{"port", number}, {"removed", true}};
}

Result Ports::set_blocked(int number, std::optional<bool> blocked) {
  Port* p = find(number);
  if (!p) return Error::failure(404, fmt::format("Port {} not found", number));
  bool next = blocked.value_or(!p->blocked);
  if (next != p->blocked) {
    Transaction tx(db_);
    db_.cached("UPDATE port SET blocked = ? WHERE number = ?")
        .bind(1, static_cast<std::int64_t>(next ? 1 : 0)).bind(2, static_cast<std::int64_t>(number)).run();
    tx.commit();
    p->blocked = next;
    p->last_change = now_s();
    spdlog::info("ports: port {} {}", number, next ? "blocked" : "unblocked");
  }
  update_stats();
  return Value{{"port", number}, {"blocked", p->blocked}, {"state", state(*p)}, {"in_use", p->in_use}};
}

Result Ports::restart(int number) {
  Port* p = find(number);
  if (!p) return Error::failure(404, fmt::format("Port {} not found", number));
  std::size_t dropped = drop_calls_ ? drop_calls_(number) : 0;
  ++p->restarts;
  restarts_stat_.inc();
  p->last_change = now_s();
  spdlog::info("ports: port {} restarted ({} call(s) ended)", number, dropped);
  states_changed();
  return Value{{"port", number}, {"calls_ended", dropped}, {"restarts", p->restarts}, {"state", state(*p)}};
}

Result Ports::group_add(const std::string& name, const std::string& ports, const std::string& hunt) {
  if (!valid_port_group_name(name))
    return Error::bad_param("name", "1..64 letters, digits, '_', '-' or '.'");
  if (hunt != "linear" && hunt != "roundrobin") return Error::bad_param("hunt", "linear or roundrobin");
  std::string why;
  std::vector<int> list = parse_port_list(ports, &why);
  if (list.empty()) return Error::bad_param("ports", why);
  for (int n : list)
    if (!ports_.count(n)) return Error::bad_param("ports", fmt::format("port {} does not exist (port_list)", n));
  if (groups_.count(name)) return Error::failure(409, fmt::format("Port group '{}' already exists", name));
  std::string text;
  for (int n : list) text += (text.empty() ? "" : ",") + std::to_string(n);
  Transaction tx(db_);
  db_.cached("INSERT INTO port_group (name, ports, hunt) VALUES (?, ?, ?)").bind(1, name).bind(2, text).bind(3, hunt).run();
  tx.commit();
  PortGroup g{name, list, hunt, 0};
  auto [it, _] = groups_.emplace(name, std::move(g));
  spdlog::info("ports: group {} added (ports {}, {})", name, text, hunt);
  return group_value(it->second);
}

Result Ports::group_rm(const std::string& name) {
  if (!groups_.count(name)) return Error::failure(404, fmt::format("Port group '{}' not found", name));
  Transaction tx(db_);
  db_.cached("DELETE FROM port_group WHERE name = ?").bind(1, name).run();
  tx.commit();
  groups_.erase(name);
  spdlog::info("ports: group {} removed", name);
  return Value{{"name", name}, {"removed", true}};
}

Value Ports::port_value(const Port& p) const {
  std::string why;
  std::string st = state(p, &why);
  Value v = {{"port", p.number}, {"type", p.driver}, {"label", p.label}, {"state", st}};
  if (!why.empty()) v["state_reason"] = why;
  v["blocked"] = p.blocked;
  v["channels"] = p.channels;
  v["in_use"] = p.in_use;
  Value groups = Value::array();
  for (auto& g : groups_of(p.number)) groups.push_back(g);
  v["groups"] = groups;
  v["options"] = p.options;
  v["restarts"] = p.restarts;
  v["calls"] = p.counters.calls;
  v["answered"] = p.counters.answered;
  v["failed"] = p.counters.failed;
  v["last_change"] = p.last_change;
  return v;
}

Value Ports::group_value(const PortGroup& g) const {
  Value ports = Value::array();
  int free = 0;
  for (int n : g.ports) {
    ports.push_back(n);
    auto it = ports_.find(n);
    if (it != ports_.end() && !it->second.blocked && state(it->second) == "up")
      free += std::max(0, it->second.channels - it->second.in_use);
  }
  return Value{{"name", g.name}, {"hunt", g.hunt}, {"ports", ports}, {"free_channels", free}};
}

void Ports::update_stats() {
  ports_stat_.set(static_cast<std::int64_t>(ports_.size()));
  blocked_stat_.set(std::count_if(ports_.begin(), ports_.end(), [](const auto& kv) { return kv.second.blocked; }));
  states_changed();
}

}  // namespace sb::gateway
