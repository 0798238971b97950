// text_request_test.cpp: the SER / OpenSIPS-2 text request codec (spec/wire.md §3): the command
// line, params ended by an empty line, `.`, named params, incomplete input, t_uac_dlg blocks
// (research/mi-protocols.md §1.2, §1.6) and datagram framing (at_end).
#include "mi/codec/text_request.h"

#include <gtest/gtest.h>

namespace sb::mi {
namespace {

using Status = TextParams::Status;
const std::vector<TextBlock> kLines;  // no declared layout: every param is a line
const std::vector<TextBlock> kUacDlg = {TextBlock::line, TextBlock::line, TextBlock::line,
                                        TextBlock::line_set, TextBlock::body};

TextCommandLine command_ok(std::string_view line) {
  auto r = parse_text_command_line(line);
  if (auto* e = std::get_if<Error>(&r)) {
    ADD_FAILURE() << "'" << line << "' refused: " << text_status_line(*e);
    return {};
  }
  return std::get<TextCommandLine>(r);
}

Error command_err(std::string_view line) {
  auto r = parse_text_command_line(line);
  if (auto* e = std::get_if<Error>(&r)) return *e;
  ADD_FAILURE() << "'" << line << "' accepted";
  return {};
}

TEST(TextCommandLine, CommandAndReplyName) {
  auto c = command_ok(":uptime:r1");
  EXPECT_EQ(c.command, "uptime");
  EXPECT_EQ(c.reply_name, "r1");
  c = command_ok(":ul_show_contact:ser_receiver_4711");
  EXPECT_EQ(c.command, "ul_show_contact");
  EXPECT_EQ(c.reply_name, "ser_receiver_4711");
}

TEST(TextCommandLine, CrLfAndTrailingBlanksTrimmed) {
  auto c = command_ok(":uptime:r1\r\n");
  EXPECT_EQ(c.command, "uptime");
  EXPECT_EQ(c.reply_name, "r1");
  c = command_ok(":uptime:r1 \t\r");
  EXPECT_EQ(c.reply_name, "r1");
}

TEST(TextCommandLine, EmptyReplyName) {
  auto c = command_ok(":uptime:");
  EXPECT_EQ(c.command, "uptime");
  EXPECT_EQ(c.reply_name, "");
  c = command_ok(":uptime:\r\n");
  EXPECT_EQ(c.reply_name, "");
}

TEST(TextCommandLine, Errors) {
  for (const char* bad : {"uptime:r1", "", "\r\n", " :uptime:r1", ":uptime", ":uptime\r\n", "::r1",
                          "::"}) {
    Error e = command_err(bad);
    EXPECT_EQ(e.kind, ErrorKind::parse_error) << "'" << bad << "'";
    EXPECT_EQ(e.code, 400);
    EXPECT_EQ(text_status_line(e), "400 Parse error in command") << "'" << bad << "'";
  }
}

TEST(TextCommandLine, ModuleQualifiedCommand) {
  // The reply name follows the LAST ':', so the text dialect can call `module:name` too.
  auto c = command_ok(":core:uptime:r1");
  EXPECT_EQ(c.command, "core:uptime");
  EXPECT_EQ(c.reply_name, "r1");
  c = command_ok(":core:uptime:");
  EXPECT_EQ(c.command, "core:uptime");
  EXPECT_EQ(c.reply_name, "");
}

// ---- params ----

TextParams parse(std::string_view text, const std::vector<TextBlock>& layout = kLines,
                 bool at_end = false) {
  return parse_text_params(text, layout, "cmd", at_end);
}

TEST(TextParams, OnePerLineEndedByAnEmptyLine) {
  std::string text = "location\nalice@example.com\n\n";
  auto p = parse(text);
  ASSERT_EQ(p.status, Status::complete);
  EXPECT_EQ(p.params, Value::array({"location", "alice@example.com"}));
  EXPECT_EQ(p.consumed, text.size());
  EXPECT_FALSE(p.error);
}

TEST(TextParams, NoParams) {
  auto p = parse("\n");
  ASSERT_EQ(p.status, Status::complete);
  EXPECT_TRUE(p.params.is_null());
  EXPECT_EQ(p.consumed, 1u);
  // A line made only of blanks ends the request too (empty after trimming).
  p = parse(" \t\r\n");
  ASSERT_EQ(p.status, Status::complete);
  EXPECT_TRUE(p.params.is_null());
  EXPECT_EQ(p.consumed, 4u);
}

TEST(TextParams, CrLfTerminator) {
  std::string text = "location\r\nalice@example.com\r\n\r\n";
  auto p = parse(text);
  ASSERT_EQ(p.status, Status::complete);
  EXPECT_EQ(p.params, Value::array({"location", "alice@example.com"}));
  EXPECT_EQ(p.consumed, text.size());
}

TEST(TextParams, TrailingBlanksTrimmed) {
  auto p = parse("value  \t\nother \r\n\n");
  ASSERT_EQ(p.status, Status::complete);
  EXPECT_EQ(p.params, Value::array({"value", "other"}));
}

TEST(TextParams, DotMeansEmpty) {
  auto p = parse("a\n.\nc\n\n");
  ASSERT_EQ(p.status, Status::complete);
  EXPECT_EQ(p.params, Value::array({"a", "", "c"}));
  p = parse(".\n\n");
  ASSERT_EQ(p.status, Status::complete);
  EXPECT_EQ(p.params, Value::array({""}));
}

TEST(TextParams, NamedParams) {
  auto p = parse("table_name::location\naor:: alice@example.com \n\n");
  ASSERT_EQ(p.status, Status::complete);
  EXPECT_EQ(p.params, (Value{{"table_name", "location"}, {"aor", "alice@example.com"}}));
}

TEST(TextParams, ValueWithDoubleColonStaysPositional) {
  auto p = parse("sip:[::1]:5060\n[::1]\n\n");
  ASSERT_EQ(p.status, Status::complete);
  EXPECT_EQ(p.params, Value::array({"sip:[::1]:5060", "[::1]"}));
}

TEST(TextParams, MixedNamedAndPositionalIsAParseError) {
  auto p = parse_text_params("location\naor::alice@example.com\n\n", kLines, "ul_show_contact", false);
  ASSERT_EQ(p.status, Status::error);
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->kind, ErrorKind::parse_error);
  EXPECT_EQ(text_status_line(*p.error), "400 Parse error in command 'ul_show_contact'");
  // The request is still consumed up to its terminator, so the next one can be read.
  EXPECT_EQ(p.consumed, std::string("location\naor::alice@example.com\n\n").size());
}

TEST(TextParams, IncompleteThenComplete) {
  std::string text = "location\nalice@exa";
  auto p = parse(text);
  EXPECT_EQ(p.status, Status::incomplete);
  EXPECT_FALSE(p.error);
  text += "mple.com\n";
  p = parse(text);
  EXPECT_EQ(p.status, Status::incomplete) << "no terminating empty line yet";
  text += "\r";
  p = parse(text);
  EXPECT_EQ(p.status, Status::incomplete) << "the terminator line is not complete yet";
  text += "\n";
  p = parse(text);
  ASSERT_EQ(p.status, Status::complete);
  EXPECT_EQ(p.params, Value::array({"location", "alice@example.com"}));
  EXPECT_EQ(p.consumed, text.size());
  // Nothing at all yet.
  EXPECT_EQ(parse("").status, Status::incomplete);
}

TEST(TextParams, ConsumedPointsAfterTheTerminatorForBackToBackRequests) {
  const std::string stream =
      ":ul_show_contact:r1\nlocation\nalice@example.com\n\n"
      ":uptime:r2\n\n"
      ":which:r3\r\ncommand::ps\r\n\r\n"
      ":get_statistics:";  // the start of a fourth, incomplete
  std::vector<std::pair<TextCommandLine, Value>> got;
  std::size_t pos = 0;
  for (;;) {
    auto nl = stream.find('\n', pos);
    if (nl == std::string::npos) break;
    auto c = command_ok(std::string_view(stream).substr(pos, nl - pos));
    auto p = parse(std::string_view(stream).substr(nl + 1));
    if (p.status != Status::complete) break;
    got.emplace_back(c, p.params);
    pos = nl + 1 + p.consumed;
  }
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].first.command, "ul_show_contact");
  EXPECT_EQ(got[0].first.reply_name, "r1");
  EXPECT_EQ(got[0].second, Value::array({"location", "alice@example.com"}));
  EXPECT_EQ(got[1].first.command, "uptime");
  EXPECT_TRUE(got[1].second.is_null());
  EXPECT_EQ(got[2].first.command, "which");
  EXPECT_EQ(got[2].first.reply_name, "r3");
  EXPECT_EQ(got[2].second, (Value{{"command", "ps"}}));
  EXPECT_EQ(stream.substr(pos), ":get_statistics:");
}

