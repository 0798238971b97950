// fifo_framer_test.cpp: request boundaries in the FIFO byte stream, and reply-name rules.
#include "transports/fifo/fifo_framer.h"

#include <gtest/gtest.h>

#include "transports/fifo/reply_fifo.h"

namespace sb::transports {
namespace {

using mi::TextBlock;
using Dialect = FramedRequest::Dialect;

FifoFramer::Layout layout_for_tests() {
  return [](std::string_view cmd) -> std::vector<TextBlock> {
    if (cmd == "t_uac_dlg")
      return {TextBlock::line, TextBlock::line, TextBlock::line, TextBlock::line_set, TextBlock::body};
    return {};
  };
}

std::vector<FramedRequest> feed_bytewise(FifoFramer& f, std::string_view s) {
  std::vector<FramedRequest> all;
  for (char c : s)
    for (auto& r : f.feed(std::string_view(&c, 1))) all.push_back(std::move(r));
  return all;
}

TEST(FifoFramer, TextRequestSplitAcrossEveryByte) {
  FifoFramer f(65536, layout_for_tests());
  auto out = feed_bytewise(f, ":print:r1\nhello\n\n");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].dialect, Dialect::text);
  EXPECT_EQ(out[0].command, "print");
  EXPECT_EQ(out[0].reply_name, "r1");
  EXPECT_EQ(out[0].params, mi::Value::array({"hello"}));
  EXPECT_FALSE(out[0].error);
  EXPECT_EQ(f.buffered(), 0u);
}

TEST(FifoFramer, SeveralRequestsInOneWrite) {
  FifoFramer f(65536, layout_for_tests());
  auto out = f.feed(":uptime:a\n\n:print:b\nx\n\r\n:c:{\"jsonrpc\":\"2.0\",\"method\":\"ps\",\"id\":1}\n:d:{}");
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].command, "uptime");
  EXPECT_TRUE(out[0].params.is_null());
  EXPECT_EQ(out[1].reply_name, "b");
  EXPECT_EQ(out[2].dialect, Dialect::json);
  EXPECT_EQ(out[2].reply_name, "c");
  EXPECT_EQ(out[2].json, "{\"jsonrpc\":\"2.0\",\"method\":\"ps\",\"id\":1}");
  EXPECT_EQ(out[3].json, "{}");
}

TEST(FifoFramer, JsonWithBracesInStringsAndNoNewline) {
  FifoFramer f(65536, layout_for_tests());
  std::string req = R"(:r:{"jsonrpc":"2.0","method":"print","params":["}{\"]"],"id":2})";
  auto out = feed_bytewise(f, req);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].json, req.substr(3));
}

TEST(FifoFramer, EmptyReplyNameMeansNoReply) {
  FifoFramer f(65536, layout_for_tests());
  auto out = f.feed(":print:\nx\n\n::{\"jsonrpc\":\"2.0\",\"method\":\"uptime\"}");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].reply_name, "");
  EXPECT_EQ(out[1].reply_name, "");
  EXPECT_EQ(out[1].dialect, Dialect::json);
}

TEST(FifoFramer, TuacDlgBlocksWithEmptyLinesInTheBody) {
  FifoFramer f(65536, layout_for_tests());
  std::string req =
      ":t_uac_dlg:r\nMESSAGE\nsip:bob@example.com\n.\nFrom: <sip:a@b>\nTo: <sip:bob@example.com>\n"
      "Content-Type: text/plain\n.\nline one\n\nline three\n.\n\n";
  auto out = feed_bytewise(f, req);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_FALSE(out[0].error);
  ASSERT_EQ(out[0].params.size(), 5u);
  EXPECT_EQ(out[0].params[2], "");
  EXPECT_EQ(out[0].params[3], "From: <sip:a@b>\r\nTo: <sip:bob@example.com>\r\nContent-Type: text/plain");
  EXPECT_EQ(out[0].params[4], "line one\r\n\r\nline three\r\n");
}

TEST(FifoFramer, GarbageIsSkippedUpToTheNextEmptyLine) {
  FifoFramer f(65536, layout_for_tests());
  auto out = f.feed("garbage\nmore garbage\n\n:uptime:r\n\n");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].command, "uptime");
  EXPECT_EQ(f.garbage_blocks(), 1u);
  out = f.feed(":nocolon\nx\n\n:print:r\ny\n\n");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].params, mi::Value::array({"y"}));
  EXPECT_EQ(f.garbage_blocks(), 2u);
}

