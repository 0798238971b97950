// fifo_framer.cpp: request boundaries in the FIFO byte stream.
#include "transports/fifo/fifo_framer.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "mi/codec/text_request.h"
#include "transports/net/printable.h"

namespace sb::transports {

using mi::Error;

std::size_t JsonExtent::scan(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_string_) {
      if (escape_) escape_ = false;
      else if (c == '\\') escape_ = true;
      else if (c == '"') in_string_ = false;
      continue;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
      started_ = true;
    } else if (c == '}' || c == ']') {
      if (--depth_ <= 0 && started_) return i + 1;
    }
  }
  return std::string_view::npos;
}

namespace {

/// A SAX sink that only records where the first syntax error is.
struct SyntaxProbe : nlohmann::json_sax<nlohmann::json> {
  std::size_t position = 0;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t p, const std::string&, const nlohmann::detail::exception&) override {
    position = p;
    return false;
  }
};

/// True when `text` is neither valid JSON nor the beginning of valid JSON: the parser stopped
/// at a syntax error before the end of the bytes (an error past the end = "incomplete").
bool broken_json(std::string_view text) {
  SyntaxProbe probe;
  if (nlohmann::json::sax_parse(text, &probe)) return false;
  return probe.position <= text.size();
}

/// Longest first line (`:<command>:<reply>`) kept while skipping garbage, waiting for its end.
constexpr std::size_t kMaxFirstLine = 512;

/// Characters of a reply name or command as clients write them (sbctl, scripts): a resync
/// candidate must look like a real header, not like `:"2.0","method":[` inside broken JSON.
bool reply_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.' || c == '@' || c == '+';
}

/// The first request header at or after `from`: `:<name>:{` / `:<name>:[` (JSON dialect) or, at
/// a line start, `:<cmd>:<name>\n` (text dialect); npos when there is none.
std::size_t next_header(std::string_view s, std::size_t from) {
  for (std::size_t i = s.find(':', from); i != std::string_view::npos; i = s.find(':', i + 1)) {
    std::size_t j = i + 1;
    while (j < s.size() && j - i <= 256 && reply_name_char(s[j])) ++j;
    if (j == i + 1 || j >= s.size() || s[j] != ':') continue;
    if (j + 1 < s.size() && (s[j + 1] == '{' || s[j + 1] == '[')) return i;
    if (i > 0 && s[i - 1] == '\n') {
      std::size_t k = j + 1;
      while (k < s.size() && reply_name_char(s[k])) ++k;
      if (k < s.size() && s[k] == '\n') return i;
    }
  }
  return std::string_view::npos;
}

}  // namespace

FifoFramer::FifoFramer(std::size_t max_request, Layout layout, KnownCommand known)
    : max_(max_request), layout_(std::move(layout)), known_(std::move(known)) {}

std::size_t FifoFramer::text_header_line(std::string_view s) const {
  if (!known_) return std::string_view::npos;
  for (std::size_t at = 0; at < s.size();) {
    const std::size_t nl = s.find('\n', at);
    if (nl == std::string_view::npos) break;  // only complete lines
    std::string_view line = s.substr(at, nl - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > 2 && line.front() == ':') {
      const std::size_t second = line.find(':', 1);
      bool shaped = second != std::string_view::npos && second > 1;
      for (std::size_t i = 1; shaped && i < line.size(); ++i)
        shaped = i == second || reply_name_char(line[i]);
      if (shaped && known_(line.substr(1, second - 1))) return at;
    }
    at = nl + 1;
  }
  return std::string_view::npos;
}

std::vector<FramedRequest> FifoFramer::feed(std::string_view bytes) {
  std::vector<FramedRequest> out;
  buf_.append(bytes);
  for (;;) {
    bool progressed = mode_ == Mode::normal ? parse_one(out) : discard(out);
    if (!progressed) break;
  }
  return out;
}

void FifoFramer::enter_discard(Mode mode, std::string reply, FramedRequest::Dialect dialect) {
  mode_ = mode;
  discard_reply_ = std::move(reply);
  discard_dialect_ = dialect;
  discard_bytes_ = 0;
  line_blank_ = true;
  at_line_start_ = true;
}

