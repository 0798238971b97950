// text_request.cpp: line-oriented parsing of SER text requests.
#include "mi/codec/text_request.h"

#include <cctype>

namespace sb::mi {

namespace {

std::string_view rtrim(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

std::string_view trim_line(std::string_view s) {
  s = rtrim(s);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

bool identifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}

// Reads lines from a buffer; the last partial line counts only when `at_end`.
class LineReader {
 public:
  LineReader(std::string_view text, bool at_end) : text_(text), at_end_(at_end) {}
  /// The next line without its '\n' (CR kept), or nullopt when no complete line is left.
  std::optional<std::string_view> next() {
    if (pos_ >= text_.size()) return std::nullopt;
    auto nl = text_.find('\n', pos_);
    if (nl == std::string_view::npos) {
      if (!at_end_) return std::nullopt;
      auto line = text_.substr(pos_);
      pos_ = text_.size();
      return line;
    }
    auto line = text_.substr(pos_, nl - pos_);
    pos_ = nl + 1;
    return line;
  }
  std::size_t pos() const { return pos_; }

 private:
  std::string_view text_;
  bool at_end_;
  std::size_t pos_ = 0;
};

}  // namespace

std::variant<TextCommandLine, Error> parse_text_command_line(std::string_view line) {
  line = rtrim(line);
  if (line.empty() || line[0] != ':')
    return Error::parse_error("a command line must begin with ':'");
  // The reply name follows the LAST colon, so `:core:uptime:r` calls `core:uptime`.
  auto second = line.rfind(':');
  if (second == 0) return Error::parse_error("a command line is ':<command>:<reply_fifo>'");
  std::string_view cmd = line.substr(1, second - 1);
  if (cmd.empty()) return Error::parse_error("the command name is empty");
  return TextCommandLine{std::string(cmd), std::string(trim_line(line.substr(second + 1)))};
}

TextParams parse_text_params(std::string_view text, const std::vector<TextBlock>& layout,
                             std::string_view command, bool at_end) {
  TextParams out;
  LineReader lines(text, at_end);
  Value positional = Value::array();
  Value named = Value::object();
  std::size_t index = 0;

  auto finish = [&]() {
    if (!named.empty() && !positional.empty()) {
      out.status = TextParams::Status::error;
      out.error = Error::parse_error("named (name::value) and positional params are mixed",
                                     command);
    } else {
      out.status = TextParams::Status::complete;
      if (!named.empty()) out.params = std::move(named);
      else if (!positional.empty()) out.params = std::move(positional);
    }
    out.consumed = lines.pos();
    return out;
  };

  for (;;) {
    TextBlock kind = index < layout.size() ? layout[index] : TextBlock::line;
    if (kind == TextBlock::line) {
      auto line = lines.next();
      if (!line) return at_end ? finish() : out;
      // Values are trimmed on both sides (OpenSIPS 2); `name::` alone is a named null (absent).
      std::string_view t = trim_line(*line);
      if (t.empty()) return finish();
      if (t == ".") {
        positional.push_back("");
      } else {
        auto sep = t.find("::");
        if (sep != std::string_view::npos && identifier(t.substr(0, sep))) {
          std::string_view v = trim_line(t.substr(sep + 2));
          named[std::string(t.substr(0, sep))] = v.empty() ? Value() : Value(std::string(v));
        } else {
          positional.push_back(std::string(t));
        }
      }
      ++index;
      continue;
    }
    // Multi-line blocks: a header set (ends at an empty line or '.') or a body (ends at '.').
    std::string value;
    bool closed = false;
    while (auto line = lines.next()) {
      std::string_view l = *line;
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      std::string_view t = rtrim(l);
      if (t == "." || (kind == TextBlock::line_set && t.empty())) {
        closed = true;
        break;
      }
      if (kind == TextBlock::line_set) {
        if (!value.empty()) value += "\r\n";
        value += t;
      } else {
        value += l;
        value += "\r\n";
      }
    }
    if (!closed && !at_end) return out;  // incomplete
    positional.push_back(std::move(value));
    ++index;
    if (!closed) return finish();
  }
}

}  // namespace sb::mi