// ---- t_uac_dlg blocks ----

TEST(TextParams, SerctlPingExample) {
  // research/mi-protocols.md §1.6, after the first line.
  const std::string text =
      "OPTIONS\nsip:alice@example.com\n.\nFrom: sip:daemon@proxy.example.com\n"
      "To: <sip:alice@example.com>\nContact: <sip:daemon@!!>\n.\n.\n\n";
  auto p = parse(text, kUacDlg);
  ASSERT_EQ(p.status, Status::complete);
  ASSERT_TRUE(p.params.is_array());
  ASSERT_EQ(p.params.size(), 5u);
  EXPECT_EQ(p.params[0], "OPTIONS");
  EXPECT_EQ(p.params[1], "sip:alice@example.com");
  EXPECT_EQ(p.params[2], "");  // '.' = no next hop
  EXPECT_EQ(p.params[3],
            "From: sip:daemon@proxy.example.com\r\nTo: <sip:alice@example.com>\r\n"
            "Contact: <sip:daemon@!!>");
  EXPECT_EQ(p.params[4], "");  // empty body
  EXPECT_EQ(p.consumed, text.size());
}

TEST(TextParams, BodyKeepsEmptyLinesUntilTheDot) {
  const std::string text =
      "MESSAGE\nsip:bob@example.com\n.\nFrom: <sip:a@x>\nTo: <sip:bob@example.com>\n"
      "Content-Type: text/plain\n.\n"
      "first line\n\nthird line after an empty one\n  indented\n.\n\n";
  auto p = parse(text, kUacDlg);
  ASSERT_EQ(p.status, Status::complete);
  ASSERT_EQ(p.params.size(), 5u);
  EXPECT_EQ(p.params[3], "From: <sip:a@x>\r\nTo: <sip:bob@example.com>\r\nContent-Type: text/plain");
  EXPECT_EQ(p.params[4], "first line\r\n\r\nthird line after an empty one\r\n  indented\r\n");
  EXPECT_EQ(p.consumed, text.size());
}