TEST(FifoFramer, OversizedTextRequestBecomesAnErrorWithItsReplyName) {
  FifoFramer f(1024, layout_for_tests());
  std::vector<FramedRequest> out;
  auto add = [&](std::string_view s) {
    for (auto& r : f.feed(s)) out.push_back(std::move(r));
  };
  add(":print:big\n");
  for (int i = 0; i < 100; ++i) add(std::string(99, 'z') + "\n");
  EXPECT_TRUE(out.empty());
  EXPECT_LE(f.buffered(), 1200u) << "discarded bytes are not kept";
  add("\n:print:next\nok\n\n");
  ASSERT_EQ(out.size(), 2u);
  ASSERT_TRUE(out[0].error);
  EXPECT_EQ(out[0].error->kind, mi::ErrorKind::request_too_large);
  EXPECT_EQ(out[0].reply_name, "big");
  EXPECT_EQ(mi::text_status_line(*out[0].error).rfind("400 Request too large (", 0), 0u);
  EXPECT_EQ(out[1].reply_name, "next");
  EXPECT_FALSE(out[1].error);
}

TEST(FifoFramer, OversizedJsonIsSkippedToTheEndOfTheObject) {
  FifoFramer f(1024, layout_for_tests());
  std::string req = R"(:j:{"jsonrpc":"2.0","method":"print","params":[")" + std::string(5000, 'q') +
                    R"(\"}"],"id":1}:k:{"jsonrpc":"2.0","method":"uptime","id":2})";
  auto out = feed_bytewise(f, req);
  ASSERT_EQ(out.size(), 2u);
  ASSERT_TRUE(out[0].error);
  EXPECT_EQ(out[0].dialect, Dialect::json);
  EXPECT_EQ(out[0].reply_name, "j");
  EXPECT_EQ(out[1].reply_name, "k");
  EXPECT_FALSE(out[1].error);
}

TEST(FifoFramer, CompleteButOverLimitInOneChunk) {
  FifoFramer f(64, layout_for_tests());
  auto out = f.feed(":print:r\n" + std::string(100, 'a') + "\n\n");
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].error);
  EXPECT_EQ(out[0].error->kind, mi::ErrorKind::request_too_large);
}

TEST(FifoFramer, MixedNamedAndPositionalIsAParseError) {
  FifoFramer f(65536, layout_for_tests());
  auto out = f.feed(":print:r\ntext::a\nb\n\n");
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].error);
  EXPECT_EQ(mi::text_status_line(*out[0].error), "400 Parse error in command 'print'");
}

TEST(ReplyName, Rules) {
  EXPECT_EQ(check_reply_name("sbctl_123_abc"), "");
  EXPECT_EQ(check_reply_name("osips_rply_0a1b2c3d"), "");
  EXPECT_NE(check_reply_name("../x"), "");
  EXPECT_NE(check_reply_name("a/b"), "");
  EXPECT_NE(check_reply_name("a..b"), "");
  EXPECT_NE(check_reply_name("a:b"), "");
  EXPECT_NE(check_reply_name(".hidden"), "");
  EXPECT_NE(check_reply_name("a..b"), "");
  EXPECT_NE(check_reply_name("a:b"), "");
  EXPECT_NE(check_reply_name("sp ace"), "");
  EXPECT_NE(check_reply_name(std::string(256, 'a')), "");
  EXPECT_NE(check_reply_name(""), "");
}

TEST(FifoFramer, AbandonAnswersTheIncompleteTextRequestAndResumes) {
  FifoFramer f(65536, layout_for_tests());
  // A t_uac_dlg whose body never gets its closing '.': nothing completes.
  EXPECT_TRUE(f.feed(":t_uac_dlg:r9\nMESSAGE\nsip:a@b\n.\nFrom: <sip:x@y>\n.\nhello\n\n").empty());
  ASSERT_GT(f.buffered(), 0u);
  auto r = f.abandon(std::chrono::milliseconds(5000));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->reply_name, "r9");
  EXPECT_EQ(r->command, "t_uac_dlg");
  ASSERT_TRUE(r->error);
  EXPECT_EQ(r->error->code, 400);
  EXPECT_NE(r->error->detail.find("5000 ms"), std::string::npos) << r->error->detail;
  EXPECT_EQ(f.buffered(), 0u);
  auto next = f.feed(":print:r1\nok\n\n");  // the next writer is served again
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].params, mi::Value::array({"ok"}));
}

