// conversation.h: what the monitor answers to each line a connection types — the letters
// (letters.h) turned into MI requests, and MI results turned into text.
//
// Purpose: the connection's logic without any I/O, so the socket code (monitor_transport.cpp)
// only moves bytes and runs Steps. A Step says: wait `delay` (failed logins), send `output`,
// then run `call` through the dispatcher (its result comes back through on_result()), or close.
// Only one call is outstanding at a time; the transport feeds the next line after the Step's
// call has completed and its output was sent, so replies keep the order of the lines.
// State kept per connection (nothing else is kept by the monitor): the role (read-only until
// `login` when monitor.password is set; else monitor.anonymous_role on loopback),
// failed logins, the last `R` listing (so `RrX` always means entry X of what the user saw), and
// the dialplan-test prompts in progress.
// Output uses LF line ends; the transport sends CR LF (telnet NVT).
// Threading: one instance per connection, used by one thread at a time.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mi/dispatcher.h"
#include "transports/monitor/letters.h"
#include "transports/net/auth_throttle.h"

namespace sb::transports::monitor {

/// The prompt shown when the monitor waits for the next command.
inline constexpr std::string_view kPrompt = "> ";

struct ConversationSettings {
  std::string peer;                                ///< client address, for Caller::peer and logs
  mi::Role role = mi::Role::read_only;             ///< the role before any login
  std::string password;                            ///< empty: `login` is disabled
  std::chrono::milliseconds login_failure_delay{1000};  ///< before "login failed" is answered
  unsigned max_login_failures = 3;                 ///< then the connection is closed
  mi::Stat* login_failures = nullptr;              ///< counted here when set
  /// Failed logins per client address across connections (may be null): over its limit,
  /// `login` is refused without checking the password until the window ends.
  AuthThrottle* throttle = nullptr;
};

class Conversation {
 public:
  struct Step {
    std::string output;               ///< text to send (LF line ends)
    std::optional<mi::Request> call;  ///< then run this; its result goes to on_result()
    std::chrono::milliseconds delay{0};  ///< wait this long before sending `output`
    bool close = false;               ///< close once `output` is sent
  };

  explicit Conversation(ConversationSettings settings);

  /// The overview and the first prompt, sent on connect.
  std::string greeting() const;
  /// One input line (without its line end).
  Step on_line(std::string_view line);
  /// A line longer than `max_line` bytes was received (and dropped).
  Step on_overlong(std::size_t max_line);
  /// The result of the Step's call.
  Step on_result(mi::Result result);

  mi::Role role() const { return settings_.role; }

  /// `<code> <reason>` plus the detail line, as the monitor prints an Error (no prompt).
  static std::string error_text(const mi::Error& e);
  /// A result as the monitor prints it: the text body (`OK` when empty) or error_text().
  static std::string result_text(const mi::Result& r);

 private:
  /// What the outstanding call's result is for.
  enum class Pending { none, plain, registrations, release, toggle_read };
  /// The dialplan test prompts: which answer the next line is.
  enum class Ask { nothing, number, caller, source };
  struct Registration {
    std::string aor;
    std::string contact;
  };

  Step run(const Typed& typed, std::string_view line);
  Step call(std::string method, std::vector<std::string> params, Pending pending);
  Step login(std::string_view password);
  Step release(const Typed& typed);
  Step answer(std::string_view line);  ///< a line typed while a dialplan prompt is shown
  Step dialplan_translate();
  Step registrations(const mi::Result& r);
  std::string prompt() const;  ///< the current prompt (a question while asking)
  Step done(std::string text) const { return Step{std::move(text) + prompt(), {}, {}, false}; }

  ConversationSettings settings_;
  unsigned failed_logins_ = 0;
  Pending pending_ = Pending::none;
  std::size_t releasing_ = 0;  ///< Pending::release: the entry number
  std::vector<Registration> listing_;  ///< the last R listing, entry X = listing_[X-1]
  bool listed_ = false;                ///< R has run on this connection

  Ask ask_ = Ask::nothing;
  const Letter* test_ = nullptr;  ///< the dialplan-test row being asked for
  const Letter* toggling_ = nullptr;  ///< the dbg row whose level read is outstanding
  std::string number_, caller_;
};

}  // namespace sb::transports::monitor
