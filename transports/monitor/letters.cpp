// letters.cpp: the letter table (spec/isgw-monitor.md) and the line recogniser.
//
// Adding or changing what a letter runs is a change to kLetters below and nothing else. Choices
// made where the spec leaves room:
//  - ld0/ld1/lm0/lm1: debug off = `log_level info`, debug on = `debug`, messages off = `warn`
//    (warnings and errors only), messages on = `info`.
//  - g/gi (gsm status) show `port_list` (every port: our ports are virtual line interfaces).
//  - netlog (n, t, ts, ll, lla, lld), per-module sofia log levels (slYX), the GSM config
//    reload (rgc) and the call progress tables (lcpt, rcpt: tones for lines with media) are not
//    implemented: they say so.
//  - dti/dta/dtg/dts default to the sources group:isdn / group:analog / group:gsm / any; the
//    third prompt lets the user type another one (account:NAME, subscriber:USER, port:N, …).
#include "transports/monitor/letters.h"

#include "mi/strings.h"

#include <fmt/format.h>

#include "mi/reply_schema.h"

#include <algorithm>

namespace sb::transports::monitor {

namespace {

constexpr std::string_view kNoIsdn = "no ISDN hardware";
constexpr std::string_view kNoTdm = "no PCM/TDM hardware";
constexpr std::string_view kNoLine = "no E1/T1 line hardware";
constexpr std::string_view kNoGsm = "no GSM hardware";
constexpr std::string_view kNoNetlog = "netlog is not implemented";
constexpr std::string_view kNoTones = "no call progress tones: these lines carry no media";

using A = Action;
using M = Match;

// clang-format off
const std::vector<Letter> kLetters = {
  {"h",       M::exact,  A::overview,      "h",       "help: this overview"},
  {"i",       M::exact,  A::mi,            "i",       "isdn state: port state", "port_list"},
  {"r",       M::exact,  A::mi,            "r",       "status of registrations (SIP accounts)", "reg_list"},
  {"l",       M::exact,  A::mi,            "l",       "status of operations (calls)", "call_list"},
  {"k",       M::exact,  A::mi,            "k",       "status of operations, compact", "call_list", {"compact"}},
  {"R",       M::exact,  A::registrations, "R",       "status of incoming registrations, numbered [ul_dump]", "ul_dump"},
  {"Rr",      M::number, A::release,       "RrX",     "release incoming registration X of the last R listing [ul_rm_contact]", "ul_rm_contact"},
  {"c",       M::exact,  A::clear,         "c",       "clear screen"},
  {"v",       M::exact,  A::mi,            "v",       "verbosity: debug", "log_level", {"debug"}},
  {"m",       M::exact,  A::mi,            "m",       "verbosity: messages", "log_level", {"info"}},
  {"V",       M::exact,  A::mi,            "V",       "show verbosity", "log_level"},
  {"ld0",     M::exact,  A::mi,            "ld0",     "debug logging off", "log_level", {"info"}},
  {"ld1",     M::exact,  A::mi,            "ld1",     "debug logging on", "log_level", {"debug"}},
  {"lm0",     M::exact,  A::mi,            "lm0",     "message logging off (warnings and errors only)", "log_level", {"warn"}},
  {"lm1",     M::exact,  A::mi,            "lm1",     "message logging on", "log_level", {"info"}},
  {"verbose", M::exact,  A::mi,            "verbose", "verbose dialplan debugging", "log_level", {"debug"}},
  {"dbg",     M::exact,  A::log_toggle,    "dbg",     "toggle debugging (debug <-> info) [log_level]", "log_level"},
  {"pr",      M::number, A::mi,            "prX",     "restart port X", "port_restart"},
  {"x",       M::exact,  A::mi,            "x",       "shutdown (admin only)", "kill"},
  {"n",       M::exact,  A::unsupported,   "n",       "netlog target", {}, {}, kNoNetlog},
  {"t",       M::exact,  A::unsupported,   "t",       "netlog toggle", {}, {}, kNoNetlog},
  {"ts",      M::exact,  A::unsupported,   "ts",      "netlog status", {}, {}, kNoNetlog},
  {"d",       M::exact,  A::mi,            "d",       "list dialplan", "dp_list"},
  {"cc",      M::number, A::mi,            "ccX",     "call configuration of call X", "call_show"},
  {"dc",      M::exact,  A::mi,            "dc",      "default call configuration (dialplan)", "dp_list"},
  {"ndc",     M::exact,  A::mi,            "ndc",     "call configuration with regexp info (dialplan)", "dp_list"},
  {"u",       M::exact,  A::mi,            "u",       "uptime", "uptime"},
  {"bl",      M::number, A::mi,            "blX",     "block/unblock port X (toggles)", "port_block"},
  {"rd",      M::exact,  A::mi,            "rd",      "reload dialplan", "dp_reload"},
  {"rs",      M::exact,  A::mi,            "rs",      "reload sip peers (accounts)", "reg_reload"},
  {"ss",      M::exact,  A::mi,            "ss",      "show call statistics", "call_stats"},
  {"sr",      M::exact,  A::mi,            "sr",      "reset call statistics", "call_stats_reset"},
  {"ssp",     M::exact,  A::mi,            "ssp",     "call statistics per port", "call_stats", {"per_port"}},
  {"ccd",     M::exact,  A::mi,            "ccd",     "connected call duration", "call_durations"},
  {"fc",      M::exact,  A::mi,            "fc",      "flush cdr", "cdr_flush"},
  {"ll",      M::exact,  A::unsupported,   "ll",      "local netlog", {}, {}, kNoNetlog},
  {"lla",     M::exact,  A::unsupported,   "lla",     "local netlog: all", {}, {}, kNoNetlog},
  {"lld",     M::exact,  A::unsupported,   "lld",     "local netlog: disable", {}, {}, kNoNetlog},
  {"lcpt",    M::exact,  A::unsupported,   "lcpt",    "list call progress tables", {}, {}, kNoTones},
  {"rcpt",    M::exact,  A::unsupported,   "rcpt",    "reload call progress tables", {}, {}, kNoTones},
  {"sns",     M::exact,  A::mi,            "sns",     "numplan statistics", "get_statistics", {"dialplan:"}},
  {"rns",     M::exact,  A::mi,            "rns",     "reset numplan statistics", "reset_statistics", {"dialplan:"}},
  {"lih",     M::number, A::mi,            "lihX",    "history of call X", "call_show"},
  {"dti",     M::words,  A::dialplan_test, "dti",     "test dialplan from isdn (asks number, caller, source) [dp_translate]", "dp_translate", {}, "group:isdn"},
  {"dts",     M::words,  A::dialplan_test, "dts",     "test dialplan from sip [dp_translate]", "dp_translate", {}, "any"},
  {"dta",     M::words,  A::dialplan_test, "dta",     "test dialplan from analog [dp_translate]", "dp_translate", {}, "group:analog"},
  {"dtg",     M::words,  A::dialplan_test, "dtg",     "test dialplan from gsm [dp_translate]", "dp_translate", {}, "group:gsm"},
  {"lpg",     M::exact,  A::mi,            "lpg",     "list port groups", "port_group_list"},
  {"g",       M::exact,  A::mi,            "g",       "gsm status (ports)", "port_list"},
  {"gi",      M::exact,  A::mi,            "gi",      "gsm info (ports)", "port_list"},
  {"rgc",     M::exact,  A::unsupported,   "rgc",     "reload gsm config", {}, {}, kNoGsm},
  {"rgp",     M::number, A::mi,            "rgpX",    "restart gsm port X", "port_restart"},
  {"sl",      M::number, A::unsupported,   "slYX",    "sofia log level X for module Y", {}, {},
   "no per-module log levels: use v, m or V"},
  {"fin",     M::number, A::mi,            "finX",    "finish call X", "call_finish"},
  {"finp",    M::number, A::mi,            "finpX",   "finish call with pid X", "call_finish"},
  {"bc",      M::exact,  A::unsupported,   "bc",      "list bchannel objects", {}, {}, kNoIsdn},
  {"itp",     M::number, A::unsupported,   "itpX",    "isdn trace of port X", {}, {}, kNoIsdn},
  {"pcm",     M::exact,  A::unsupported,   "pcm",     "pcm status", {}, {}, kNoTdm},
  {"ltdm",    M::exact,  A::unsupported,   "ltdm",    "list tdm", {}, {}, kNoTdm},
  {"ev_mcid:", M::prefix, A::unsupported,  "ev_mcid:X", "MCID facility for call X", {}, {}, kNoIsdn},
  {"",        M::never,  A::note,          "bert* sbert* lbert* cbert* pbert* tbert*",
   "bit error rate tests (not supported: no E1/T1 line hardware)"},
  {"bert",    M::prefix, A::unsupported,   {},        {}, {}, {}, kNoLine},
  {"sbert",   M::prefix, A::unsupported,   {},        {}, {}, {}, kNoLine},
  {"lbert",   M::prefix, A::unsupported,   {},        {}, {}, {}, kNoLine},
  {"cbert",   M::prefix, A::unsupported,   {},        {}, {}, {}, kNoLine},
  {"pbert",   M::prefix, A::unsupported,   {},        {}, {}, {}, kNoLine},
  {"tbert",   M::prefix, A::unsupported,   {},        {}, {}, {}, kNoLine},
  {"",        M::never,  A::note,          "at* gop_* poogli* torture_gsm*",
   "gsm modem commands and tests (not supported: no GSM hardware)"},
  {"at",      M::prefix, A::unsupported,   {},        {}, {}, {}, kNoGsm},
  {"gop_",    M::prefix, A::unsupported,   {},        {}, {}, {}, kNoGsm},
  {"poogli",  M::prefix, A::unsupported,   {},        {}, {}, {}, kNoGsm},
  {"torture_gsm", M::prefix, A::unsupported, {},      {}, {}, {}, kNoGsm},
  {"login",   M::words,  A::login,         "login <password>", "get the admin role (monitor.password)"},
  {"q",       M::exact,  A::quit,          "q",       "disconnect"},
};
// clang-format on

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

using mi::trim_left;

std::vector<std::string> split_words(std::string_view s) {
  std::vector<std::string> out;
  for (;;) {
    s = trim_left(s);
    if (s.empty()) return out;
    std::size_t end = 0;
    while (end < s.size() && !is_space(s[end])) ++end;
    out.emplace_back(s.substr(0, end));
    s.remove_prefix(end);
  }
}

/// The MI call a row makes, as the overview shows it: `[port_block X]`.
std::string command_text(const Letter& l) {
  std::string out = "[" + std::string(l.command);
  for (auto p : l.params) out += " " + std::string(p);
  if (l.match == Match::number) out += " X";
  return out + "]";
}

const std::vector<FieldRead> kFieldsRead = {
    {"log_level", {"Log level"}, false},  // dbg: an anyOf (show / set): "Log level" is in one
    {"ul_dump", {"Domains", "[]", "AORs", "[]", "AOR"}},
    {"ul_dump", {"Domains", "[]", "AORs", "[]", "Contacts", "[]", "Contact"}, false},
    {"ul_dump", {"Domains", "[]", "AORs", "[]", "Contacts", "[]", "Expires"}, false},
    {"ul_dump", {"Domains", "[]", "AORs", "[]", "Contacts", "[]", "Q"}, false},
    {"ul_dump", {"Domains", "[]", "AORs", "[]", "Contacts", "[]", "User-agent"}, false},
};

std::string path_text(const std::vector<std::string_view>& path) {
  std::string out;
  for (auto step : path) out += step == "[]" ? "[]" : (out.empty() ? "" : ".") + std::string(step);
  return out;
}

/// A row's command exists and takes its fixed params (and the typed number).
std::string row_problem(const mi::Registry& registry, const Letter& l) {
  if (l.command.empty()) return {};
  const mi::CommandSpec* spec = registry.find(l.command);
  if (!spec)
    return fmt::format("letter '{}' runs '{}', which no module registers", l.shown, l.command);
  std::size_t given = l.params.size() + (l.match == Match::number ? 1 : 0);
  if (l.action == Action::mi && given < spec->required_count())
    return fmt::format("letter '{}' gives '{}' {} param(s), it needs {}", l.shown, l.command, given,
                       spec->required_count());
  if (l.action == Action::mi && given > spec->params.size())
    return fmt::format("letter '{}' gives '{}' {} param(s), it takes at most {}", l.shown,
                       l.command, given, spec->params.size());
  return {};
}

}  // namespace

const std::vector<Letter>& letters() { return kLetters; }

const std::vector<FieldRead>& fields_read() { return kFieldsRead; }

std::vector<std::string> check_letters(const mi::Registry& registry) {
  std::vector<std::string> problems;
  for (const Letter& l : kLetters)
    if (auto why = row_problem(registry, l); !why.empty()) problems.push_back(std::move(why));
  for (const FieldRead& f : kFieldsRead) {
    const mi::CommandSpec* spec = registry.find(f.command);
    if (!spec) {
      problems.push_back(fmt::format("the monitor reads '{}' of '{}', which no module registers",
                                     path_text(f.path), f.command));
      continue;
    }
    auto d = mi::schema::declares(spec->reply, f.path);
    if (d == mi::schema::Declared::no || (f.always && d != mi::schema::Declared::always))
      problems.push_back(fmt::format("the monitor reads '{}' of the '{}' reply, which its reply "
                                     "schema does not {}",
                                     path_text(f.path), f.command,
                                     d == mi::schema::Declared::no ? "declare" : "require"));
  }
  return problems;
}

std::optional<Typed> recognise(std::string_view line) {
  if (line.empty()) return std::nullopt;
  for (const Letter& l : kLetters)
    if (l.match == Match::exact && line == l.letters) return Typed{&l, std::nullopt, {}};
  for (const Letter& l : kLetters) {
    if (l.match != Match::words || !line.starts_with(l.letters)) continue;
    std::string_view rest = line.substr(l.letters.size());
    if (rest.empty() || is_space(rest.front())) return Typed{&l, std::nullopt, split_words(rest)};
  }
  const Letter* best = nullptr;
  std::string_view digits;
  for (const Letter& l : kLetters) {
    if (l.match != Match::number || !line.starts_with(l.letters)) continue;
    if (best && best->letters.size() >= l.letters.size()) continue;
    std::string_view rest = trim_left(line.substr(l.letters.size()));
    if (!rest.empty() && !all_digits(rest)) continue;
    best = &l;
    digits = rest;
  }
  if (best) {
    Typed t{best, std::nullopt, {}};
    if (!digits.empty()) t.number = std::string(digits);
    return t;
  }
  for (const Letter& l : kLetters) {
    if (l.match != Match::prefix || !line.starts_with(l.letters)) continue;
    if (!best || l.letters.size() > best->letters.size()) best = &l;
  }
  if (best) return Typed{best, std::nullopt, {}};
  return std::nullopt;
}

const std::string& overview_text() {
  // The table is immutable: the text is built once (it is sent for every unknown line).
  static const std::string text = [] {
    std::string out = "ISGW Status Monitor\n";
    for (const Letter& l : kLetters) {
      if (l.shown.empty()) continue;
      out += std::string(l.shown) + "\t:" + std::string(l.description);
      if (l.action == Action::mi) out += " " + command_text(l);
      if (l.action == Action::unsupported) out += " (not supported: " + std::string(l.detail) + ")";
      out += "\n";
    }
    return out;
  }();
  return text;
}

}  // namespace sb::transports::monitor
