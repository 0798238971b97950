// jsonrpc_limits_test.cpp: the JSON-RPC decoder refuses structure bombs before building a tree
// (issue #11 items 1 and 7): nesting over core.max_nesting, batches over core.max_batch.
#include <gtest/gtest.h>

#include <string>

#include "mi/codec/jsonrpc.h"
#include "mi/codec/limits.h"

namespace sb::mi {
namespace {

std::string nested_params(std::size_t levels) {
  return R"({"jsonrpc":"2.0","method":"x","params":)" + std::string(levels, '[') +
         std::string(levels, ']') + R"(,"id":1})";
}

TEST(JsonNesting, CountsOutsideStringsOnly) {
  EXPECT_EQ(json_nesting(R"({"a":[1,{"b":[]}]})", 100), 4u);
  EXPECT_EQ(json_nesting(R"({"a":"[[[[\"[[[["})", 100), 1u);
  EXPECT_EQ(json_nesting(R"(["\\",[]])", 100), 2u);  // an escaped backslash ends nothing
  EXPECT_EQ(json_nesting(std::string(100000, '['), 65), 65u);  // stops early
}

TEST(JsonRpcLimits, FiftyThousandLevelsAreRefusedNamingTheLimit) {
  JsonRpcMessage m = decode_jsonrpc(nested_params(50000));
  ASSERT_TRUE(m.error);
  EXPECT_EQ(jsonrpc_error(*m.error).code, -32600);
  EXPECT_NE(m.error->detail.find("64"), std::string::npos) << m.error->detail;
  EXPECT_NE(m.error->detail.find("core.max_nesting"), std::string::npos);
}

TEST(JsonRpcLimits, NestingUpToTheLimitIsDecoded) {
  const std::size_t max = decode_limits().max_nesting;
  JsonRpcMessage ok = decode_jsonrpc(nested_params(max - 1));  // + the request object = max
  ASSERT_FALSE(ok.error) << ok.error->detail;
  ASSERT_EQ(ok.items.size(), 1u);
  EXPECT_FALSE(ok.items[0].error);
  JsonRpcMessage over = decode_jsonrpc(nested_params(max));
  ASSERT_TRUE(over.error);
}

TEST(JsonRpcLimits, LimitsAreSettable) {
  const DecodeLimits saved = decode_limits();
  set_decode_limits({8, 2});
  EXPECT_TRUE(decode_jsonrpc(nested_params(8)).error);
  EXPECT_FALSE(decode_jsonrpc(nested_params(7)).error);
  const std::string one = R"({"jsonrpc":"2.0","method":"uptime","id":1})";
  EXPECT_FALSE(decode_jsonrpc("[" + one + "," + one + "]").error);
  JsonRpcMessage three = decode_jsonrpc("[" + one + "," + one + "," + one + "]");
  ASSERT_TRUE(three.error);
  EXPECT_EQ(jsonrpc_error(*three.error).code, -32600);
  EXPECT_NE(three.error->detail.find("core.max_batch"), std::string::npos);
  set_decode_limits(saved);
}

TEST(JsonRpcLimits, BatchOverTheCapIsOneError) {
  std::string batch = "[";
  for (std::size_t i = 0; i <= decode_limits().max_batch; ++i)
    batch += std::string(i ? "," : "") + R"({"jsonrpc":"2.0","method":"uptime","id":)" +
             std::to_string(i) + "}";
  batch += "]";
  JsonRpcMessage m = decode_jsonrpc(batch);
  ASSERT_TRUE(m.error);
  EXPECT_NE(m.error->detail.find("100"), std::string::npos) << m.error->detail;
}

}  // namespace
}  // namespace sb::mi
