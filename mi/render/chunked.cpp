// chunked.cpp: splicing item slices between the rendered skeleton's two halves.
#include "mi/render/chunked.h"

#include <functional>
#include <random>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "mi/codec/jsonrpc.h"
#include "mi/render/text.h"

namespace sb::mi {

namespace {

/// A piece is handed over once it holds this much (fewer, larger writes).
constexpr std::size_t kPieceBytes = 32 * 1024;

/// A marker no reply contains: control characters around a per-process random number.
const std::string& marker() {
  static const std::string m = fmt::format("\x01sb-stream-{:016x}\x01", std::random_device{}() * 0x9e3779b97f4a7c15ull);
  return m;
}

/// A reply that cannot be produced: its first piece throws (the transport cuts it short).
class FailedReply final : public ChunkedReply {
 public:
  explicit FailedReply(std::string why) : why_(std::move(why)) {}
  bool next(std::string&) override { throw std::logic_error(why_); }

 private:
  std::string why_;
};

/// The value materialized and rendered whole, as one piece; FailedReply when it cannot be.
std::unique_ptr<ChunkedReply> rendered_whole(Streamed s, const std::function<std::string(const Value&)>& render) {
  try {
    return whole_reply(render(materialize(std::move(s))));
  } catch (const std::exception& e) {
    return std::make_unique<FailedReply>(e.what());
  }
}

class WholeReply final : public ChunkedReply {
 public:
  explicit WholeReply(std::string text) : text_(std::move(text)) {}
  bool next(std::string& out) override {
    out += text_;
    std::string().swap(text_);
    return false;
  }

 private:
  std::string text_;
};

/// prefix, then every item through `render` (`first` for the first one), then suffix.
class SplicedReply final : public ChunkedReply {
 public:
  using Render = std::function<void(std::string& out, const Value& item, bool first)>;
  SplicedReply(std::string prefix, std::string suffix, std::shared_ptr<ItemSource> items, Render render)
      : prefix_(std::move(prefix)), suffix_(std::move(suffix)), items_(std::move(items)), render_(std::move(render)) {}

  bool next(std::string& out) override {
    const std::size_t from = out.size();
    if (!started_) {
      started_ = true;
      out += prefix_;
    }
    std::vector<Value> slice;
    while (out.size() - from < kPieceBytes) {
      slice.clear();
      if (!items_ || !items_->next(slice)) {
        out += suffix_;
        return false;
      }
      for (const Value& item : slice) {
        render_(out, item, first_);
        first_ = false;
      }
    }
    return true;
  }

 private:
  std::string prefix_, suffix_;
  std::shared_ptr<ItemSource> items_;
  Render render_;
  bool started_ = false;
  bool first_ = true;
};

/// The skeleton with the marker where the array is; false when the pointer names no array.
bool mark(Value& skeleton, const std::string& pointer) {
  try {
    Value& arr = skeleton.at(Value::json_pointer(pointer));
    if (!arr.is_array() || !arr.empty()) return false;
    arr = marker();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

class FollowedBy final : public ChunkedReply {
 public:
  FollowedBy(std::shared_ptr<ChunkedReply> inner, std::string trailer)
      : inner_(std::move(inner)), trailer_(std::move(trailer)) {}
  bool next(std::string& out) override {
    if (inner_->next(out)) return true;
    out += trailer_;
    return false;
  }

 private:
  std::shared_ptr<ChunkedReply> inner_;
  std::string trailer_;
};

std::unique_ptr<ChunkedReply> json_like(Streamed s, const std::function<std::string(const Value&)>& render_whole) {
  Value marked = s.skeleton;
  if (mark(marked, s.pointer)) {
    std::string text = render_whole(marked);
    const std::string needle = to_compact_json(Value(marker()));
    auto pos = text.find(needle);
    if (pos != std::string::npos && text.find(needle, pos + 1) == std::string::npos) {
      return std::make_unique<SplicedReply>(
          text.substr(0, pos) + "[", "]" + text.substr(pos + needle.size()), std::move(s.items),
          [](std::string& out, const Value& item, bool first) {
            if (!first) out += ',';
            out += to_compact_json(item);
          });
    }
  }
  return rendered_whole(std::move(s), render_whole);
}

}  // namespace

std::unique_ptr<ChunkedReply> whole_reply(std::string text) { return std::make_unique<WholeReply>(std::move(text)); }

std::unique_ptr<ChunkedReply> followed_by(std::shared_ptr<ChunkedReply> reply, std::string trailer) {
  return std::make_unique<FollowedBy>(std::move(reply), std::move(trailer));
}

std::unique_ptr<ChunkedReply> chunked_json(Streamed s) {
  return json_like(std::move(s), [](const Value& v) { return to_compact_json(v); });
}

std::unique_ptr<ChunkedReply> chunked_jsonrpc(Streamed s, const Value& id) {
  return json_like(std::move(s), [&id](const Value& v) { return render_jsonrpc(Result(v), id); });
}

std::unique_ptr<ChunkedReply> chunked_text(Streamed s, const CommandSpec* spec) {
  Value marked = s.skeleton;
  if ((!spec || !spec->text_reply) && mark(marked, s.pointer)) {
    std::string text = render_text(Result(marked));
    const std::string needle = ":: " + escape_text_value(marker()) + "\n";
    auto pos = text.find(needle);
    if (pos != std::string::npos && text.find(needle, pos + 1) == std::string::npos) {
      std::size_t line = text.rfind('\n', pos);
      line = line == std::string::npos ? 0 : line + 1;
      std::size_t tabs = 0;
      while (line + tabs < pos && text[line + tabs] == '\t') ++tabs;
      std::string key = text.substr(line + tabs, pos - line - tabs);
      return std::make_unique<SplicedReply>(
          text.substr(0, line), text.substr(pos + needle.size()), std::move(s.items),
          [key, level = static_cast<int>(tabs)](std::string& out, const Value& item, bool) {
            render_text_element(out, key, item, level);
          });
    }
  }
  return rendered_whole(std::move(s), [spec](const Value& v) { return render_text(Result(v), spec); });
}

}  // namespace sb::mi
