// chunked_test.cpp: mi/render/chunked.h and mi/stream.h — a streamed reply rendered in pieces is
// byte for byte the whole-tree rendering (JSON, JSON-RPC, serctl text; awkward values, many
// slices, empty arrays, nested positions), its pieces are bounded, a failing source cuts it short,
// and the dispatcher drains a stream for transports that cannot write pieces, validates its items
// against the reply schema, and turns a failing drain into a 500.
#include "mi/render/chunked.h"

#include <gtest/gtest.h>

#include <future>
#include <stdexcept>
#include <string>
#include <vector>

#include "mi/codec/jsonrpc.h"
#include "mi/dispatcher.h"
#include "mi/render/text.h"
#include "mi/reply_schema.h"

namespace sb::mi {
namespace {

using namespace std::chrono_literals;

/// Items from a vector, `per_slice` at a time; throws at item `fail_at` when set.
class VectorSource final : public ItemSource {
 public:
  VectorSource(std::vector<Value> items, std::size_t per_slice, long fail_at = -1)
      : items_(std::move(items)), per_slice_(per_slice), fail_at_(fail_at) {}
  bool next(std::vector<Value>& out) override {
    ++calls;
    if (pos_ >= items_.size()) return false;
    for (std::size_t n = 0; n < per_slice_ && pos_ < items_.size(); ++n, ++pos_) {
      if (fail_at_ >= 0 && pos_ == static_cast<std::size_t>(fail_at_)) throw std::runtime_error("source broke");
      out.push_back(items_[pos_]);
    }
    return true;
  }
  int calls = 0;

 private:
  std::vector<Value> items_;
  std::size_t per_slice_, pos_ = 0;
  long fail_at_;
};

Value aor(int i) {
  Value c = Value::object();
  c["Contact"] = "sip:u" + std::to_string(i) + "@192.0.2.1";
  c["Expires"] = 3600 - i;
  c["Q"] = i % 2 ? "0.5" : "";
  c["User-agent"] = std::string("ua \"quoted\" \\ tab\there\nnewline \x01 ü ") + std::to_string(i);
  c["Flags"] = i;
  c["Nested"] = Value::array({1, "two", Value::array({3, 4}), Value::object({{"k", nullptr}})});
  return Value{{"AOR", "u" + std::to_string(i) + "@example.com"}, {"Contacts", Value::array({c})}};
}

std::vector<Value> aors(int n) {
  std::vector<Value> out;
  for (int i = 0; i < n; ++i) out.push_back(aor(i));
  return out;
}

Value skeleton() {
  return Value{{"Domains", Value::array({Value{{"name", "location"}, {"hash_size", 1}, {"AORs", Value::array()}}})},
               {"After", "the array"}};
}

Streamed streamed(std::vector<Value> items, std::size_t per_slice, long fail_at = -1) {
  return Streamed{skeleton(), "/Domains/0/AORs", std::make_shared<VectorSource>(std::move(items), per_slice, fail_at)};
}

Value whole(const std::vector<Value>& items) {
  Value v = skeleton();
  for (const Value& i : items) v["Domains"][0]["AORs"].push_back(i);
  return v;
}

/// Every piece concatenated; the sizes of the pieces in `sizes`.
std::string drain(ChunkedReply& r, std::vector<std::size_t>* sizes = nullptr) {
  std::string all, piece;
  bool more = true;
  while (more) {
    piece.clear();
    more = r.next(piece);
    if (sizes) sizes->push_back(piece.size());
    all += piece;
  }
  return all;
}

TEST(ChunkedReply, JsonIsByteForByteTheWholeRendering) {
  for (int n : {0, 1, 7, 300}) {
    for (std::size_t slice : {1u, 5u, 1000u}) {
      auto items = aors(n);
      auto r = chunked_json(streamed(items, slice));
      EXPECT_EQ(drain(*r), to_compact_json(whole(items))) << n << " items, slices of " << slice;
    }
  }
}

TEST(ChunkedReply, JsonRpcIsByteForByteTheWholeRendering) {
  auto items = aors(120);
  for (const Value& id : {Value(1), Value("abc"), Value(nullptr)}) {
    auto r = chunked_jsonrpc(streamed(items, 9), id);
    EXPECT_EQ(drain(*r), render_jsonrpc(Result(whole(items)), id));
  }
}

TEST(ChunkedReply, TextIsByteForByteTheWholeRendering) {
  for (int n : {0, 1, 50}) {
    auto items = aors(n);
    auto r = chunked_text(streamed(items, 4));
    EXPECT_EQ(drain(*r), render_text(Result(whole(items)))) << n << " items";
  }
  // An array of scalars, at the top level of the object.
  std::vector<Value> words = {"a", "b\nc", 3, true, nullptr};
  Streamed s{Value{{"Words", Value::array()}, {"n", 5}}, "/Words", std::make_shared<VectorSource>(words, 2)};
  Value w{{"Words", Value::array({"a", "b\nc", 3, true, nullptr})}, {"n", 5}};
  EXPECT_EQ(drain(*chunked_text(std::move(s))), render_text(Result(w)));
}

TEST(ChunkedReply, PiecesAreBoundedAndTheSourceIsPulledLazily) {
  auto items = aors(3000);  // ~1 MB of JSON
  auto src = std::make_shared<VectorSource>(items, 10);
  auto r = chunked_json(Streamed{skeleton(), "/Domains/0/AORs", src});
  std::string first;
  ASSERT_TRUE(r->next(first));
  EXPECT_LT(src->calls, 300) << "one piece pulls only what it needs";
  std::vector<std::size_t> sizes;
  drain(*r, &sizes);
  for (std::size_t i = 0; i + 1 < sizes.size(); ++i) EXPECT_LT(sizes[i], 64u * 1024) << "piece " << i;
  EXPECT_GT(sizes.size(), 10u);
}

TEST(ChunkedReply, AFailingSourceCutsTheReplyShort) {
  auto r = chunked_json(streamed(aors(500), 10, 250));
  std::string out;
  EXPECT_THROW(
      {
        while (r->next(out)) {
        }
      },
      std::runtime_error);
  EXPECT_EQ(out.find("\"After\""), std::string::npos) << "the part after the array never came";
}

TEST(ChunkedReply, APointerThatNamesNoArrayIsAnErrorNotASilentlyShorterReply) {
  Streamed s{skeleton(), "/Nowhere/0", std::make_shared<VectorSource>(aors(3), 1)};
  auto r = chunked_json(std::move(s));
  std::string out;
  EXPECT_THROW(r->next(out), std::logic_error);
  EXPECT_THROW(materialize(Streamed{skeleton(), "/After", std::make_shared<VectorSource>(aors(3), 1)}),
               std::logic_error);
}

TEST(ChunkedReply, ACommandWithItsOwnTextFormIsRenderedWhole) {
  auto items = aors(3);
  CommandSpec spec;
  spec.text_reply = [](const Value& v) { return "custom " + std::to_string(v["Domains"][0]["AORs"].size()) + "\n"; };
  EXPECT_EQ(drain(*chunked_text(streamed(items, 1), &spec)), "custom 3\n");
}

TEST(ChunkedReply, FollowedByAddsTheTrailerAfterTheLastPiece) {
  auto items = aors(40);
  EXPECT_EQ(drain(*followed_by(chunked_json(streamed(items, 3)), "\n")), to_compact_json(whole(items)) + "\n");
}

TEST(StreamedResult, ValueDrainsTheSourceAndTakeStreamHandsItOver) {
  auto items = aors(25);
  Result r(streamed(items, 4));
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.is_stream());
  EXPECT_EQ(r.value(), whole(items));
  EXPECT_FALSE(r.is_stream());

