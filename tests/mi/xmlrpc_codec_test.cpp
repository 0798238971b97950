// xmlrpc_codec_test.cpp: mi/codec/xmlrpc — decoding methodCalls (every accepted value type,
// named/positional/no params, malformed → -32700, invalid → -32600, wide ints, non-BMP
// characters) and encoding replies (type mapping, int/i8 boundary, escaping, control characters,
// invalid UTF-8, every fault row of spec/wire.md §2), checked against golden files
// (tests/golden/xmlrpc_*.xml, exact bytes, CRLF) and read back with xmlrpc-c's own parsers.
#include "mi/codec/xmlrpc.h"
#include "mi/codec/limits.h"

#include <xmlrpc-c/base.h>
#include <xmlrpc-c/base.hpp>
#include <xmlrpc-c/xml.hpp>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>

#include <gtest/gtest.h>

#include "support/xmlrpc_response.h"

#include "golden.h"
#include "mi/binding.h"

namespace sb::mi {
namespace {

using test::matches_golden;

// ---- helpers ----------------------------------------------------------------------------------

std::string call_xml(std::string_view params_inner, std::string_view method = "m") {
  return std::string("<?xml version=\"1.0\"?><methodCall><methodName>") + std::string(method) +
         "</methodName><params>" + std::string(params_inner) + "</params></methodCall>";
}
std::string xparam(std::string_view value_inner) {
  return "<param><value>" + std::string(value_inner) + "</value></param>";
}
/// The params of a one-param call whose value is `value_inner`.
Value one(std::string_view value_inner) {
  XmlRpcCall c = decode_xmlrpc_call(call_xml(xparam(value_inner)));
  if (c.error) throw std::runtime_error("decode failed: " + c.error->detail);
  if (!c.params.is_array() || c.params.size() != 1) throw std::runtime_error("not one param");
  return c.params[0];
}

struct Parsed {
  bool ok = false;
  Value result;
  int fault_code = 0;
  std::string fault_string;
};

/// A methodResponse read back by xmlrpc-c (any int fault code), via tests/support.
Parsed parse_response(const std::string& xml) {
  Parsed p;
  Value r;
  try {
    r = sb::test::parse_xmlrpc_response(xml);
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what();
    return p;
  }
  if (r.contains("ok")) {
    p.ok = true;
    p.result = r["ok"];
  } else {
    p.fault_code = r["faultCode"].get<int>();
    p.fault_string = r["faultString"].get<std::string>();
  }
  return p;
}

Parsed fault_of(const Error& e) {
  Parsed p = parse_response(render_xmlrpc(e));
  EXPECT_FALSE(p.ok);
  return p;
}

Error bind_error(const CommandSpec& spec, const Value& params) {
  auto r = bind_params(spec, params);
  if (!std::holds_alternative<Error>(r)) throw std::runtime_error("bound without error");
  return std::get<Error>(r);
}

// ---- decoding: value types ---------------------------------------------------------------------

TEST(XmlRpcDecode, EveryAcceptedScalarType) {
  EXPECT_EQ(one("<string>abc</string>"), Value("abc"));
  EXPECT_EQ(one("untyped text"), Value("untyped text"));
  EXPECT_EQ(one(""), Value(""));
  EXPECT_EQ(one("<string></string>"), Value(""));
  EXPECT_EQ(one("<int>42</int>"), Value(42));
  EXPECT_EQ(one("<int>-7</int>"), Value(-7));
  EXPECT_EQ(one("<int>+5</int>"), Value(5));
  EXPECT_EQ(one("<i4>2147483647</i4>"), Value(2147483647));
  EXPECT_EQ(one("<i8>9223372036854775807</i8>"), Value(std::numeric_limits<std::int64_t>::max()));
  EXPECT_EQ(one("<ex:i8>-9223372036854775808</ex:i8>"),
            Value(std::numeric_limits<std::int64_t>::min()));
  EXPECT_EQ(one("<boolean>1</boolean>"), Value(true));
  EXPECT_EQ(one("<boolean>0</boolean>"), Value(false));
  EXPECT_EQ(one("<double>2.5</double>"), Value(2.5));
  EXPECT_EQ(one("<double>-0.125</double>"), Value(-0.125));
  EXPECT_TRUE(one("<nil/>").is_null());
  EXPECT_TRUE(one("<ex:nil/>").is_null());
  // <base64> → the decoded bytes as a string.
  EXPECT_EQ(one("<base64>aGVsbG8gd29ybGQ=</base64>"), Value("hello world"));
  EXPECT_EQ(one("<base64>AP8=</base64>"), Value(std::string("\x00\xff", 2)));
  // <dateTime.iso8601> → its string, in xmlrpc-c's normal form.
  EXPECT_EQ(one("<dateTime.iso8601>20240101T10:00:00</dateTime.iso8601>"),
            Value("20240101T10:00:00"));
}

TEST(XmlRpcDecode, ArraysAndStructsNest) {
  Value v = one(
      "<array><data><value><int>1</int></value><value>two</value>"
      "<value><array><data><value><boolean>1</boolean></value></data></array></value>"
      "<value><struct><member><name>z</name><value><nil/></value></member>"
      "<member><name>a</name><value><array><data></data></array></value></member></struct></value>"
      "</data></array>");
  EXPECT_EQ(v.dump(), R"([1,"two",[true],{"z":null,"a":[]}])");  // member order kept
  EXPECT_EQ(one("<array><data/></array>"), Value::array());
}

TEST(XmlRpcDecode, PositionalParams) {
  XmlRpcCall c = decode_xmlrpc_call(
      call_xml(xparam("<string>a</string>") + xparam("<int>5</int>") + xparam("<struct/>"), "print"));
  ASSERT_FALSE(c.error);
  EXPECT_EQ(c.method, "print");
  EXPECT_EQ(c.params.dump(), R"(["a",5,{}])");  // a struct among others stays positional
}

TEST(XmlRpcDecode, OneStructParamIsNamedParams) {
  XmlRpcCall c = decode_xmlrpc_call(call_xml(
      xparam("<struct><member><name>zeta</name><value>1</value></member>"
            "<member><name>alpha</name><value><int>2</int></value></member></struct>"),
      "ul_show_contact"));
  ASSERT_FALSE(c.error);
  ASSERT_TRUE(c.params.is_object());
  EXPECT_EQ(c.params.dump(), R"({"zeta":"1","alpha":2})");
}

TEST(XmlRpcDecode, NoParams) {
  for (const std::string& body :
       {std::string("<methodCall><methodName>uptime</methodName></methodCall>"),
        std::string("<methodCall><methodName>uptime</methodName><params/></methodCall>"),
        std::string("<methodCall><methodName>uptime</methodName><params></params></methodCall>"),
        std::string("<?xml version=\"1.0\"?>\n<methodCall>\n  <methodName>uptime</methodName>\n"
                    "  <params>\n  </params>\n</methodCall>\n"),
        call_xml(xparam("<struct></struct>"), "uptime")}) {
    XmlRpcCall c = decode_xmlrpc_call(body);
    ASSERT_FALSE(c.error) << body << ": " << c.error->detail;
    EXPECT_EQ(c.method, "uptime");
    EXPECT_TRUE(c.params.is_null()) << body;
  }
}

TEST(XmlRpcDecode, WhatXmlrpcCsOwnClientSends) {
  xmlrpc_c::paramList pl;
  pl.add(xmlrpc_c::value_string("héllo <&>"));
  pl.add(xmlrpc_c::value_int(-3));
  pl.add(xmlrpc_c::value_i8(1LL << 40));
  pl.add(xmlrpc_c::value_boolean(true));
  pl.add(xmlrpc_c::value_double(0.5));
  pl.add(xmlrpc_c::value_nil());
  std::vector<xmlrpc_c::value> items{xmlrpc_c::value_string("a"), xmlrpc_c::value_int(1)};
  pl.add(xmlrpc_c::value_array(items));
  std::string xml;
  xmlrpc_c::xml::generateCall("core:print", pl, &xml);
  XmlRpcCall c = decode_xmlrpc_call(xml);
  ASSERT_FALSE(c.error) << c.error->detail;
  EXPECT_EQ(c.method, "core:print");
  EXPECT_EQ(c.params.dump(), R"(["héllo <&>",-3,1099511627776,true,0.5,null,["a",1]])");
  // The apache dialect (<ex:i8>, <ex:nil/>).
  xmlrpc_c::xml::generateCall("m", pl, xmlrpc_dialect_apache, &xml);
  c = decode_xmlrpc_call(xml);
  ASSERT_FALSE(c.error) << c.error->detail;
  EXPECT_EQ(c.params[2], Value(1LL << 40));
  EXPECT_TRUE(c.params[5].is_null());
}

TEST(XmlRpcDecode, EscapesAndCdataAreText) {
  EXPECT_EQ(one("<string>&lt;a&gt; &amp; &quot;&apos; &#233;&#xe9;</string>"),
            Value("<a> & \"' éé"));
  EXPECT_EQ(one("<string><![CDATA[<x>&amp;]]></string>"), Value("<x>&amp;"));
  EXPECT_EQ(one("<string>  spaced  </string>"), Value("  spaced  "));
}

TEST(XmlRpcDecode, LineEndsComeBackAsLf) {
  // xmlrpc-c normalises CR/CRLF to LF (documented in xmlrpc.h).
  EXPECT_EQ(one("<string>a&#13;&#10;b\r\nc\td</string>"), Value("a\nb\nc\td"));
}

TEST(XmlRpcDecode, CharactersOutsideTheBmp) {
  // xmlrpc-c alone refuses these (fault -510); the codec shields and restores them.
  EXPECT_EQ(one("<string>smile \xF0\x9F\x98\x80!</string>"), Value("smile \xF0\x9F\x98\x80!"));
  EXPECT_EQ(one("<string>&#x1F600;&#128512;\xF4\x8F\xBF\xBF</string>"),
            Value("\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF"));
  EXPECT_EQ(one("untyped \xF0\x90\x80\x80"), Value("untyped \xF0\x90\x80\x80"));
  EXPECT_EQ(one("<string><![CDATA[\xF0\x9F\x98\x80 &#x1F600;]]></string>"),
            Value("\xF0\x9F\x98\x80 &#x1F600;"));  // in CDATA a reference is plain text
  // The placeholder characters themselves pass through unchanged.
  const std::string tricky = "\xEF\xB7\x90\xEE\x80\x80\xEE\x80\x81 \xEF\xB7\x90\xEF\xB7\x91 \xEF\xB7\x90";
  EXPECT_EQ(one("<string>" + tricky + "</string>"), Value(tricky));
  EXPECT_EQ(one("<string>&#xFDD0;&#xE000;&#xE001;</string>"), Value("\xEF\xB7\x90\xEE\x80\x80\xEE\x80\x81"));
  // In method names and member names too.
  XmlRpcCall c = decode_xmlrpc_call(
      call_xml(xparam("<struct><member><name>k\xF0\x9F\x98\x80</name><value>v</value></member></struct>"),
               "m\xF0\x9F\x98\x80"));
  ASSERT_FALSE(c.error) << c.error->detail;
  EXPECT_EQ(c.method, "m\xF0\x9F\x98\x80");
  EXPECT_EQ(c.params.dump(), "{\"k\xF0\x9F\x98\x80\":\"v\"}");
}

TEST(XmlRpcDecode, OnlyUtf8IsAccepted) {
  // Another encoding could hide a <!DOCTYPE> from the byte scan: refused before xmlrpc-c.
  const std::string latin1 =
      "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><methodCall><methodName>m</methodName>"
      "<params><param><value><string>\xE9</string></value></param></params></methodCall>";
  std::string utf16le = "\xFF\xFE";
  for (char c : std::string("<?xml version=\"1.0\" encoding=\"UTF-16\"?><methodCall/>"))
    utf16le += std::string{c, '\0'};
  std::string no_bom = utf16le.substr(2);
  std::string utf32 = std::string("\0\0\xFE\xFF", 4) + std::string("\0\0\0<", 4);
  for (const std::string& body : {latin1, utf16le, no_bom, utf32}) {
    XmlRpcCall c = decode_xmlrpc_call(body);
    ASSERT_TRUE(c.error);
    EXPECT_EQ(c.error->kind, ErrorKind::invalid_request);
    EXPECT_NE(c.error->detail.find("only UTF-8"), std::string::npos) << c.error->detail;
  }
  // UTF-8 with a byte-order mark, declared US-ASCII, declared utf-8: accepted.
  for (const std::string& prefix :
       {std::string("\xEF\xBB\xBF"), std::string("<?xml version=\"1.0\" encoding=\"US-ASCII\"?>"),
        std::string("\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?>")}) {
    const std::string call = call_xml(xparam("<string>x</string>"));
    const bool own_decl = prefix.find("<?xml") != std::string::npos;  // replaces call_xml's
    XmlRpcCall c = decode_xmlrpc_call(prefix + (own_decl ? call.substr(call.find("?>") + 2) : call));
    ASSERT_FALSE(c.error) << prefix << ": " << c.error->detail;
    EXPECT_EQ(c.params[0], Value("x"));
  }
}

TEST(XmlRpcDecode, EntityDeclarationsAnywhereAreRefused) {
  for (const std::string& body :
       {call_xml(xparam("<string>x</string>")) + "<!ENTITY a \"b\">",
        std::string("<methodCall><!DOCTYPE x><methodName>m</methodName></methodCall>")}) {
    XmlRpcCall c = decode_xmlrpc_call(body);
    ASSERT_TRUE(c.error) << body;
    EXPECT_EQ(xmlrpc_fault_code(*c.error), -32600);
    EXPECT_NE(c.error->detail.find("<!ENTITY>"), std::string::npos) << c.error->detail;
  }
}

TEST(XmlRpcDecode, IntBeyond32BitsIsReadAsI8) {
  // xmlrpc-c refuses <int>2147483648</int>; PHP's xmlrpc sends 64-bit ints that way.
  EXPECT_EQ(one("<int>2147483648</int>"), Value(2147483648LL));
  EXPECT_EQ(one("<i4>-2147483649</i4>"), Value(-2147483649LL));
  EXPECT_EQ(one("<int>+9223372036854775807</int>"), Value(std::numeric_limits<std::int64_t>::max()));
  EXPECT_EQ(one("<int>-2147483648</int>"), Value(std::numeric_limits<std::int32_t>::min()));
  EXPECT_EQ(one("<string><![CDATA[<int>2147483648</int>]]></string>"),
            Value("<int>2147483648</int>"));
  XmlRpcCall c = decode_xmlrpc_call(call_xml(xparam("<int>9223372036854775808</int>")));
  ASSERT_TRUE(c.error);
  EXPECT_EQ(c.error->kind, ErrorKind::invalid_request);
}

TEST(XmlRpcDecode, BadI8IsRefusedBeforeXmlrpcCSeesIt) {
  // xmlrpc-c 1.33 crashes (SIGSEGV in its error message) on every one of these.
  for (const char* v : {"<i8>9223372036854775808</i8>", "<i8>-9223372036854775809</i8>",
                        "<i8>1x</i8>", "<i8>1 </i8>", "<i8>-</i8>", "<i8>+-1</i8>",
                        "<i8 >x</i8>", "<i8>&#49;x</i8>", "<i8>1<![CDATA[x]]></i8>",
                        "<i8>1<!--c-->x</i8>", "<ex:i8>x</ex:i8>", "<ex:i8>99999999999999999999</ex:i8>",
                        "<i8>1\n</i8>", "<i8><x/></i8>", "<i8/>", "<i8></i8>", "<i8>\n1</i8>"}) {
    XmlRpcCall c = decode_xmlrpc_call(call_xml(xparam(v)));
    ASSERT_TRUE(c.error) << v;
    EXPECT_EQ(c.error->kind, ErrorKind::invalid_request) << v;
  }
  EXPECT_EQ(one("<i8>-0</i8>"), Value(0));
  EXPECT_EQ(one("<i8>+00000000000000000000042</i8>"), Value(42));
  EXPECT_EQ(one("<i8 >7</i8 >"), Value(7));
  // Only markup counts: the same text in a comment or a CDATA section is fine.
  XmlRpcCall c = decode_xmlrpc_call(
      "<?xml version=\"1.0\"?><!-- <i8>x</i8> --><methodCall><methodName>m</methodName><params>" +
      xparam("<string><![CDATA[<i8>x</i8>]]></string>") + "</params></methodCall>");
  ASSERT_FALSE(c.error) << c.error->detail;
  EXPECT_EQ(c.params[0], Value("<i8>x</i8>"));
}

TEST(XmlRpcDecode, LargeBodiesPastXmlrpcCsDefaultLimit) {
  std::string big(1 << 20, 'x');  // 1 MiB > xmlrpc-c's 512 KiB default
  EXPECT_EQ(one("<string>" + big + "</string>").get_ref<const std::string&>().size(), big.size());
  XmlRpcCall c = decode_xmlrpc_call(std::string(kXmlRpcMaxRequest + 1, ' '));
  ASSERT_TRUE(c.error);
  EXPECT_EQ(c.error->kind, ErrorKind::request_too_large);
  EXPECT_EQ(xmlrpc_fault_code(*c.error), -32600);
}

// ---- decoding: errors --------------------------------------------------------------------------

TEST(XmlRpcDecode, MalformedXmlIsParseError) {
  for (const std::string& body :
       {std::string(""), std::string("garbage"), std::string("{\"jsonrpc\":\"2.0\"}"),
        std::string("<methodCall><methodName>x</methodName>"),
        std::string("<methodCall><methodName>x</methodName><params><param><value><string>a"
                    "</value></param></params></methodCall>"),
        std::string("<methodCall><methodName>x</methodName></methodCall>trailing"),
        call_xml(xparam("<string>bad \xFF utf-8</string>")),
        call_xml(xparam("<string>overlong \xC0\x80</string>")),
        call_xml(xparam("<string>a&#1;b</string>")), call_xml(xparam("<string>a\x01</string>"))}) {
    XmlRpcCall c = decode_xmlrpc_call(body);
    ASSERT_TRUE(c.error) << body;
    EXPECT_EQ(c.error->kind, ErrorKind::parse_error) << body << ": " << c.error->detail;
    Parsed p = fault_of(*c.error);
    EXPECT_EQ(p.fault_code, -32700);
    EXPECT_EQ(p.fault_string.rfind("Parse error: ", 0), 0u) << p.fault_string;
  }
}

TEST(XmlRpcDecode, NotAMethodCallIsInvalidRequest) {
  for (const std::string& body :
       {std::string("<foo/>"), std::string("<methodResponse><params/></methodResponse>"),
        std::string("<methodCall></methodCall>"),
        std::string("<methodCall><methodName></methodName></methodCall>"),
        std::string("<methodCall><methodName>x</methodName><params><param></param></params>"
                    "</methodCall>"),
        call_xml(xparam("<foo>1</foo>")), call_xml(xparam("<boolean>2</boolean>")),
        call_xml(xparam("<int>12x</int>")), call_xml(xparam("<double>abc</double>")),
        call_xml(xparam("<struct><member><name>a</name></member></struct>")),
        std::string("<!DOCTYPE m [<!ENTITY a \"b\">]><methodCall><methodName>&a;</methodName>"
                    "</methodCall>"),
        std::string("<?xml version=\"1.0\"?>\n<!-- c --><!DOCTYPE methodCall SYSTEM \"x.dtd\">"
                    "<methodCall><methodName>m</methodName></methodCall>")}) {
    XmlRpcCall c = decode_xmlrpc_call(body);
    ASSERT_TRUE(c.error) << body;
    EXPECT_EQ(c.error->kind, ErrorKind::invalid_request) << body << ": " << c.error->detail;
    Parsed p = fault_of(*c.error);
    EXPECT_EQ(p.fault_code, -32600);
    EXPECT_EQ(p.fault_string.rfind("Invalid Request: ", 0), 0u) << p.fault_string;
  }
}

TEST(XmlRpcDecode, NestingIsBounded) {
  const auto nested = [](int levels) {
    std::string deep;
    for (int i = 0; i < levels; ++i) deep += "<value><array><data>";
    deep += "<value><int>1</int></value>";
    for (int i = 0; i < levels; ++i) deep += "</data></array></value>";
    return decode_xmlrpc_call(call_xml("<param>" + deep + "</param>"));
  };
  const int max = static_cast<int>(decode_limits().max_nesting);
  XmlRpcCall ok = nested(max - 2);
  EXPECT_FALSE(ok.error) << ok.error->detail;
  for (int levels : {max + 8, 200}) {
    XmlRpcCall c = nested(levels);
    ASSERT_TRUE(c.error) << levels;
    EXPECT_EQ(xmlrpc_fault_code(*c.error), -32600);
    EXPECT_NE(c.error->detail.find("core.max_nesting"), std::string::npos) << c.error->detail;
  }
}

TEST(XmlRpcDecode, DeepUnclosedElementsAreRefusedBeforeParsing) {
  // 340 000 open tags crashed xmlrpc-c's recursive element free: refused by the pre-scan.
  std::string body = "<?xml version=\"1.0\"?><methodCall><methodName>uptime</methodName><params>"
                     "<param><value>";
  for (int i = 0; i < 340000; ++i) body += "<a>";
  XmlRpcCall c = decode_xmlrpc_call(body);
  ASSERT_TRUE(c.error);
  EXPECT_EQ(xmlrpc_fault_code(*c.error), -32600);
  EXPECT_NE(c.error->detail.find("nested deeper"), std::string::npos) << c.error->detail;
  // Comments, CDATA and quoted '>' do not count as elements.
  XmlRpcCall fine = decode_xmlrpc_call(call_xml(
      xparam("<string><![CDATA[" + std::string(1000, '<') + "]]></string>") + "<!--<a><a>-->"));
  EXPECT_FALSE(fine.error) << fine.error->detail;
}

// ---- encoding ----------------------------------------------------------------------------------

TEST(XmlRpcEncode, SuccessStructGolden) {
  Value v = Value::object();
  v["Now"] = "Sun Nov 22 10:00:00 2026";
  v["Up time"] = 3600;
  v["Zeta"] = Value{{"b", 1}, {"a", Value::array({"x", 2.5, true, nullptr})}};  // not sorted
  v["Big"] = 4294967296LL;
  const std::string out = render_xmlrpc(Result(v));
  EXPECT_TRUE(matches_golden("xmlrpc_result_struct.xml", out));
  Parsed p = parse_response(out);
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.result, v);
  EXPECT_EQ(p.result.dump(), v.dump());  // member order survives xmlrpc-c too
}

TEST(XmlRpcEncode, FaultGoldens) {
  EXPECT_TRUE(matches_golden("xmlrpc_fault_method_not_found.xml",
                             render_xmlrpc(Error::unknown_command("nosuch"))));
  EXPECT_TRUE(matches_golden("xmlrpc_fault_arity.xml",
                             render_xmlrpc(Error::arity("missing parameter 'text' of 'print'"))));
  EXPECT_TRUE(matches_golden("xmlrpc_fault_handler_404.xml",
                             render_xmlrpc(Error::failure(404, "AOR not found"))));
}

TEST(XmlRpcEncode, ExactScalars) {
  const auto v = [](const Value& x) { return render_xmlrpc_value(x); };
  EXPECT_EQ(v("s"), "<value><string>s</string></value>");
  EXPECT_EQ(v(""), "<value><string></string></value>");
  EXPECT_EQ(v(true), "<value><boolean>1</boolean></value>");
  EXPECT_EQ(v(false), "<value><boolean>0</boolean></value>");
  EXPECT_EQ(v(nullptr), "<value><nil/></value>");
  EXPECT_EQ(v(2.5), "<value><double>2.5</double></value>");
  EXPECT_EQ(v(0.1), "<value><double>0.1</double></value>");
  EXPECT_EQ(v(-3.0), "<value><double>-3</double></value>");
  EXPECT_EQ(v(Value::array()), "<value><array><data>\r\n</data></array></value>");
  EXPECT_EQ(v(Value::object()), "<value><struct>\r\n</struct></value>");
  EXPECT_EQ(v(Value::binary({'h', 'i', '!'})), "<value><base64>\r\naGkh\r\n</base64></value>");
  // XML-RPC has no exponents, no NaN, no infinity.
  const std::string huge = v(1e300);
  EXPECT_EQ(huge, "<value><double>1" + std::string(300, '0') + "</double></value>");
  const std::string tiny = v(1e-300);
  EXPECT_EQ(tiny, "<value><double>0." + std::string(299, '0') + "1</double></value>");
  EXPECT_EQ(v(1.5e-7), "<value><double>0.00000015</double></value>");
  EXPECT_EQ(v(-1.25e22), "<value><double>-12500000000000000000000</double></value>");
  EXPECT_EQ(v(123456789.125), "<value><double>123456789.125</double></value>");
  EXPECT_EQ(v(std::numeric_limits<double>::quiet_NaN()), "<value><nil/></value>");
  EXPECT_EQ(v(std::numeric_limits<double>::infinity()), "<value><nil/></value>");
  Parsed p = parse_response(render_xmlrpc(Result(Value::array({1e300, 1e-300, 0.1, -0.0}))));
  ASSERT_TRUE(p.ok);
  EXPECT_DOUBLE_EQ(p.result[0].get<double>(), 1e300);  // xmlrpc-c's reader is not exact
  EXPECT_NEAR(p.result[1].get<double>() / 1e-300, 1.0, 1e-12);
  EXPECT_EQ(p.result[2].get<double>(), 0.1);
}

TEST(XmlRpcEncode, IntOrI8AtThe32BitBoundary) {
  const auto v = [](const Value& x) { return render_xmlrpc_value(x); };
  EXPECT_EQ(v(2147483647), "<value><int>2147483647</int></value>");
  EXPECT_EQ(v(2147483648LL), "<value><i8>2147483648</i8></value>");
  EXPECT_EQ(v(-2147483648LL), "<value><int>-2147483648</int></value>");
  EXPECT_EQ(v(-2147483649LL), "<value><i8>-2147483649</i8></value>");
  EXPECT_EQ(v(std::numeric_limits<std::int64_t>::min()),
            "<value><i8>-9223372036854775808</i8></value>");
  EXPECT_EQ(v(std::uint64_t{2147483647}), "<value><int>2147483647</int></value>");
  EXPECT_EQ(v(std::uint64_t{2147483648}), "<value><i8>2147483648</i8></value>");
  EXPECT_EQ(v(std::numeric_limits<std::uint64_t>::max()),
            "<value><double>18446744073709551616</double></value>");
  // xmlrpc-c reads them as TYPE_INT and TYPE_I8 (through its C++ parseResponse).
  xmlrpc_c::rpcOutcome outcome;
  xmlrpc_c::xml::parseResponse(
      render_xmlrpc(Result(Value::array({2147483647, 2147483648LL, -2147483648LL, -2147483649LL}))),
      &outcome);
  ASSERT_TRUE(outcome.succeeded());
  std::vector<xmlrpc_c::value> items = xmlrpc_c::value_array(outcome.getResult()).vectorValueValue();
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0].type(), xmlrpc_c::value::TYPE_INT);
  EXPECT_EQ(xmlrpc_c::value_int(items[0]).cvalue(), 2147483647);
  EXPECT_EQ(items[1].type(), xmlrpc_c::value::TYPE_I8);
  EXPECT_EQ(xmlrpc_c::value_i8(items[1]).cvalue(), 2147483648LL);
  EXPECT_EQ(items[2].type(), xmlrpc_c::value::TYPE_INT);
  EXPECT_EQ(items[3].type(), xmlrpc_c::value::TYPE_I8);
  EXPECT_EQ(xmlrpc_c::value_i8(items[3]).cvalue(), -2147483649LL);
}

