// telnet_input.cpp: the telnet/line decoder (see telnet_input.h).
#include "transports/monitor/telnet_input.h"

namespace sb::transports::monitor {

namespace {
// RFC 854 command bytes.
constexpr unsigned char kIac = 255;
constexpr unsigned char kDont = 254;
constexpr unsigned char kDo = 253;
constexpr unsigned char kWont = 252;
constexpr unsigned char kWill = 251;
constexpr unsigned char kSb = 250;
constexpr unsigned char kSe = 240;
}  // namespace

void TelnetInput::end_line(std::vector<Event>& events) {
  if (overlong_) events.push_back({Event::Kind::overlong, {}});
  else events.push_back({Event::Kind::line, std::move(line_)});
  line_.clear();
  overlong_ = false;
}

void TelnetInput::data_byte(unsigned char c, std::vector<Event>& events) {
  if (c == '\n') return end_line(events);
  if (c == '\r') {
    end_line(events);
    state_ = State::cr;  // a following LF or NUL belongs to this line end
    return;
  }
  if (c == '\0') return;  // NVT padding
  if (overlong_) return;
  if (line_.size() >= max_line_) {
    overlong_ = true;
    std::string().swap(line_);
    return;
  }
  line_ += static_cast<char>(c);
}

void TelnetInput::feed(std::string_view bytes, std::vector<Event>& events, std::string& replies) {
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    switch (state_) {
      case State::cr:
        state_ = State::data;
        if (c == '\n' || c == '\0') break;
        [[fallthrough]];
      case State::data:
        if (c == kIac) state_ = State::iac;
        else data_byte(c, events);
        break;
      case State::iac:
        if (c == kIac) {  // escaped 255: a data byte
          state_ = State::data;
          data_byte(c, events);
        } else if (c >= kWill && c <= kDont) {
          verb_ = c;
          state_ = State::option;
        } else if (c == kSb) {
          state_ = State::sub;
        } else {  // NOP, AYT, IP, BRK, GA, …: ignored
          state_ = State::data;
        }
        break;
      case State::option:
        // Refuse every option the client asks for or offers; acknowledgements need no answer.
        if (verb_ == kDo) replies += {static_cast<char>(kIac), static_cast<char>(kWont), ch};
        else if (verb_ == kWill) replies += {static_cast<char>(kIac), static_cast<char>(kDont), ch};
        state_ = State::data;
        break;
      case State::sub:  // subnegotiation bytes are dropped unbuffered
        if (c == kIac) state_ = State::sub_iac;
        break;
      case State::sub_iac:
        state_ = c == kSe ? State::data : State::sub;
        break;
    }
  }
}

}  // namespace sb::transports::monitor