// Skips bytes until the block ends: text up to an empty line, JSON up to the closing bracket.
bool FifoFramer::discard(std::vector<FramedRequest>& out) {
  if (buf_.empty()) return false;
  std::size_t end = std::string::npos;
  if (mode_ == Mode::discard_json) {
    end = json_.scan(buf_);
  } else {
    for (std::size_t i = 0; i < buf_.size(); ++i) {
      char c = buf_[i];
      // A known command's first line ends the garbage too (the next writer's request).
      const bool line_start = i == 0 ? at_line_start_ : buf_[i - 1] == '\n';
      if (line_start && c == ':' && known_) {
        const std::size_t eol = buf_.find('\n', i);
        // Maybe a first line, not complete yet: keep it (a first line is short: beyond
        // kMaxFirstLine it is garbage, never kept, so memory stays bounded).
        if (eol == std::string::npos && buf_.size() - i <= kMaxFirstLine) {
          discard_bytes_ += i;
          buf_.erase(0, i);
          at_line_start_ = true;
          return false;
        }
        if (eol != std::string::npos &&
            text_header_line(std::string_view(buf_).substr(i, eol - i + 1)) == 0) {
          end = i;
          break;
        }
      }
      if (c == '\n') {
        if (line_blank_) {
          end = i + 1;
          break;
        }
        line_blank_ = true;
      } else if (c != ' ' && c != '\t' && c != '\r') {
        line_blank_ = false;
      }
    }
  }
  if (end == std::string::npos) {
    discard_bytes_ += buf_.size();
    at_line_start_ = buf_.empty() || buf_.back() == '\n';
    buf_.clear();
    return false;
  }
  discard_bytes_ += end;
  buf_.erase(0, end);
  mode_ = Mode::normal;
  json_.reset();
  if (discard_oversize_) {
    FramedRequest r;
    r.dialect = discard_dialect_;
    r.reply_name = discard_reply_;
    r.error = Error::request_too_large(discard_bytes_, max_);
    spdlog::warn("fifo: discarded a request of {} bytes (limit {})", discard_bytes_, max_);
    out.push_back(std::move(r));
  } else {
    ++garbage_;
    spdlog::warn("fifo: skipped {} bytes of garbage (a request starts with ':')", discard_bytes_);
  }
  return true;
}