TEST(XmlRpcEncode, EscapingAndUnicode) {
  EXPECT_EQ(render_xmlrpc_value("héllo <&> \"q\" 'a' ]]>"),
            "<value><string>héllo &lt;&amp;&gt; \"q\" 'a' ]]&gt;</string></value>");
  EXPECT_EQ(render_xmlrpc_value("\xF0\x9F\x98\x80"), "<value><string>\xF0\x9F\x98\x80</string></value>");
  EXPECT_EQ(render_xmlrpc_value(Value{{"<k&>", 1}}),
            "<value><struct>\r\n<member><name>&lt;k&amp;&gt;</name>\r\n<value><int>1</int></value>"
            "</member>\r\n</struct></value>");
  Parsed p = parse_response(render_xmlrpc(Result(Value{{"<k&>", "héllo <&> ]]>"}})));
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.result.dump(), R"({"<k&>":"héllo <&> ]]>"})");
}

TEST(XmlRpcEncode, ControlCharactersStayValidXml) {
  // TAB and LF as is, CR as a reference, every other C0 control (not XML 1.0) → U+FFFD.
  EXPECT_EQ(render_xmlrpc_value(std::string("a\tb\nc\rd\x01" "e\x1f" "f\x00g", 13)),
            "<value><string>a\tb\nc&#13;d\xEF\xBF\xBD" "e\xEF\xBF\xBD" "f\xEF\xBF\xBDg</string></value>");
  EXPECT_EQ(render_xmlrpc_value("x\xEF\xBF\xBEy\xEF\xBF\xBFz"),  // U+FFFE, U+FFFF
            "<value><string>x\xEF\xBF\xBDy\xEF\xBF\xBDz</string></value>");
  EXPECT_EQ(render_xmlrpc_value("\x7f\xC2\x85"), "<value><string>\x7f\xC2\x85</string></value>");
  Parsed p = parse_response(render_xmlrpc(Result(Value::array({std::string("a\x01\x02" "b\tc\nd"), "k\x1b"}))));
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.result[0], Value("a\xEF\xBF\xBD\xEF\xBF\xBD" "b\tc\nd"));
}

