// conversation.cpp: lines → letters → MI requests; results → text (see conversation.h).
#include "transports/monitor/conversation.h"

#include "mi/strings.h"

#include <charconv>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "mi/render/text.h"
#include "transports/net/secret_compare.h"

namespace sb::transports::monitor {

namespace {

/// ANSI: cursor home, then erase the whole screen.
constexpr std::string_view kClearScreen = "\x1b[H\x1b[2J";
/// Longest piece of an unknown input echoed back.
constexpr std::size_t kEchoMax = 80;

using mi::trim;

/// Typed text shown back on one line: control characters escaped, long input cut.
std::string echo(std::string_view s) {
  std::string out = mi::escape_text_value(s.substr(0, kEchoMax));
  if (s.size() > kEchoMax) out += "...";
  return out;
}

/// A member the reply schema declares (letters.cpp kFieldsRead); null when absent (an optional
/// field, or a reply that is not what its schema says: printed empty, never a crash).
const mi::Value& field(const mi::Value& v, std::string_view key) {
  static const mi::Value none;
  if (!v.is_object()) return none;
  auto it = v.find(key);
  return it == v.end() ? none : *it;
}

const mi::Value& field(const mi::Result& r, std::string_view key) {
  static const mi::Value none;
  return r.ok() ? field(r.value(), key) : none;
}

/// A string field as it is (to send back in a command); "" for anything else.
std::string raw_text(const mi::Value& v) { return v.is_string() ? v.get<std::string>() : std::string(); }

std::string scalar(const mi::Value& v) {
  if (v.is_string()) return mi::escape_text_value(v.get_ref<const std::string&>());
  if (v.is_null()) return {};
  return v.dump();
}

}  // namespace

Conversation::Conversation(ConversationSettings settings) : settings_(std::move(settings)) {}

std::string Conversation::greeting() const { return overview_text() + std::string(kPrompt); }

std::string Conversation::prompt() const {
  switch (ask_) {
    case Ask::nothing: break;
    case Ask::number: return fmt::format("{}: called number (empty line: cancel): ", test_->letters);
    case Ask::caller: return fmt::format("{}: caller number (empty: none): ", test_->letters);
    case Ask::source:
      return fmt::format("{}: source [{}] (any, account:NAME, subscriber:USER, group:NAME, port:N): ",
                         test_->letters, test_->detail);
  }
  return std::string(kPrompt);
}

std::string Conversation::error_text(const mi::Error& e) {
  std::string out = mi::text_status_line(e) + "\n";
  if (!e.detail.empty() && e.detail != e.reason) out += mi::escape_text_value(e.detail) + "\n";
  return out;
}

std::string Conversation::result_text(const mi::Result& r) {
  if (!r.ok()) return error_text(r.error());
  std::string body = mi::render_text_body(r.value());
  return body.empty() ? "OK\n" : body;
}

Conversation::Step Conversation::on_overlong(std::size_t max_line) {
  return done(fmt::format("line too long (more than {} bytes): ignored\n", max_line));
}

Conversation::Step Conversation::on_line(std::string_view raw) {
  std::string_view line = trim(raw);
  if (ask_ != Ask::nothing) return answer(line);
  if (line.empty()) return done({});
  auto typed = recognise(line);
  if (!typed) return done(fmt::format("'{}' not understood\n{}", echo(line), overview_text()));
  return run(*typed, line);
}

Conversation::Step Conversation::run(const Typed& t, std::string_view line) {
  const Letter& l = *t.letter;
  switch (l.action) {
    case Action::overview: return done(overview_text());
    case Action::clear: return done(std::string(kClearScreen));
    case Action::quit: return Step{"bye\n", {}, {}, true};
    case Action::login: return login(trim(line.substr(l.letters.size())));
    case Action::unsupported:
      return done(fmt::format("{}: not supported on this gateway ({})\n", echo(line), l.detail));
    case Action::registrations: return call(std::string(l.command), {}, Pending::registrations);
    case Action::release: return release(t);
    case Action::log_toggle:
      toggling_ = &l;
      return call(std::string(l.command), {}, Pending::toggle_read);
    case Action::dialplan_test:
      test_ = &l;
      number_.clear();
      caller_.clear();
      if (t.words.empty()) {
        ask_ = Ask::number;
        return done({});
      }
      if (t.words.size() > 3)
        return done(fmt::format("usage: {} [<number> [<caller> [<source>]]]\n", l.letters));
      number_ = t.words[0];
      if (t.words.size() > 1) caller_ = t.words[1];
      return call(std::string(l.command),
                  {t.words.size() > 2 ? t.words[2] : std::string(l.detail), number_, caller_},
                  Pending::plain);
    case Action::mi: {
      std::vector<std::string> params(l.params.begin(), l.params.end());
      if (l.match == Match::number) {
        if (!t.number)
          return done(fmt::format("{} needs a number right after the letters, e.g. {}1\n", l.shown,
                                  l.letters));
        params.push_back(*t.number);
      }
      return call(std::string(l.command), std::move(params), Pending::plain);
    }
    case Action::note: break;
  }
  return done(overview_text());
}

Conversation::Step Conversation::call(std::string method, std::vector<std::string> params,
                                      Pending pending) {
  // A trailing empty param is an omitted optional one (dp_translate's caller).
  while (!params.empty() && params.back().empty()) params.pop_back();
  mi::Value args = mi::Value::array();
  for (auto& p : params) args.push_back(std::move(p));
  pending_ = pending;
  mi::Request req{std::move(method), std::move(args),
                  mi::Caller{"monitor", settings_.peer, settings_.role}, false};
  return Step{{}, std::move(req), {}, false};
}

Conversation::Step Conversation::login(std::string_view password) {
  if (settings_.password.empty())
    return done("login is disabled: monitor.password is not set\n");
  if (password.empty()) return done("usage: login <password>\n");
  const std::string source = address_of(settings_.peer);
  if (settings_.throttle) {
    if (auto wait = settings_.throttle->blocked_for(source); wait.count() > 0) {
      spdlog::warn("monitor: login from {} refused: too many failed logins from {} (try again in "
                   "{} s, monitor.auth_fail_limit)", settings_.peer, source, wait.count());
      return Step{fmt::format("login refused: too many failed logins from {}; try again in {} s\n",
                              source, wait.count()),
                  {}, settings_.login_failure_delay, true};
    }
  }
  if (constant_time_equal(password, settings_.password)) {
    settings_.role = mi::Role::admin;
    failed_logins_ = 0;
    spdlog::info("monitor: {} logged in (admin)", settings_.peer);
    return done("logged in: admin role\n");
  }
  ++failed_logins_;
  if (settings_.login_failures) settings_.login_failures->inc();
  if (settings_.throttle) settings_.throttle->failed(source);
  // fail2ban: "failed login from <address>:<port>" (the monitor has no user names).
  spdlog::warn("monitor: failed login from {} ({} of {} on this connection)", settings_.peer,
               failed_logins_, settings_.max_login_failures);
  if (failed_logins_ >= settings_.max_login_failures)
    return Step{fmt::format("login failed: wrong password; {} failures, closing\n", failed_logins_),
                {}, settings_.login_failure_delay, true};
  Step s = done("login failed: wrong password\n");
  s.delay = settings_.login_failure_delay;
  return s;
}

Conversation::Step Conversation::release(const Typed& t) {
  if (!t.number) return done("RrX needs the entry number of the last R listing, e.g. Rr1\n");
  std::size_t index = 0;
  const std::string& digits = *t.number;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (!listed_) return done(fmt::format("Rr{}: no R listing on this connection yet: type R first\n", digits));
  if (ec != std::errc() || end != digits.data() + digits.size() || index == 0 ||
      index > listing_.size())
    return done(listing_.empty()
                    ? fmt::format("Rr{}: the last R listing was empty\n", digits)
                    : fmt::format("Rr{}: no entry {} in the last R listing (1..{})\n", digits,
                                  digits, listing_.size()));
  releasing_ = index;
  const Registration& r = listing_[index - 1];
  return call(std::string(t.letter->command), {"location", r.aor, r.contact}, Pending::release);
}

Conversation::Step Conversation::answer(std::string_view line) {
  switch (ask_) {
    case Ask::number:
      if (line.empty()) {
        ask_ = Ask::nothing;
        return done("dialplan test cancelled\n");
      }
      number_ = line;
      ask_ = Ask::caller;
      return done({});
    case Ask::caller:
      caller_ = line;
      ask_ = Ask::source;
      return done({});
    case Ask::source:
      ask_ = Ask::nothing;
      return call(std::string(test_->command),
                  {line.empty() ? std::string(test_->detail) : std::string(line), number_, caller_},
                  Pending::plain);
    case Ask::nothing: break;
  }
  return done({});
}

Conversation::Step Conversation::on_result(mi::Result r) {
  Pending pending = pending_;
  pending_ = Pending::none;
  switch (pending) {
    case Pending::registrations: return registrations(r);
    case Pending::release:
      if (!r.ok()) break;
      return done(fmt::format("released entry {}: {} {}\n", releasing_,
                              mi::escape_text_value(listing_[releasing_ - 1].aor),
                              mi::escape_text_value(listing_[releasing_ - 1].contact)));
    case Pending::toggle_read: {
      // log_level without params answers {"Log level": …} (letters.cpp kFieldsRead).
      const mi::Value& level = field(r, {"Log level"});
      if (!level.is_string()) break;
      return call(std::string(toggling_->command), {level == "debug" ? "info" : "debug"},
                  Pending::plain);
    }
    case Pending::none:
    case Pending::plain: break;
  }
  std::string text = result_text(r);
  if (!r.ok() && r.error().kind == mi::ErrorKind::forbidden && settings_.role != mi::Role::admin)
    text += settings_.password.empty()
                ? "this connection is read-only\n"
                : "this connection is read-only: `login <password>` gives the admin role\n";
  return done(std::move(text));
}

Conversation::Step Conversation::registrations(const mi::Result& r) {
  if (!r.ok()) return done(error_text(r.error()));
  // The ul_dump fields read here are declared by its reply schema (letters.cpp kFieldsRead,
  // checked at start-up): Domains[].AORs[].AOR always, .Contacts[] (absent when brief) with
  // Contact, Expires and Q always and User-agent when known.
  std::vector<Registration> listing;
  std::string lines;
  for (const auto& domain : field(r, {"Domains"}))
    for (const auto& aor : field(domain, {"AORs"})) {
      // Kept raw (RrX sends them back to ul_rm_contact); escaped only when printed.
      std::string name = raw_text(field(aor, {"AOR"}));
      for (const auto& c : field(aor, {"Contacts"})) {
        listing.push_back({name, raw_text(field(c, {"Contact"}))});
        lines += fmt::format("{}\t{}\t{}\texpires {}", listing.size(), mi::escape_text_value(name),
                             mi::escape_text_value(listing.back().contact), scalar(field(c, {"Expires"})));
        if (std::string q = scalar(field(c, {"Q"})); !q.empty()) lines += "\tq " + q;
        if (const auto& ua = field(c, {"User-agent"}); !ua.is_null()) lines += "\t" + scalar(ua);
        lines += "\n";
      }
    }
  listing_ = std::move(listing);
  listed_ = true;
  if (listing_.empty()) return done("incoming registrations: none\n");
  return done(fmt::format("incoming registrations: {} (RrX releases entry X)\n{}", listing_.size(),
                          lines));
}

}  // namespace sb::transports::monitor
