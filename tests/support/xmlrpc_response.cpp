// xmlrpc_response.cpp: methodResponse → JSON through xmlrpc-c's C API.
#include "support/xmlrpc_response.h"

#include <xmlrpc-c/base.h>

#include <cstdint>
#include <cstdlib>
#include <stdexcept>

namespace sb::test {

using Value = nlohmann::ordered_json;

namespace {

Value from_xmlrpc(xmlrpc_env* env, xmlrpc_value* v) {
  switch (xmlrpc_value_type(v)) {
    case XMLRPC_TYPE_INT: {
      int i = 0;
      xmlrpc_read_int(env, v, &i);
      return i;
    }
    case XMLRPC_TYPE_I8: {
      xmlrpc_int64 i = 0;
      xmlrpc_read_i8(env, v, &i);
      return static_cast<std::int64_t>(i);
    }
    case XMLRPC_TYPE_BOOL: {
      xmlrpc_bool b = 0;
      xmlrpc_read_bool(env, v, &b);
      return b != 0;
    }
    case XMLRPC_TYPE_DOUBLE: {
      double d = 0;
      xmlrpc_read_double(env, v, &d);
      return d;
    }
    case XMLRPC_TYPE_STRING: {
      const char* s = nullptr;
      size_t n = 0;
      xmlrpc_read_string_lp(env, v, &n, &s);
      std::string out(s ? s : "", n);
      std::free(const_cast<char*>(s));
      return out;
    }
    case XMLRPC_TYPE_NIL: return nullptr;
    case XMLRPC_TYPE_ARRAY: {
      Value out = Value::array();
      for (int i = 0; i < xmlrpc_array_size(env, v); ++i) {
        xmlrpc_value* item = nullptr;
        xmlrpc_array_read_item(env, v, i, &item);
        out.push_back(from_xmlrpc(env, item));
        xmlrpc_DECREF(item);
      }
      return out;
    }
    case XMLRPC_TYPE_STRUCT: {
      Value out = Value::object();
      for (int i = 0; i < xmlrpc_struct_size(env, v); ++i) {
        xmlrpc_value *k = nullptr, *item = nullptr;
        xmlrpc_struct_read_member(env, v, i, &k, &item);
        out[from_xmlrpc(env, k).get<std::string>()] = from_xmlrpc(env, item);
        xmlrpc_DECREF(k);
        xmlrpc_DECREF(item);
      }
      return out;
    }
    default: return "<unexpected type>";
  }
}

}  // namespace

Value parse_xmlrpc_response(const std::string& xml) {
  xmlrpc_env env;
  xmlrpc_env_init(&env);
  xmlrpc_value* result = nullptr;
  int code = 0;
  const char* text = nullptr;
  xmlrpc_parse_response2(&env, xml.data(), xml.size(), &result, &code, &text);
  Value out;
  if (env.fault_occurred) {
    std::string why = env.fault_string;
    xmlrpc_env_clean(&env);
    throw std::runtime_error("xmlrpc-c cannot parse the response: " + why + "\n" + xml);
  }
  if (text) {
    out = Value{{"faultCode", code}, {"faultString", text}};
    std::free(const_cast<char*>(text));
  } else {
    out = Value{{"ok", from_xmlrpc(&env, result)}};
    xmlrpc_DECREF(result);
  }
  xmlrpc_env_clean(&env);
  return out;
}

}  // namespace sb::test
