// rest_binding_test.cpp: what the registry refuses in a command's REST bindings, where each
// param comes from, and the opaque paging cursors.
#include "mi/cursor.h"
#include "mi/registry.h"
#include "mi/reply_schema.h"

#include <gtest/gtest.h>

namespace sb::mi {
namespace {

CommandSpec with(std::vector<RestBinding> rest, unsigned flags = 0) {
  CommandSpec s;
  s.name = "thing_cmd";
  s.module = "test";
  s.summary = "a command";
  s.flags = flags;
  s.params = {param("name", ParamType::string_, "its name"), optional_param("items", ParamType::array_, "many")};
  s.reply = schema::any();
  s.rest = std::move(rest);
  s.handler = [](const Args&) -> Result { return Value("ok"); };
  return s;
}

std::string refusal(CommandSpec s) { return Registry::validate(s); }

TEST(RestBinding, TheRegistryRefusesBindingsThatCannotWork) {
  EXPECT_EQ(refusal(with({rest::get("/things/{name}").with("items", Value::array())}, kReadOnly)), "");
  EXPECT_NE(refusal(with({rest::get("/things/{name}")})).find("GET never mutates"), std::string::npos);
  EXPECT_NE(refusal(with({rest::post("/things/{id}")})).find("'id' is not a param"), std::string::npos);
  EXPECT_NE(refusal(with({rest::post("things")})).find("must start with '/'"), std::string::npos);
  EXPECT_NE(refusal(with({rest::post("/things/{name}{items}")})).find("nothing between"), std::string::npos);
  EXPECT_NE(refusal(with({rest::post("/Things")})).find("lower-case"), std::string::npos);
  EXPECT_NE(refusal(with({rest::post("/things/{items}")})).find("not a string or an integer"), std::string::npos);
  EXPECT_NE(refusal(with({rest::del("/things/{name}")})).find("array param 'items'"), std::string::npos)
      << "a DELETE reads its other params from the query string, where an array cannot be";
  EXPECT_NE(refusal(with({rest::post("/things").if_match()})).find("If-Match"), std::string::npos);
  EXPECT_EQ(refusal(with({rest::post("/things/{name}/x").if_match_of("/things/{name}")})), "");
  EXPECT_NE(refusal(with({rest::post("/things").with("nope", 1)})).find("'nope'"), std::string::npos);
  RestBinding no_location = rest::post("/things");
  no_location.status = 201;
  EXPECT_NE(refusal(with({no_location})).find("201"), std::string::npos);
  EXPECT_NE(refusal(with({rest::post("/things"), rest::post("/things")})).find("twice"), std::string::npos);
  EXPECT_NE(refusal(with({rest::post("/things").body_as("name")})).find("not an object"), std::string::npos);
}

TEST(RestBinding, ParamsComeFromThePathFixedValuesTheQueryOrTheBody) {
  CommandSpec s = with({rest::post("/things/{name}/block").with("items", Value::array())});
  const RestBinding& b = s.rest[0];
  EXPECT_EQ(rest_source(b, "name"), RestSource::path);
  EXPECT_EQ(rest_source(b, "items"), RestSource::fixed);
  RestBinding get = rest::get("/things");
  EXPECT_EQ(rest_source(get, "name"), RestSource::query);
  RestBinding put = rest::put("/things").from_query({"name"});
  EXPECT_EQ(rest_source(put, "name"), RestSource::query);
  EXPECT_EQ(rest_source(put, "items"), RestSource::body);
  EXPECT_EQ(rest::path_params("/s/{username}@{domain}"), (std::vector<std::string>{"username", "domain"}));
}

TEST(Cursor, RoundTripsAndRefusesWhatItDidNotMake) {
  std::string c = make_cursor({"example.com", "alice"});
  auto parts = read_cursor(c, 2);
  ASSERT_TRUE(parts);
  EXPECT_EQ(*parts, (std::vector<std::string>{"example.com", "alice"}));
  EXPECT_FALSE(read_cursor(c, 1)) << "another list's cursor";
  EXPECT_FALSE(read_cursor("zz", 1));
  EXPECT_FALSE(read_cursor("abc", 1)) << "odd length";
  EXPECT_FALSE(read_cursor("", 1));
  EXPECT_FALSE(read_cursor(std::string(5000, 'a'), 1)) << "too long";
  EXPECT_EQ(c.find_first_not_of("0123456789abcdef"), std::string::npos) << "URL-safe";
}

}  // namespace
}  // namespace sb::mi
