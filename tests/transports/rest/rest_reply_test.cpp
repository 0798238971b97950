// rest_reply_test.cpp: the pure pieces of a REST answer — problem+json from the one error table,
// strong ETags and If-Match / If-None-Match lists, percent-encoding.
#include "transports/rest/rest_reply.h"

#include <gtest/gtest.h>

namespace sb::transports::rest {
namespace {

TEST(RestReply, AnMiErrorBecomesProblemJsonThroughTheErrorTable) {
  HttpReply r = problem(mi::Error::failure(404, "Subscriber not found"));
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.content_type, "application/problem+json");
  mi::Value body = mi::Value::parse(r.body);
  EXPECT_EQ(body["type"], "tag:switchboard,2026:problem:not-found");
  EXPECT_EQ(body["title"], "Not Found");
  EXPECT_EQ(body["status"], 404);
  EXPECT_EQ(body["detail"], "Subscriber not found");
  EXPECT_EQ(body["mi_code"], 404);

  body = mi::Value::parse(problem(mi::Error::unknown_command("nope")).body);
  EXPECT_EQ(body["status"], 404);
  EXPECT_EQ(body["type"], "tag:switchboard,2026:problem:unknown-command");
  EXPECT_EQ(body["mi_code"], 500) << "the MI code stays what the FIFO would print";

  body = mi::Value::parse(problem(mi::Error::forbidden("'kill' needs the admin role")).body);
  EXPECT_EQ(body["status"], 403);
  EXPECT_EQ(body["detail"], "Forbidden: 'kill' needs the admin role");
}

TEST(RestReply, TheHostsOwnTextRefusalsAreRestyledWithTheirHeaders) {
  HttpReply text = text_reply(405, "method not allowed");
  text.headers.emplace_back("Allow", "GET, HEAD");
  HttpReply r = restyle(text);
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.content_type, "application/problem+json");
  mi::Value body = mi::Value::parse(r.body);
  EXPECT_EQ(body["detail"], "method not allowed");
  EXPECT_FALSE(body.contains("mi_code"));
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].second, "GET, HEAD");
}

TEST(RestReply, EtagsAreStrongDigestsOfTheBytes) {
  std::string a = etag_of(R"({"a":1})"), b = etag_of(R"({"a":2})");
  EXPECT_NE(a, b);
  EXPECT_EQ(a, etag_of(R"({"a":1})"));
  EXPECT_EQ(a.size(), 34u);
  EXPECT_EQ(a.front(), '"');
  EXPECT_EQ(etag_of_version(mi::Value(7)), "\"7\"");
  EXPECT_EQ(etag_of_version(mi::Value("x\"y z")), "\"xyz\"") << "no quote or blank inside a tag";
}

TEST(RestReply, IfMatchListsCompareStronglyAndStarMatchesAnything) {
  const std::string tag = "\"abc\"";
  EXPECT_TRUE(etag_listed("\"abc\"", tag));
  EXPECT_TRUE(etag_listed("\"x\", \"abc\"", tag));
  EXPECT_TRUE(etag_listed("*", tag));
  EXPECT_FALSE(etag_listed("\"abcd\"", tag));
  EXPECT_FALSE(etag_listed("W/\"abc\"", tag)) << "If-Match compares strongly";
  EXPECT_TRUE(etag_listed("W/\"abc\"", tag, true)) << "If-None-Match compares weakly";
  EXPECT_FALSE(etag_listed("abc", tag)) << "unquoted: matches nothing";
  EXPECT_FALSE(etag_listed("\"abc", tag)) << "unterminated";
  EXPECT_FALSE(etag_listed("", tag));
}

TEST(RestReply, TwoPartEtagsMatchWritesByTheirStablePart) {
  std::string before = two_part_etag(R"({"port":3})", R"({"port":3,"in_use":0})");
  std::string after = two_part_etag(R"({"port":3})", R"({"port":3,"in_use":1})");
  EXPECT_NE(before, after) << "a GET sees the run-time change";
  EXPECT_FALSE(etag_listed(before, after, true));
  EXPECT_TRUE(etag_listed_stable(before, etag_of(R"({"port":3})"))) << "a write does not conflict with it";
  EXPECT_FALSE(etag_listed_stable(before, etag_of(R"({"port":4})")));
  EXPECT_TRUE(etag_listed_stable("*", etag_of("x")));
  EXPECT_FALSE(etag_listed_stable("W/" + before, etag_of(R"({"port":3})")));
}

TEST(RestReply, PercentEncodingKeepsPathCharactersOnlyInPaths) {
  EXPECT_EQ(percent_encode("a b/c?d&e=f"), "a%20b%2Fc%3Fd%26e%3Df");
  EXPECT_EQ(percent_encode("alice@example.com", true), "alice@example.com");
  EXPECT_EQ(percent_encode("alice@example.com"), "alice%40example.com");
  EXPECT_EQ(percent_encode("sip:a@b;x=y", true), "sip:a@b%3Bx%3Dy");
  EXPECT_EQ(percent_encode("\xc3\xa9"), "%C3%A9");
}

}  // namespace
}  // namespace sb::transports::rest
