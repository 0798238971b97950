// telnet_input.h: turns the bytes a telnet (or nc/socat) client sends into command lines.
//
// Purpose: the monitor's only decoder. It removes telnet commands (RFC 854: IAC followed by a
// command byte, IAC WILL/WONT/DO/DONT <option>, IAC SB … IAC SE subnegotiation; IAC IAC is a
// data byte 255), answers option requests by refusing them (DO x → WONT x, WILL x → DONT x; the
// monitor speaks plain NVT text and never enables an option, so no negotiation loop can start),
// and splits the rest into lines ended by LF, CR LF, CR NUL or a lone CR. A line longer than
// `max_line` bytes is not kept: its bytes are dropped up to its end, where an `overlong` event
// is reported instead, so memory stays bounded whatever the client sends.
// Threading: one instance per connection, used by one thread at a time.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sb::transports::monitor {

class TelnetInput {
 public:
  struct Event {
    enum class Kind { line, overlong } kind;
    std::string text;  ///< line: the line without its end; overlong: empty
  };

  explicit TelnetInput(std::size_t max_line) : max_line_(max_line) {}

  /// Decodes `bytes`, appending complete lines (and overlong events) to `events` and the
  /// telnet answers to send back to `replies`. Partial lines are kept for the next call.
  void feed(std::string_view bytes, std::vector<Event>& events, std::string& replies);

  /// Bytes of the line being received (for tests).
  std::size_t pending() const { return line_.size(); }

 private:
  enum class State { data, cr, iac, option, sub, sub_iac };
  void data_byte(unsigned char c, std::vector<Event>& events);
  void end_line(std::vector<Event>& events);

  std::size_t max_line_;
  State state_ = State::data;
  unsigned char verb_ = 0;  ///< WILL/WONT/DO/DONT awaiting its option byte
  std::string line_;
  bool overlong_ = false;
};

}  // namespace sb::transports::monitor