TEST(FifoFramer, AbandonIncompleteJsonAndGarbage) {
  FifoFramer f(65536, layout_for_tests());
  EXPECT_TRUE(f.feed(":r2:{\"jsonrpc\":\"2.0\",\"method\":").empty());
  auto r = f.abandon(std::chrono::milliseconds(100));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->dialect, Dialect::json);
  EXPECT_EQ(r->reply_name, "r2");
  ASSERT_TRUE(r->error);
  // Half a command line with no reply name to answer: dropped silently, nothing to reply to.
  EXPECT_TRUE(f.feed("no colon at all").empty());
  EXPECT_FALSE(f.abandon(std::chrono::milliseconds(100)));
  EXPECT_FALSE(f.abandon(std::chrono::milliseconds(100)));  // nothing buffered
}

TEST(FifoFramer, TruncatedJsonFollowedByAnotherRequestResynchronises) {
  // Issue #11 item 10b: w2 stops mid-object, then another client's request arrives.
  FifoFramer f(65536, layout_for_tests());
  auto out = f.feed(":w1:{\"jsonrpc\":\"2.0\",\"method\":\"uptime\",\"id\":1}\n"
                    ":w2:{\"jsonrpc\":\"2.0\",\"meth");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].reply_name, "w1");
  out = f.feed(":r:{\"jsonrpc\":\"2.0\",\"method\":\"uptime\",\"id\":2}");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].reply_name, "w2");
  ASSERT_TRUE(out[0].error);
  EXPECT_EQ(out[0].error->kind, mi::ErrorKind::parse_error);
  EXPECT_EQ(out[1].reply_name, "r");
  EXPECT_FALSE(out[1].error);
  EXPECT_EQ(out[1].json, "{\"jsonrpc\":\"2.0\",\"method\":\"uptime\",\"id\":2}");
  EXPECT_EQ(f.buffered(), 0u);
  // A text request appended to a truncated JSON one, at a line start, resynchronises too.
  out = f.feed(":w3:{\"jsonrpc\":\"2.0\",\"method\":[1,\n:uptime:t\n\n");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].error);
  EXPECT_EQ(out[1].command, "uptime");
  EXPECT_EQ(out[1].reply_name, "t");
}

TEST(FifoFramer, ValidJsonWithHeaderLikeStringsIsNotCut) {
  FifoFramer f(65536, layout_for_tests());
  const std::string req = ":r:{\"jsonrpc\":\"2.0\",\"method\":\"print\",\"params\":[\":x:{\"],\"id\":1}";
  auto out = feed_bytewise(f, req);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].error);
  EXPECT_EQ(out[0].json, req.substr(3));
}

TEST(FifoFramer, TextRequestCutShortByTheNextWritersFirstLine) {
  // Issue #11 item 10: a writer trickles params and never ends its request; another writer's
  // `:uptime:legit` line must start a new request, not become a param of the stalled one.
  auto known = [](std::string_view c) { return c == "uptime" || c == "print"; };
  FifoFramer f(65536, layout_for_tests(), known);
  EXPECT_TRUE(f.feed(":print:x\na\n").empty());
  auto out = f.feed(":uptime:legit\n\n");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].reply_name, "x");
  ASSERT_TRUE(out[0].error);
  EXPECT_EQ(out[0].error->kind, mi::ErrorKind::parse_error);
  EXPECT_EQ(out[1].reply_name, "legit");
  EXPECT_EQ(out[1].command, "uptime");
  EXPECT_FALSE(out[1].error);
  // Garbage skipping stops at a known command's first line too (even one split across writes).
  EXPECT_TRUE(f.feed("junk\nmore junk\n:upt").empty());
  out = f.feed("ime:g\n\n");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].reply_name, "g");
  // A would-be first line is kept only while short: a huge one is garbage (memory stays bounded).
  EXPECT_TRUE(f.feed("junk\n:" + std::string(5000, 'a')).empty());
  EXPECT_LE(f.buffered(), 600u);
  out = f.feed("\n\n:uptime:h\n\n");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].reply_name, "h");
  // An unknown command's shape inside params is a param, not a header.
  out = f.feed(":print:p\n:nosuch:thing\n\n");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].reply_name, "p");
}

}  // namespace
}  // namespace sb::transports
