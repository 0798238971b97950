// xmlrpc_response.h: reads an XML-RPC methodResponse with xmlrpc-c's C API (any int faultCode,
// struct member order kept), for tests that check what our /RPC2 answers.
// Threading: pure function.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace sb::test {

/// {"ok": <result>} or {"faultCode": <int>, "faultString": <text>}; throws std::runtime_error
/// when xmlrpc-c cannot parse the response.
nlohmann::ordered_json parse_xmlrpc_response(const std::string& xml);

}  // namespace sb::test