TEST(TextParams, HeadersEndedByAnEmptyLine) {
  const std::string text =
      "OPTIONS\nsip:alice@example.com\nsip:proxy.example.com\nFrom: <sip:a@x>\r\nTo: <sip:b@y>\r\n"
      "\r\nbody\r\n.\r\n\r\n";
  auto p = parse(text, kUacDlg);
  ASSERT_EQ(p.status, Status::complete);
  ASSERT_EQ(p.params.size(), 5u);
  EXPECT_EQ(p.params[2], "sip:proxy.example.com");
  EXPECT_EQ(p.params[3], "From: <sip:a@x>\r\nTo: <sip:b@y>");
  EXPECT_EQ(p.params[4], "body\r\n");
  EXPECT_EQ(p.consumed, text.size());
}

TEST(TextParams, BlocksAreIncompleteUntilClosed) {
  std::string text = "OPTIONS\nsip:alice@example.com\n.\nFrom: <sip:a@x>\n";
  EXPECT_EQ(parse(text, kUacDlg).status, Status::incomplete);  // header set still open
  text += ".\nbody line\n\n";
  EXPECT_EQ(parse(text, kUacDlg).status, Status::incomplete);  // an empty line does not end a body
  text += ".\n";
  EXPECT_EQ(parse(text, kUacDlg).status, Status::incomplete);  // the final empty line is missing
  text += "\n";
  auto p = parse(text, kUacDlg);
  ASSERT_EQ(p.status, Status::complete);
  EXPECT_EQ(p.params[4], "body line\r\n\r\n");
  EXPECT_EQ(p.consumed, text.size());
}

TEST(TextParams, AtEndEndsTheRequestWithoutTerminator) {
  // Datagram: the end of the text ends the request.
  auto p = parse("location\nalice@example.com", kLines, true);
  ASSERT_EQ(p.status, Status::complete);
  EXPECT_EQ(p.params, Value::array({"location", "alice@example.com"}));
  EXPECT_EQ(p.consumed, std::string("location\nalice@example.com").size());
  p = parse("location\nalice@example.com\n", kLines, true);
  ASSERT_EQ(p.status, Status::complete);
  EXPECT_EQ(p.params, Value::array({"location", "alice@example.com"}));
  p = parse("", kLines, true);
  ASSERT_EQ(p.status, Status::complete);
  EXPECT_TRUE(p.params.is_null());
  // With t_uac_dlg blocks: an unterminated body is taken as it is.
  p = parse("OPTIONS\nsip:alice@example.com\n.\nFrom: <sip:a@x>\n.\nbody", kUacDlg, true);
  ASSERT_EQ(p.status, Status::complete);
  ASSERT_EQ(p.params.size(), 5u);
  EXPECT_EQ(p.params[3], "From: <sip:a@x>");
  EXPECT_EQ(p.params[4], "body\r\n");
  // And a properly terminated datagram is the same as on the FIFO.
  p = parse("OPTIONS\nsip:alice@example.com\n.\nFrom: <sip:a@x>\n.\n.\n", kUacDlg, true);
  ASSERT_EQ(p.status, Status::complete);
  EXPECT_EQ(p.params.size(), 5u);
  EXPECT_EQ(p.params[4], "");
}

}  // namespace
}  // namespace sb::mi

namespace sb::mi {
namespace {

TEST(TextParamsTrim, ValuesAreTrimmedOnBothSidesAndEmptyNamedIsAbsent) {
  auto r = parse_text_params("  padded value \t\n\n", {}, "cmd", false);
  ASSERT_EQ(r.status, TextParams::Status::complete);
  EXPECT_EQ(r.params, Value::array({"padded value"}));
  r = parse_text_params("  level::  debug \nother::\n\n", {}, "cmd", false);
  ASSERT_EQ(r.status, TextParams::Status::complete);
  EXPECT_EQ(r.params["level"], "debug");
  ASSERT_TRUE(r.params.contains("other"));
  EXPECT_TRUE(r.params["other"].is_null());
}

}  // namespace
}  // namespace sb::mi
