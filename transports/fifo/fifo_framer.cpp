// fifo_framer.cpp: request boundaries in the FIFO byte stream.
#include "transports/fifo/fifo_framer.h"

#include <spdlog/spdlog.h>

#include "mi/codec/text_request.h"

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

FifoFramer::FifoFramer(std::size_t max_request, Layout layout)
    : max_(max_request), layout_(std::move(layout)) {}

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
    std::size_t end = extent.scan(std::string_view(buf_).substr(second + 1));
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
    spdlog::warn("fifo: bad command line: {}", err->detail);
    discard_oversize_ = false;
    enter_discard(Mode::discard_text, {}, FramedRequest::Dialect::text);
    return true;
  }
  auto& cmd = std::get<mi::TextCommandLine>(first);
  std::string_view rest = std::string_view(buf_).substr(nl + 1);
  auto parsed = mi::parse_text_params(rest, layout_(cmd.command), cmd.command, false);
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