  Result t(streamed(items, 4));
  Streamed s = t.take_stream();
  EXPECT_FALSE(t.is_stream());
  EXPECT_EQ(s.pointer, "/Domains/0/AORs");
  EXPECT_EQ(materialize(std::move(s)), whole(items));
}

// ---- through the dispatcher -----------------------------------------------------------------

Value item_schema() {
  using namespace schema;
  return object({{"AOR", str("the AOR")}, {"Contacts", array_of(any("a contact"))}});
}

CommandSpec dump_spec(std::function<Streamed()> make) {
  using namespace schema;
  CommandSpec spec;
  spec.name = "dump_test";
  spec.module = "test";
  spec.summary = "a streamed test reply";
  spec.flags = kReadOnly;
  spec.reply = object({{"Domains", array_of(object({{"name", str("table")},
                                                     {"hash_size", uint()},
                                                     {"AORs", array_of(item_schema())}}))},
                       {"After", str("the end")}});
  spec.handler = [make](const Args&) -> Result { return make(); };
  return spec;
}

Result call(Dispatcher& d, bool accepts_stream) {
  Request req{"dump_test", nullptr, Caller{"test", "unit", Role::admin}, false};
  req.caller.accepts_stream = accepts_stream;
  auto p = std::make_shared<std::promise<Result>>();
  auto f = p->get_future();
  d.call(std::move(req), [p](Result r) { p->set_value(std::move(r)); });
  EXPECT_EQ(f.wait_for(20s), std::future_status::ready);
  return f.get();
}

TEST(StreamedDispatch, ATransportThatCannotWritePiecesGetsOneValue) {
  Registry reg;
  Statistics stats;
  auto items = aors(30);
  reg.add(dump_spec([&] { return streamed(items, 7); }));
  Dispatcher d(reg, stats, {.min_workers = 1, .max_workers = 2, .validate_replies = true});
  Result r = call(d, false);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.is_stream());
  EXPECT_EQ(r.value(), whole(items));
  Result s = call(d, true);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s.is_stream()) << "handed over undrained";
  EXPECT_EQ(drain(*chunked_json(s.take_stream())), to_compact_json(whole(items)));
  d.stop();
}

TEST(StreamedDispatch, ASourceThatFailsWhileDrainedIsA500) {
  Registry reg;
  Statistics stats;
  reg.add(dump_spec([] { return streamed(aors(30), 7, 12); }));
  Dispatcher d(reg, stats, {.min_workers = 1, .max_workers = 2});
  Result r = call(d, false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 500);
  EXPECT_NE(r.error().detail.find("source broke"), std::string::npos) << r.error().detail;
  d.stop();
}

TEST(StreamedDispatch, ItemsAreCheckedAgainstTheReplySchemaAsTheyCome) {
  Registry reg;
  Statistics stats;
  auto items = aors(20);
  items[13]["AOR"] = 42;  // not a string
  reg.add(dump_spec([&] { return streamed(items, 5); }));
  Dispatcher d(reg, stats, {.min_workers = 1, .max_workers = 2, .validate_replies = true});
  Result r = call(d, true);
  ASSERT_TRUE(r.is_stream());
  auto pieces = chunked_json(r.take_stream());
  std::string out;
  EXPECT_THROW(
      {
        while (pieces->next(out)) {
        }
      },
      std::runtime_error);
  // Drained for a transport without pieces, the same reply is a 500.
  Result whole_reply = call(d, false);
  ASSERT_FALSE(whole_reply.ok());
  EXPECT_EQ(whole_reply.error().code, 500);
  d.stop();
}

}  // namespace
}  // namespace sb::mi