TEST(XmlRpcEncode, InvalidUtf8NeverThrows) {
  const std::string bad[] = {"a\xFF\xFE" "b", "trunc\xE2\x82", "\xC0\x80", "\xED\xA0\x80",
                             "\xF4\x90\x80\x80", "\x80", "\xF0\x9F\x98"};
  for (const std::string& s : bad) {
    std::string out;
    ASSERT_NO_THROW(out = render_xmlrpc(Result(Value{{s, s}})));
    Parsed p = parse_response(out);
    ASSERT_TRUE(p.ok) << test::visible(s);
    const std::string got = p.result.begin().value().get<std::string>();
    EXPECT_NE(got.find("\xEF\xBF\xBD"), std::string::npos) << test::visible(got);
  }
  EXPECT_EQ(render_xmlrpc_value("a\xFF\xFE" "b"),
            "<value><string>a\xEF\xBF\xBD\xEF\xBF\xBD" "b</string></value>");
  // A handler error whose reason holds garbage still gives a valid fault.
  Parsed f = fault_of(Error::failure(500, "bad \xFF\x01 reason"));
  EXPECT_EQ(f.fault_code, 500);
  EXPECT_EQ(f.fault_string, "bad \xEF\xBF\xBD\xEF\xBF\xBD reason");
}

