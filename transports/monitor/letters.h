// letters.h: the ISGW status monitor's command letters (../shared/spec/isgw-monitor.md) and what
// each one does: the ONE table of the monitor. Adding an MI command to the monitor means adding
// or changing a row in letters.cpp, nothing else.
//
// Purpose: a row says how a typed line is recognised (exact letters, letters followed by a
// number — `bl3`, `cc 5` —, letters followed by words, or a prefix such as `bert*`), what it
// means on a berofix ISGW (shown in the overview) and what it runs: an MI command with fixed
// params (the typed number appended as the last one), or one of the monitor's own actions
// (overview, clear screen, quit, numbered registrations, dialplan test prompts, …), or a clear
// "not supported on this gateway" for line hardware we do not have.
// Threading: the table is immutable; the functions are pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mi/registry.h"

namespace sb::transports::monitor {

/// What a row does.
enum class Action {
  mi,             ///< run `command` with `params` (+ the typed number as the last param)
  overview,       ///< h: print the command overview
  clear,          ///< c: the ANSI clear-screen sequence
  quit,           ///< q: close the connection
  login,          ///< login <password>: the admin role (monitor.password)
  registrations,  ///< R: `ul_dump`, one numbered line per contact, remembered per connection
  release,        ///< RrX: `ul_rm_contact` of entry X of this connection's last R listing
  dialplan_test,  ///< dti/dts/dta/dtg: prompt for number, caller, source; `dp_translate`
  log_toggle,     ///< dbg: `log_level`, then `log_level debug` or `log_level info`
  unsupported,    ///< hardware / netlog: "<letters>: not supported on this gateway (<why>)"
  note,           ///< an overview line only (never matches input)
};

/// How a typed line is recognised.
enum class Match {
  exact,   ///< the whole line is `letters`
  number,  ///< `letters` then a decimal number (spaces allowed between): `bl3`, `cc 5`
  words,   ///< `letters` alone or followed by a space and words: `login secret`, `dts 0301234`
  prefix,  ///< the line starts with `letters`: `bert…`, `gop_…`, `ev_mcid:3`
  never,   ///< overview notes
};

struct Letter {
  std::string_view letters;      ///< what is typed (case-sensitive: R ≠ r, V ≠ v)
  Match match;
  Action action;
  std::string_view shown;        ///< the overview's letters column (`blX`, `bert*`)
  std::string_view description;  ///< the overview's text (berofix meaning)
  std::string_view command{};    ///< Action::mi, registrations, release, dialplan_test,
                                 ///< log_toggle: the MI command it runs
  std::vector<std::string_view> params{};  ///< Action::mi: fixed params before the number
  std::string_view detail{};     ///< unsupported: why; dialplan_test: the default source
};

/// Every row, in overview order.
const std::vector<Letter>& letters();

/// A reply field the monitor reads itself (rather than printing the reply as text): `path`
/// names properties, "[]" array items (mi::schema::declares).
struct FieldRead {
  std::string_view command;
  std::vector<std::string_view> path;
  bool always = true;  ///< read without a fallback: the schema must require every step
};
const std::vector<FieldRead>& fields_read();

/// Problems of the table against the commands really registered: a row whose command does not
/// exist or does not take its fixed params (+ the typed number), a field read that the
/// command's reply schema does not declare (or declares optional where it is read as always
/// there). Empty = fine. The monitor refuses to start otherwise (and the tests fail), so a
/// renamed command or reply field can never silently break a letter.
std::vector<std::string> check_letters(const mi::Registry& registry);

/// A recognised line.
struct Typed {
  const Letter* letter = nullptr;
  std::optional<std::string> number;  ///< Match::number: the digits, when given
  std::vector<std::string> words;     ///< Match::words: the words after the letters
};

/// Recognises one input line (already trimmed); nullopt when no row matches. Exact rows win,
/// then words rows, then the number row with the longest letters, then the longest prefix.
std::optional<Typed> recognise(std::string_view line);

/// The overview: "ISGW Status Monitor", then one `<letters>\t:<description>` line per row
/// (LF line ends).
const std::string& overview_text();

}  // namespace sb::transports::monitor