bool FifoFramer::parse_one(std::vector<FramedRequest>& out) {
  // Blank space between requests is ignored (a stray empty line, the newline after a JSON request).
  std::size_t skip = buf_.find_first_not_of(" \t\r\n");
  if (skip == std::string::npos) {
    buf_.clear();
    return false;
  }
  buf_.erase(0, skip);

  auto oversize = [&](std::string reply, FramedRequest::Dialect d, Mode m) {
    discard_oversize_ = true;
    enter_discard(m, std::move(reply), d);
    return true;
  };

  if (buf_[0] != ':') {
    discard_oversize_ = false;
    enter_discard(Mode::discard_text, {}, FramedRequest::Dialect::text);
    return true;
  }
  std::size_t nl = buf_.find('\n');
  std::size_t line_end = nl == std::string::npos ? buf_.size() : nl;
  std::size_t second = buf_.find(':', 1);
  if (second != std::string::npos && second < line_end && second + 1 < buf_.size() &&
      (buf_[second + 1] == '{' || buf_[second + 1] == '[')) {
    // JSON dialect: `:<reply>:{...}`.
    std::string reply = buf_.substr(1, second - 1);
    JsonExtent extent;
    const std::string_view body = std::string_view(buf_).substr(second + 1);
    std::size_t end = extent.scan(body);
    // Another writer's request appended to a truncated one: once the bytes are not JSON any
    // more, answer the broken request now and go on at the next request header inside them,
    // instead of waiting fifo.request_timeout_ms with the next client's request swallowed.
    // (Only when a header follows: the cheap scan first, the JSON check only then.)
    const std::size_t resync = next_header(buf_, second + 2);
    if (resync != std::string::npos &&
        broken_json(end == std::string::npos ? body : body.substr(0, end))) {
      {
        const std::size_t cut = resync;
        FramedRequest r;
        r.dialect = FramedRequest::Dialect::json;
        r.reply_name = std::move(reply);
        r.error = Error::parse_error(fmt::format(
            "the request is not valid JSON (its first {} bytes; the next request starts after "
            "them: another writer's request was appended to a truncated one?)", cut - second - 1));
        spdlog::warn("fifo: a JSON request that is not JSON ({} bytes) answered at once; "
                     "resynchronised at the next request header", cut);
        buf_.erase(0, cut);
        out.push_back(std::move(r));
        return true;
      }
    }
    if (end == std::string::npos) {
      if (buf_.size() <= max_) return false;  // wait for the rest
      json_ = extent;
      discard_bytes_ = 0;
      std::size_t consumed = buf_.size();
      buf_.clear();
      oversize(std::move(reply), FramedRequest::Dialect::json, Mode::discard_json);
      discard_bytes_ = consumed;
      return true;
    }
    FramedRequest r;
    r.dialect = FramedRequest::Dialect::json;
    r.reply_name = std::move(reply);
    std::size_t total = second + 1 + end;
    if (total > max_) r.error = Error::request_too_large(total, max_);
    else r.json = buf_.substr(second + 1, end);
    buf_.erase(0, total);
    out.push_back(std::move(r));
    return true;
  }
  if (nl == std::string::npos) {
    if (buf_.size() <= max_) return false;
    discard_oversize_ = false;  // not even a command line: no reply name to answer
    enter_discard(Mode::discard_text, {}, FramedRequest::Dialect::text);
    line_blank_ = false;
    return true;
  }
  auto first = mi::parse_text_command_line(std::string_view(buf_).substr(0, nl));
  if (auto* err = std::get_if<Error>(&first)) {
    spdlog::warn("fifo: bad command line: {}", printable(err->detail));
    discard_oversize_ = false;
    enter_discard(Mode::discard_text, {}, FramedRequest::Dialect::text);
    return true;
  }
  auto& cmd = std::get<mi::TextCommandLine>(first);
  std::string_view rest = std::string_view(buf_).substr(nl + 1);
  auto parsed = mi::parse_text_params(rest, layout_(cmd.command), cmd.command, false);
  // Another writer's first line inside this request's lines: this writer stopped mid-request.
  const std::size_t span =
      parsed.status == mi::TextParams::Status::incomplete ? rest.size() : parsed.consumed;
  if (std::size_t h = text_header_line(rest.substr(0, span)); h != std::string_view::npos) {
    FramedRequest r;
    r.dialect = FramedRequest::Dialect::text;
    r.reply_name = cmd.reply_name;
    r.command = cmd.command;
    r.error = Error::parse_error(
        "incomplete request: another request began before its end (its writer stopped mid-request?)",
        cmd.command);
    spdlog::warn("fifo: '{}' request cut short by the next request's first line; resynchronised",
                 printable(cmd.command, 64));
    buf_.erase(0, nl + 1 + h);
    out.push_back(std::move(r));
    return true;
  }
  if (parsed.status == mi::TextParams::Status::incomplete) {
    if (buf_.size() <= max_) return false;
    // Too large: skip what we have up to an empty line (it may already be in the buffer).
    std::string reply = cmd.reply_name;
    buf_.erase(0, nl + 1);
    discard_oversize_ = true;
    enter_discard(Mode::discard_text, std::move(reply), FramedRequest::Dialect::text);
    discard_bytes_ = nl + 1;
    return true;
  }
  FramedRequest r;
  r.dialect = FramedRequest::Dialect::text;
  r.reply_name = cmd.reply_name;
  r.command = cmd.command;
  std::size_t total = nl + 1 + parsed.consumed;
  if (total > max_) r.error = Error::request_too_large(total, max_);
  else if (parsed.error) r.error = std::move(parsed.error);
  else r.params = std::move(parsed.params);
  buf_.erase(0, total);
  out.push_back(std::move(r));
  return true;
}

std::optional<FramedRequest> FifoFramer::abandon(std::chrono::milliseconds waited) {
  if (mode_ != Mode::normal) {  // already skipping a bad block: just stop skipping
    mode_ = Mode::normal;
    buf_.clear();
    line_blank_ = true;
    json_.reset();
    return std::nullopt;
  }
  std::size_t skip = buf_.find_first_not_of(" \t\r\n");
  if (skip == std::string::npos) {
    buf_.clear();
    return std::nullopt;
  }
  std::string head = buf_.substr(skip, buf_.find('\n', skip) - skip);
  buf_.clear();
  ++garbage_;
  if (head.empty() || head[0] != ':') return std::nullopt;
  FramedRequest r;
  std::string why = fmt::format("incomplete request: nothing more arrived for {} ms (a missing "
                                "empty line, or a body without its closing '.')", waited.count());
  std::size_t second = head.find(':', 1);
  if (second != std::string::npos && second + 1 < head.size() && (head[second + 1] == '{' || head[second + 1] == '[')) {
    r.dialect = FramedRequest::Dialect::json;
    r.reply_name = head.substr(1, second - 1);
    r.error = Error::invalid_request(std::move(why));
    return r;
  }
  auto first = mi::parse_text_command_line(head);
  auto* cmd = std::get_if<mi::TextCommandLine>(&first);
  if (!cmd) return std::nullopt;
  r.reply_name = cmd->reply_name;
  r.command = cmd->command;
  r.error = Error::parse_error(std::move(why), cmd->command);
  return r;
}

}  // namespace sb::transports