TEST(XmlRpcEncode, RoundTripThroughXmlrpcC) {
  Value v = Value::array(
      {"s", "", 0, -1, 2147483647, 2147483648LL, -9000000000LL, 2.5, true, false, nullptr,
       Value::array(), Value::object(), Value::array({Value::array({Value{{"deep", "yes"}}})}),
       Value{{"z", 1}, {"y", Value{{"x", Value::array({1, "2"})}}}, {"a", nullptr}}});
  Parsed p = parse_response(render_xmlrpc(Result(v)));
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.result.dump(), v.dump());
  // And back through our own decoder as a call, via xmlrpc-c's client-side generator.
  XmlRpcCall c = decode_xmlrpc_call(
      "<methodCall><methodName>m</methodName><params><param>" + render_xmlrpc_value(v) +
      "</param></params></methodCall>");
  ASSERT_FALSE(c.error) << c.error->detail;
  EXPECT_EQ(c.params[0].dump(), v.dump());
}

// ---- faults: one row of spec/wire.md §2 each -----------------------------------------------------

TEST(XmlRpcFault, EveryMappingTableRow) {
  CommandSpec spec;
  spec.name = "t";
  spec.params = {param("n", ParamType::int_, "n")};

  Parsed p = fault_of(Error::unknown_command("nosuch"));
  EXPECT_EQ(p.fault_code, -32601);
  EXPECT_EQ(p.fault_string, "Method not found: command 'nosuch' not available");

  p = fault_of(bind_error(spec, Value::array({1, 2})));
  EXPECT_EQ(p.fault_code, -32602);
  EXPECT_EQ(p.fault_string.rfind("Invalid params: Too few or too many arguments (", 0), 0u)
      << p.fault_string;

  p = fault_of(Error::arity("missing parameter 'text' of 'print'"));
  EXPECT_EQ(p.fault_code, -32602);
  EXPECT_EQ(p.fault_string,
            "Invalid params: Too few or too many arguments (missing parameter 'text' of 'print')");

  p = fault_of(bind_error(spec, Value::array({"5x"})));
  EXPECT_EQ(p.fault_code, -32602);
  EXPECT_EQ(p.fault_string.rfind("Invalid params: Bad parameter 'n': ", 0), 0u) << p.fault_string;

  p = fault_of(Error::failure(404, "AOR not found"));
  EXPECT_EQ(p.fault_code, 404);
  EXPECT_EQ(p.fault_string, "AOR not found");

  p = fault_of(Error::failure(200, "Contacts synced", "partially"));
  EXPECT_EQ(p.fault_code, 200);
  EXPECT_EQ(p.fault_string, "Contacts synced");

  p = fault_of(Error::forbidden("read-only caller"));
  EXPECT_EQ(p.fault_code, 403);
  EXPECT_EQ(p.fault_string, "Forbidden");

  p = fault_of(Error::timeout());
  EXPECT_EQ(p.fault_code, 408);
  EXPECT_EQ(p.fault_string, "Request Timeout");

  p = fault_of(Error::parse_error("not XML"));
  EXPECT_EQ(p.fault_code, -32700);  // negative, unlike mi_xmlrpc_ng's 32700
  EXPECT_EQ(p.fault_string, "Parse error: not XML");

  p = fault_of(Error::invalid_request("no methodName"));
  EXPECT_EQ(p.fault_code, -32600);
  EXPECT_EQ(p.fault_string, "Invalid Request: no methodName");

  p = fault_of(Error::request_too_large(10, 5));
  EXPECT_EQ(p.fault_code, -32600);
  EXPECT_EQ(p.fault_string, "Invalid Request: Request too large (10 > 5 bytes)");

  p = fault_of(Error::reply_too_large(10, 5));
  EXPECT_EQ(p.fault_code, 413);

  // Any int code goes through (not limited to xmlrpc-c's C++ fault enum).
  p = parse_response(render_xmlrpc_fault(std::numeric_limits<int>::min(), "min"));
  EXPECT_EQ(p.fault_code, std::numeric_limits<int>::min());
  p = parse_response(render_xmlrpc_fault(123456, "big"));
  EXPECT_EQ(p.fault_code, 123456);
}

TEST(XmlRpcFault, MulticallFaultValueOrder) {
  Value v = xmlrpc_fault_value(Error::unknown_command("x"));
  EXPECT_EQ(v.dump(), R"({"faultCode":-32601,"faultString":"Method not found: command 'x' not available"})");
}

}  // namespace
}  // namespace sb::mi
